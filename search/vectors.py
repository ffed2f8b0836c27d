"""Document vectors beside the Whoosh segments: <index>/vectors/, memory-mapped.

A vector is stored under its document's content hash (the `hash` column the
indexer writes: id, title, text, ... of that version of the document), never
under a docnum or an id. So a vector can only ever be found for the text it was
made from: an updated document has no vector until the embedding pass makes
one, a deleted one is simply never asked for, and whatever a crash leaves
behind cannot pair a vector with the wrong document.

On disk: immutable segments (`<name>.keys.npy`, the hashes; `<name>.vecs.npy`,
float32 rows, L2-normalized) and `manifest.json`, which names the live segments
and what made them (model, passage length). Every file is written under a
temporary name, fsynced and renamed, the manifest last: a `kill -9` at any
point leaves the previous manifest, and segment files it does not name are
removed by the next writer. Writers take `vectors/lock` (flock).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import embedding, files
from .vector_manifest import DIRNAME, MANIFEST, Manifest, read_manifest, vectors_dir  # noqa: F401

KEY_DTYPE = "S40"  # the indexer's content hash: 40 hex digits
# Compaction: when a tenth of the stored rows belong to no live document (updated
# or deleted ones), or the segments pile up, the writer rewrites them as one.
STALE_SHARE = 0.10
MAX_SEGMENTS = 12
REFRESH_EVERY = 0.2  # seconds between looks at the manifest, as for the Whoosh index


class VectorsBusy(Exception):
    """Another process is writing vectors (the lock is held)."""


# -- writing ---------------------------------------------------------------------


class VectorWriter:
    """Adds segments and compacts, under the lock; one per embedding pass."""

    def __init__(self, index_dir: str | Path):
        self.dir = vectors_dir(index_dir)
        self.manifest = read_manifest(index_dir)

    def enable(self) -> Manifest:
        """Turn vectors on (or start over when the model or passage length changed)."""
        m = self.manifest
        if m is None or not m.current():
            self._publish(())
        return self.manifest

    def keys(self) -> np.ndarray:
        """Every stored hash (sorted, unique)."""
        arrays = [np.load(self.dir / f"{s}.keys.npy") for s in self.manifest.segments]
        if not arrays:
            return np.zeros(0, KEY_DTYPE)
        return np.unique(np.concatenate(arrays))

    def add(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        if not len(keys):
            return
        name = self._write_segment(keys, vecs)
        self._publish(self.manifest.segments + (name,))

    def compact(self, live: np.ndarray) -> bool:
        """Rewrite as one segment of the rows whose hash is in `live`, if worth it."""
        segs = self.manifest.segments
        if not segs:
            return False
        keys = [np.load(self.dir / f"{s}.keys.npy") for s in segs]
        total = sum(len(k) for k in keys)
        every = np.concatenate(keys)
        keep = np.isin(every, live)
        # The same hash can be stored twice (two passes raced to it before the lock): keep one.
        _, first = np.unique(every, return_index=True)
        unique = np.zeros(len(every), bool)
        unique[first] = True
        keep &= unique
        stale = total - int(keep.sum())
        if stale <= STALE_SHARE * total and len(segs) <= MAX_SEGMENTS:
            return False
        vecs = np.concatenate([np.load(self.dir / f"{s}.vecs.npy", mmap_mode="r") for s in segs])
        name = self._write_segment(every[keep], np.ascontiguousarray(vecs[keep]))
        self._publish((name,))
        return True

    def _write_segment(self, keys: np.ndarray, vecs: np.ndarray) -> str:
        if vecs.shape != (len(keys), embedding.DIM):
            raise ValueError(f"vectors of shape {vecs.shape} for {len(keys)} keys")
        name = f"s{int(time.time() * 1000):013d}-{uuid.uuid4().hex[:8]}"
        _save(self.dir / f"{name}.keys.npy", np.asarray(keys, KEY_DTYPE))
        _save(self.dir / f"{name}.vecs.npy", np.asarray(vecs, np.float32))
        return name

    def _publish(self, segments: tuple[str, ...]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        generation = (self.manifest.generation + 1) if self.manifest else 1
        manifest = Manifest(embedding.MODEL, embedding.PASSAGE_CHARS, embedding.DIM, generation, segments)
        data = {"model": manifest.model, "chars": manifest.chars, "dim": manifest.dim,
                "generation": generation, "segments": list(segments)}
        with files.atomic_write(self.dir / MANIFEST, "w", sync_dir=True) as f:
            json.dump(data, f)
        self.manifest = manifest
        self._remove_unlisted()

    def _remove_unlisted(self) -> None:
        """Segments a crash or a compaction left behind. A reader that still maps
        one keeps its pages (POSIX unlink); a new reader only opens listed ones."""
        listed = set(self.manifest.segments)
        for f in self.dir.iterdir():
            if f.name in (MANIFEST, "lock"):
                continue
            if f.name.split(".", 1)[0] not in listed:
                try:
                    f.unlink()
                except OSError:
                    pass  # another writer's temporary file, or Windows holding it open


@contextmanager
def writing(index_dir: str | Path, wait: bool = True) -> Iterator[VectorWriter]:
    """The vector writer under the lock; VectorsBusy if `wait` is False and it is held."""
    d = vectors_dir(index_dir)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "lock", "a+") as lock:
        _lock(lock, wait)
        try:
            yield VectorWriter(index_dir)
        finally:
            _unlock(lock)


def _lock(f, wait: bool) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no second writer guard beyond Whoosh's own lock
        return
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        raise VectorsBusy("another process is computing vectors for this index") from None


def _unlock(f) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _save(path: Path, array: np.ndarray) -> None:
    with files.atomic_write(path) as f:
        np.save(f, array)




# -- reading ---------------------------------------------------------------------


class Snapshot:
    """The vectors one manifest names, memory-mapped; rows addressed by position."""

    def __init__(self, index_dir: Path, manifest: Manifest):
        self.manifest = manifest
        d = vectors_dir(index_dir)
        keys, self.mats = [], []
        for s in manifest.segments:
            keys.append(np.load(d / f"{s}.keys.npy"))
            self.mats.append(np.load(d / f"{s}.vecs.npy", mmap_mode="r"))
        self.keys = np.concatenate(keys) if keys else np.zeros(0, KEY_DTYPE)
        self._order = np.argsort(self.keys, kind="stable")
        self._sorted = self.keys[self._order]

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, hashes: np.ndarray) -> np.ndarray:
        """The row of each hash, -1 for hashes without a vector."""
        if not len(self._sorted) or not len(hashes):
            return np.full(len(hashes), -1, np.int64)
        at = np.searchsorted(self._sorted, hashes)
        at = np.minimum(at, len(self._sorted) - 1)
        found = self._sorted[at] == hashes
        return np.where(found, self._order[at], -1).astype(np.int64)

    def scores(self, qvec: np.ndarray) -> np.ndarray:
        """Inner product of every stored row with `qvec` (cosine: both are unit vectors).

        Not `m @ qvec`: OpenBLAS's float32 gemv rounds a row differently by where it
        falls in the matrix (its tail rows take another kernel; measured on an AVX-512
        machine), so a document scored differently in a shard than in one index.
        einsum's loop gives each row the same sum wherever it is (~1.4x the CPU of
        gemv: 10 ms at 100k rows)."""
        parts = [np.einsum("ij,j->i", m, qvec) for m in self.mats]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def vector(self, row: int) -> np.ndarray:
        for m in self.mats:
            if row < len(m):
                return np.asarray(m[row])
            row -= len(m)
        raise IndexError(row)


class VectorReader:
    """The newest snapshot, re-read when the manifest changes; shared by threads."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._stamp = None
        self._checked = 0.0
        self.error: str | None = None

    def snapshot(self, fresh: bool = False) -> Snapshot | None:
        """None when the index has no vectors (or they were made by another model).

        fresh: look at the manifest now, not at most every REFRESH_EVERY seconds."""
        now = time.monotonic()
        if now - self._checked < REFRESH_EVERY and not fresh:
            return self._snapshot
        with self._lock:
            if now - self._checked < REFRESH_EVERY and not fresh:
                return self._snapshot
            self._checked = now
            path = vectors_dir(self.index_dir) / MANIFEST
            try:
                st = path.stat()
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            except OSError:
                self._snapshot, self._stamp, self.error = None, None, None
                return None
            if stamp != self._stamp:
                try:
                    manifest = read_manifest(self.index_dir)
                    if manifest is None:
                        self._snapshot = None
                    elif not manifest.current():
                        self._snapshot = None
                        self.error = (f"the vectors were made with {manifest.model} at {manifest.chars} "
                                      f"characters; this Lintas uses {embedding.MODEL} at "
                                      f"{embedding.PASSAGE_CHARS}: run `lintas index --vectors`")
                    else:
                        self._snapshot, self.error = Snapshot(self.index_dir, manifest), None
                    self._stamp = stamp
                except (OSError, ValueError) as e:
                    # A writer replaced a segment between our manifest read and its
                    # open: keep the old snapshot and look again next time.
                    self.error = f"vectors unreadable: {e}"
        return self._snapshot


# -- which document is which hash ---------------------------------------------------

_segment_hashes: dict[str, np.ndarray] = {}
_segment_lock = threading.Lock()


def doc_hashes(reader) -> np.ndarray:
    """Each top-level docnum's content hash; b"" for deleted documents.

    Read once per Whoosh segment (a segment never changes, only its deletions):
    a commit costs the new segments' columns, not the whole index's again.
    """
    from .postings import live_mask, segment_key

    parts = []
    for leaf, _offset in reader.leaf_readers():
        key = segment_key(leaf)
        with _segment_lock:
            hashes = _segment_hashes.get(key)
        if hashes is None:
            n = leaf.doc_count_all()
            if n and leaf.has_column("hash"):
                col = leaf.column_reader("hash")
                hashes = np.array([col[i] or "" for i in range(n)], dtype=KEY_DTYPE)
            else:
                hashes = np.zeros(n, KEY_DTYPE)
            with _segment_lock:
                if len(_segment_hashes) > 256:
                    _segment_hashes.clear()
                _segment_hashes[key] = hashes
        live = live_mask(leaf)
        if live is not None:
            hashes = np.where(live, hashes, b"")
        parts.append(hashes)
    return np.concatenate(parts) if parts else np.zeros(0, KEY_DTYPE)
