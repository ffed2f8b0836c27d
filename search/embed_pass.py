"""The embedding pass: vectors for the live documents that lack one.

It runs after the lexical commit (documents are searchable by their words
first), from `lintas index --vectors` in the foreground and from `lintas serve`
in the background, and can be killed at any point: what it stored is kept, in
segments of at most FLUSH_ROWS vectors or FLUSH_SECONDS of work, and the next
pass goes on from there. It reads the documents' text first and then lets go of
the Whoosh reader, so a commit by another process meanwhile is harmless: a
document updated in between simply lacks a vector until the next pass.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import embedding, shards, vectors

# How often the pass makes its work durable (LINTAS_VECTOR_FLUSH_ROWS: the crash test flushes often).
FLUSH_ROWS = int(os.environ.get("LINTAS_VECTOR_FLUSH_ROWS", "2000"))
FLUSH_SECONDS = 60.0


@dataclass
class EmbedReport:
    embedded: int = 0
    missing: int = 0  # live documents without a vector when the pass started
    seconds: float = 0.0
    cpu_ms_per_doc: float | None = None

    def summary(self) -> str:
        if not self.missing:
            return "vectors up to date"
        rate = f", {self.embedded / self.seconds:.1f} docs/s" if self.seconds and self.embedded else ""
        return f"{self.embedded} of {self.missing} missing vectors computed{rate}"


def enable(index_dir: str | Path) -> None:
    """Turn vectors on for the index (a no-op when they are on and current)."""
    with vectors.writing(index_dir) as w:
        w.enable()


def missing(index_dir: str | Path) -> tuple[int, int]:
    """(live documents, those without a vector) — what `lintas stats` shows."""
    ix = shards.open_any(index_dir)  # a sharded index: vectors at its root
    manifest = vectors.read_manifest(index_dir)
    with ix.reader() as reader:
        hashes = vectors.doc_hashes(reader)
    live = hashes[hashes != b""]
    if manifest is None or not manifest.current():
        return len(live), len(live)
    snap = vectors.Snapshot(Path(index_dir), manifest)
    return len(live), int((snap.rows(live) < 0).sum())


def run(index_dir: str | Path, procs: int | None = None, progress: bool = False,
        wait: bool = True) -> EmbedReport:
    """Embed every live document without a vector; VectorsBusy if another pass holds the lock and not `wait`."""
    report = EmbedReport()
    if vectors.read_manifest(index_dir) is None:
        return report  # vectors are off for this index
    started = time.perf_counter()
    cpu0 = _cpu()
    with vectors.writing(index_dir, wait=wait) as writer:
        writer.enable()
        ix = shards.open_any(index_dir)  # a sharded index: vectors at its root
        with ix.reader() as reader:
            hashes = vectors.doc_hashes(reader)
            stored = writer.keys()
            todo = np.flatnonzero((hashes != b"") & ~np.isin(hashes, stored))
            # Distinct hashes only (an id indexed twice in one run is one live document).
            keys = hashes[todo]
            _, first = np.unique(keys, return_index=True)
            todo = np.sort(todo[first])
            texts = []
            for docnum in todo.tolist():
                f = reader.stored_fields(docnum)
                texts.append(embedding.passage_text(f.get("title") or "", f.get("text") or ""))
            keys = hashes[todo]
        live = hashes[hashes != b""]
        report.missing = len(todo)
        if len(todo):
            bar = tqdm(total=len(todo), unit="doc", desc="embedding", disable=not progress, leave=False)
            pending: list[np.ndarray] = []
            done = flushed = 0
            last = time.monotonic()
            try:
                for vecs in embedding.embed_many(texts, procs=procs):
                    pending.append(vecs)
                    done += len(vecs)
                    bar.update(len(vecs))
                    if done - flushed >= FLUSH_ROWS or time.monotonic() - last > FLUSH_SECONDS:
                        writer.add(keys[flushed:done], np.concatenate(pending))
                        pending, flushed, last = [], done, time.monotonic()
                if pending:
                    writer.add(keys[flushed:done], np.concatenate(pending))
                    flushed = done
            finally:
                bar.close()
                report.embedded = flushed
        writer.compact(live)
    report.seconds = time.perf_counter() - started
    if report.embedded:
        report.cpu_ms_per_doc = (_cpu() - cpu0) * 1000 / report.embedded
    return report


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# -- the background pass of `lintas serve` -------------------------------------------

WATCH_EVERY = 10.0  # seconds between looks for documents without a vector


def start_background(index_dir: str | Path):
    """A child process that embeds documents as they arrive, at low priority; None when the
    index has no vectors on (or the process cannot start).

    A process, not a thread of the server: the model's OpenMP runtime and the CPU
    work stay out of the processes answering queries, and the OS scheduler gives
    queries the cores first (nice 10). It exits with its parent.
    """
    import subprocess
    import sys

    try:
        if vectors.read_manifest(index_dir) is None:
            return None
    except ValueError:
        return None
    cmd = [sys.executable, "-m", "search.embed_pass", "--index", str(index_dir), "--watch",
           str(WATCH_EVERY), "--parent", str(os.getpid())]
    try:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                preexec_fn=(lambda: os.nice(10)) if os.name == "posix" else None)
    except OSError:
        return None


def stop_background(proc) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except Exception:
        proc.kill()
        proc.wait()


def _watch(index_dir: str, every: float, parent: int | None) -> None:
    """Run a pass whenever there is work; one embedding worker, so a core stays free."""
    import sys

    while parent is None or os.getppid() == parent:
        try:
            if vectors.read_manifest(index_dir) is not None:
                report = run(index_dir, procs=1, wait=False)
                if report.embedded:
                    print(f"lintas: embedded {report.summary()}", file=sys.stderr, flush=True)
        except vectors.VectorsBusy:
            pass  # `lintas index --vectors` is at it: look again later
        except Exception as e:  # no index yet, the model cannot load, ...: say so, keep watching
            from .errors import IndexNotFound

            if not isinstance(e, IndexNotFound):
                print(f"lintas: embedding pass: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        time.sleep(every)


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(prog="python -m search.embed_pass",
                                description="Compute the vectors documents lack (what `lintas serve` runs).")
    p.add_argument("--index", required=True)
    p.add_argument("--watch", type=float, default=0.0, help="keep looking every N seconds")
    p.add_argument("--parent", type=int, default=None, help="exit when this process is gone")
    a = p.parse_args()
    if a.watch:
        try:
            _watch(a.index, a.watch, a.parent)
        except KeyboardInterrupt:
            pass
    else:
        print(run(a.index, progress=True).summary())
