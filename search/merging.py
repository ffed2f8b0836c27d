"""Merging the HTTP writer's small segments in a process of its own, out of the commit path.

The writer commits a small segment a second; once MAX_SEGMENTS of them exist they
must become one (each query looks every term up in every segment). Whoosh merges
inside a commit, at about the cost of indexing the documents again (24 segments of
50 documents: 16 CPU s, 38 s on a loaded machine), and no batch is committed
meanwhile: every document posted during a merge waited for it.

Here the merge runs in a child process (`python -m search.merging`): it reads the
snapshot's segments, which stay on disk until the swap removes them from the TOC
(only the writer commits), and writes one segment under another index name
(MERGE_NAME), whose files Whoosh's clean-up at the writer's commits leaves alone.
It fsyncs them and says so in a result file. The writer's next commit swaps:
renames the files to the index's name, deletes in the merged segment what was
deleted meanwhile in the snapshot's segments (updates and deletes since the
snapshot, through the docnum map: a merge keeps the live documents in order), and
writes a TOC with the merged segment instead of the snapshot's. A kill at any
moment leaves either the old segments (the child's files are removed when the next
writer starts) or the merged one: no document lost or doubled.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

from . import codec, files, sidecar, sidecar_build, xtables

MERGE_NAME = "LIVEMERGE"  # index name of a merge's files until the swap
JOB_FILE = "merge-job-{}.pickle"
DONE_FILE = "merge-done-{}.pickle"  # by job: a child of a dead writer never answers a new one
LIMIT_MB = 256

log = logging.getLogger("lintas.merging")


def merge(index_dir: str | Path, schema, segments) -> object:
    """One segment (named MERGE_NAME) of the live documents of `segments`, in order; fsynced."""
    merged = codec.merge_segments(str(index_dir), schema, segments, MERGE_NAME, LIMIT_MB)
    # Here, in the merge's own niced process, rather than in every search worker
    # that sees the merged segment (a layer of ~1,200 documents: tens of ms each).
    xtables.save_segment_layer(index_dir, schema, merged)
    for name in _files_of(index_dir, merged.segment_id()):
        fd = os.open(os.path.join(index_dir, name), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return merged


def _files_of(index_dir, segment_id: str) -> list[str]:
    return [n for n in os.listdir(index_dir) if n.startswith(f"{segment_id}.")]


class Merge:
    """One background merge of the writer: started with a snapshot of segments, swapped in
    by a later commit's merge policy once the child has finished."""

    def __init__(self, index_dir: str | Path, schema, segments):
        self.index_dir = Path(index_dir)
        self.segments = list(segments)
        self.ids = [seg.segment_id() for seg in self.segments]
        # The live documents of each segment when the merge read it, in order: the
        # merged segment's docnums are their positions in this list laid end to end.
        self.live = [[d for d in range(seg.doc_count_all()) if not seg.is_deleted(d)] for seg in self.segments]
        self.job = os.urandom(6).hex()
        self.done = self.index_dir / DONE_FILE.format(self.job)
        with files.atomic_write(self.index_dir / JOB_FILE.format(self.job)) as fh:
            pickle.dump({"schema": schema, "segments": self.segments}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        # The writer's own process group: a kill of the server takes the merge with it.
        self.proc = subprocess.Popen([sys.executable, "-m", "search.merging", str(self.index_dir), self.job])

    def finished(self) -> bool | None:
        """True once the merged segment is on disk; False while it runs; None if it failed."""
        code = self.proc.poll()
        if code is None:
            return False
        return code == 0 and self.done.exists()

    def swap(self, writer, segments: list) -> list:
        """The segment list with the merged segment instead of the snapshot's (a merge policy step)."""
        with open(self.done, "rb") as fh:
            merged = pickle.load(fh)
        current = {seg.segment_id(): seg for seg in segments}
        if not all(sid in current for sid in self.ids):  # cannot happen with one writer; never lose one
            log.warning("a merged segment's sources changed; dropped the merge")
            clean(self.index_dir)
            return segments
        old_id = merged.segment_id()
        made = _files_of(self.index_dir, old_id)
        if not any(name.endswith(".trm") for name in made):  # its output is gone: never name it in a TOC
            raise FileNotFoundError(f"the files of merged segment {old_id}")
        merged.indexname = writer.indexname
        for name in made:
            os.replace(self.index_dir / name, self.index_dir / (merged.segment_id() + name[len(old_id):]))
            if name.endswith(sidecar.EXT):  # the merge's flush wrote it under the merge's segment name
                sidecar_build.restamp(self.index_dir / (merged.segment_id() + name[len(old_id):]), merged.segment_id())
            elif name.endswith(xtables.LAYER_EXT):
                xtables.restamp_layer(self.index_dir / (merged.segment_id() + name[len(old_id):]), merged.segment_id())
        files.fsync_dir(self.index_dir)  # the renamed files before the TOC that names them
        base = 0
        for sid, live in zip(self.ids, self.live):
            seg = current[sid]
            for i, docnum in enumerate(live):
                if seg.is_deleted(docnum):  # updated or deleted since the snapshot
                    merged.delete_document(base + i)
            base += len(live)
        self.done.unlink(missing_ok=True)
        (self.index_dir / JOB_FILE.format(self.job)).unlink(missing_ok=True)
        ids = set(self.ids)
        return [seg for seg in segments if seg.segment_id() not in ids] + [merged]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def clean(index_dir: str | Path) -> None:
    """Remove what an unfinished or dropped merge left (at the writer's start)."""
    index_dir = Path(index_dir)
    for entry in os.scandir(index_dir):
        if entry.name.startswith((f"{MERGE_NAME}_", "merge-job-", "merge-done-")):
            Path(entry.path).unlink(missing_ok=True)
    shutil.rmtree(index_dir / f"{MERGE_NAME}.tmp", ignore_errors=True)


def nicer_step() -> int:
    """How many steps nicer than the writer the search workers and the background merges
    run (LINTAS_WORKER_NICE, default 0): a merge is upkeep that no request waits for, so
    it never outranks the searches; the writer's commits, which posts wait for, may."""
    try:
        return max(0, int(os.environ.get("LINTAS_WORKER_NICE", "0")))
    except ValueError:
        return 0


def be_nicer() -> None:
    step = nicer_step()
    # A platform or sandbox that refuses: the process keeps the writer's priority.
    if step > 0 and hasattr(os, "nice"):
        with suppress(OSError):
            os.nice(step)


def main(argv: list[str] | None = None) -> int:
    """`python -m search.merging INDEX_DIR JOB`: merge the segments of INDEX_DIR/merge-job-JOB.pickle."""
    be_nicer()
    args = sys.argv[1:] if argv is None else argv
    index_dir, token = Path(args[0]), args[1]
    with open(index_dir / JOB_FILE.format(token), "rb") as fh:
        job = pickle.load(fh)
    merged = merge(index_dir, job["schema"], job["segments"])
    with files.atomic_write(index_dir / DONE_FILE.format(token)) as fh:
        pickle.dump(merged, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
