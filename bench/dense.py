"""Passage and question vectors of the judged sets, computed once and cached under bench/out/vectors/.

    python bench/dense.py --chars 200 --chars 600      # fill the cache (many minutes)

Embedding the ~9.5k dev passages takes tens of CPU minutes on this machine, so
bench/relevance.py --mode semantic|hybrid reads them from here. The cache is
written in chunks, so a killed run resumes where it stopped; a file's name holds
a hash of the model, the passage length and the texts, so a change recomputes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from tqdm import tqdm  # noqa: E402

from search import embedding  # noqa: E402

OUT = REPO / "bench" / "out" / "vectors"
CHUNK = 256


def _key(kind: str, texts: list[str], extra: str = "") -> str:
    h = hashlib.sha256(f"{embedding.MODEL}\0{kind}\0{extra}".encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    return h.hexdigest()[:16]


def cached(name: str, texts: list[str], kind: str, extra: str = "", procs: int | None = None,
           out: Path = OUT) -> tuple[np.ndarray, dict]:
    """(len(texts), DIM) vectors; `kind` 'passage' or 'query'. Info: seconds, CPU ms per text."""
    path = out / f"{name}-{kind}-{_key(kind, texts, extra)}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r"), {"cached": True}
    parts = out / (path.stem + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    started, cpu0 = time.perf_counter(), _cpu()
    todo = [i for i in range(0, len(texts), CHUNK) if not (parts / f"{i:07d}.npy").exists()]
    bar = tqdm(total=len(texts), desc=f"embedding {name} {kind}s", unit=kind, file=sys.stderr)
    bar.update(len(texts) - sum(min(CHUNK, len(texts) - i) for i in todo))
    done = 0
    # One pool for the whole run: each worker loads the model once.
    rows = embedding.embed_many((t for i in todo for t in texts[i:i + CHUNK]), procs=procs,
                                queries=kind == "query")
    buf: list[np.ndarray] = []
    have = 0
    pending = iter(todo)
    i = next(pending, None)
    for vecs in rows:
        buf.append(vecs)
        have += len(vecs)
        bar.update(len(vecs))
        while i is not None and have >= min(CHUNK, len(texts) - i):
            n = min(CHUNK, len(texts) - i)
            block = np.concatenate(buf)
            tmp = parts / f"{i:07d}.tmp.npy"
            np.save(tmp, block[:n].astype(np.float32))
            os.replace(tmp, parts / f"{i:07d}.npy")
            buf, have = [block[n:]], have - n
            done += n
            i = next(pending, None)
    bar.close()
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu0
    full = np.concatenate([np.load(parts / f"{i:07d}.npy") for i in range(0, len(texts), CHUNK)]) \
        if texts else np.zeros((0, embedding.DIM), np.float32)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, full)
    os.replace(tmp, path)
    for f in parts.iterdir():
        f.unlink()
    parts.rmdir()
    info = {"cached": False, "seconds": round(seconds, 1)}
    if done:
        info.update(texts_per_s=round(done / seconds, 2), cpu_ms_per_text=round(cpu * 1000 / done, 1))
    return full, info


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the embedding workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def passages(ev, chars: int) -> list[str]:
    return [embedding.passage_text(d.get("title") or "", d["text"], chars) for d in ev.docs]


def next_passages(ev, chars: int) -> list[str]:
    """Each document's second window (embedding.next_passage_text; "" when it has none)."""
    return [embedding.next_passage_text(d.get("title") or "", d["text"], chars) for d in ev.docs]


def questions(ev) -> list[str]:
    """What the engine embeds for each question (search/hybrid.query_text)."""
    from search.hybrid import query_text

    return [query_text(q) for q in ev.queries.values()]


def main(argv=None) -> int:
    from bench.relevance import DEFAULT_DATA, load_evalset, sample
    from bench.relevance import EVAL_LANGS as LANGS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--lang", choices=LANGS, action="append")
    p.add_argument("--chars", type=int, action="append", help="passage length(s) to embed")
    p.add_argument("--limit", type=int, default=0, help="as bench/relevance.py --limit")
    p.add_argument("--no-queries", dest="queries", action="store_false")
    p.add_argument("--next", action="store_true", help="also each passage's second window (max-sim)")
    p.add_argument("--procs", type=int, default=None)
    args = p.parse_args(argv)
    for lang in args.lang or LANGS:
        ev = load_evalset(args.data, lang)
        if args.limit:
            ev = sample(ev, args.limit)
        for chars in args.chars or [embedding.PASSAGE_CHARS]:
            _, info = cached(lang, passages(ev, chars), "passage", extra=str(chars), procs=args.procs)
            print(f"{lang} passages at {chars} chars: {info}", flush=True)
            if args.next:
                _, info = cached(lang, next_passages(ev, chars), "passage", extra=f"next{chars}", procs=args.procs)
                print(f"{lang} next passages at {chars} chars: {info}", flush=True)
        if args.queries:
            _, info = cached(lang, questions(ev), "query", procs=args.procs)
            print(f"{lang} queries: {info}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def cached_subset(name: str, texts: list[str], full: list[str], kind: str = "query",
                  procs: int | None = None, out: Path = OUT) -> tuple[np.ndarray, dict]:
    """Vectors of `texts`, a subset of `full`: what a (partial) cache of `full` holds is reused."""
    path = out / f"{name}-{kind}-{_key(kind, texts)}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r"), {"cached": True}
    known: dict[str, np.ndarray] = {}
    whole = out / f"{name}-{kind}-{_key(kind, full)}.npy"
    if whole.exists():
        known.update(zip(full, np.load(whole)))
    else:
        parts = whole.with_suffix(".parts")
        for f in sorted(parts.glob("[0-9]*[0-9].npy")) if parts.is_dir() else []:
            start = int(f.stem)
            known.update(zip(full[start:], np.load(f)))
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    started = time.perf_counter()
    if missing:
        bar = tqdm(total=len(missing), desc=f"embedding {name} {kind}s", unit=kind, file=sys.stderr)
        for chunk_texts, vecs in zip(_chunks(missing, embedding.BATCH),
                                     embedding.embed_many(missing, procs=procs, queries=kind == "query")):
            known.update(zip(chunk_texts, vecs))
            bar.update(len(vecs))
        bar.close()
    vecs = np.stack([known[t] for t in texts]).astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vecs)
    os.replace(tmp, path)
    return vecs, {"cached": False, "reused": len(texts) - len(missing), "embedded": len(missing),
                  "seconds": round(time.perf_counter() - started, 1)}


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
