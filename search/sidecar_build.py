"""Derive each segment's sidecar (search/sidecar.py) from Whoosh's own postings.

`sync` runs after every commit (`lintas index`, the server's writer) and when
the writer starts: it writes the sidecar of every segment that lacks a right
one, and removes what no segment owns. A merge needs nothing more: Whoosh's
commit deletes a merged-away segment's files, and the sidecar is one of them
by its name (search/codec/read.py).

Most sidecars never need that read: the flush that writes a segment's
postings (search/codec/write.py) hands them to FlushCapture, which writes the
sidecar once the segment is finished, so `sync` finds it right and keeps it.
Reading a segment whole (`build`, for segments written otherwise) costs about
as much as Whoosh took to write its postings; the work is per field,
vectorized over every posting at once, with one pickle.loads per VALUE_CHUNK
postings' positions instead of one each.
"""

from __future__ import annotations

import itertools
import logging
import os
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import formats
from whoosh import index as whoosh_index

from . import codec, sidecar

LOCK_FILE = "sidecar.lock"
VALUE_CHUNK = 200_000  # postings' values unpickled per call: bounds the lists held at once

log = logging.getLogger("lintas.sidecar")
_chain = itertools.chain.from_iterable


def sidecar_fields(schema) -> list[str]:
    """The fields searched through posting arrays: scored, with positions."""
    return [name for name, f in schema.items()
            if f.scorable and type(f.format) in (formats.Positions, formats.Characters)]


def build(leaf) -> dict[str, dict[str, np.ndarray]]:
    """Every sidecar array of one segment, per field."""
    return {fname: _field(leaf, fname) for fname in sidecar_fields(leaf.schema)
            if fname in leaf.indexed_field_names()}


def _field(leaf, fname: str) -> dict[str, np.ndarray]:
    chars = type(leaf.schema[fname].format) is formats.Characters
    deltas: list[int] = []  # docnum deltas, restarting at each block
    restarts = [0]  # where each block's deltas start in `deltas`
    weights: list[float] = []
    values: list[bytes] = []
    terms = []
    post_starts = [0]
    for btext, blocks in codec.field_postings(leaf, fname):
        terms.append(btext)
        for b in blocks:
            if b.deltas:
                deltas += b.ids
            else:  # docnums of an inlined list
                deltas += np.diff(np.asarray(b.ids, np.int64), prepend=0).tolist()
            restarts.append(len(deltas))
            w = b.weights
            weights += [1.0] * b.length if w is None else [w] * b.length if isinstance(w, float) else w
            values += b.values
        post_starts.append(len(values))
    ids = _restarting_cumsum(np.asarray(deltas, np.int64), np.asarray(restarts[:-1], np.int64))
    lengths = np.zeros(leaf.doc_count_all(), np.uint8)
    raw = codec.length_bytes(leaf, fname)
    if raw is not None:
        lengths[:len(raw)] = np.frombuffer(raw, np.uint8)
    return _arrays(terms, post_starts, ids, weights, values, chars, lengths)


def _arrays(terms: list[bytes], post_starts: list[int], ids: np.ndarray, weights, values: list[bytes],
            chars: bool, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """A field's sidecar arrays from its postings, term by term in order."""
    counts, codes = _occurrences(values, chars)
    occ = _offsets(counts)
    first = occ[:-1]
    pos = _restarting_cumsum(codes[:, 0], first)
    starts = lens = None
    if chars:
        # Characters stores (position, start - previous end, length) deltas.
        lens = codes[:, 2]
        starts = _restarting_cumsum(codes[:, 1] + codes[:, 2], first) - lens
    return _assemble(terms, np.asarray(post_starts, np.int64), ids, np.asarray(weights, np.float32),
                     counts, occ, pos, starts, lens, lengths)


def _assemble(terms: list[bytes], post_starts: np.ndarray, ids: np.ndarray, weights: np.ndarray | None,
              counts: np.ndarray, occ: np.ndarray, pos: np.ndarray, starts: np.ndarray | None,
              lens: np.ndarray | None, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of a field, in the order of _ARRAY_NAMES; `weights` None: each is its count."""
    out = {
        "keys": np.array([t[:sidecar.KEY_BYTES] for t in terms], dtype=f"S{sidecar.KEY_BYTES}"),
        "term_bytes": np.frombuffer(b"".join(terms), np.uint8),
        "term_starts": np.concatenate([[0], np.cumsum([len(t) for t in terms])]).astype(np.int64),
        "post_starts": post_starts,
        "ids": ids.astype(np.int32),
        "occ": _narrow(occ),
    }
    if weights is not None and not np.array_equal(weights, counts.astype(np.float32)):
        out["tfs"] = weights  # boosted tokens: the weight is not the count
    out["pos"] = _narrow(pos)
    if starts is not None:
        out["starts"] = _narrow(starts)
        out["lens"] = _narrow(lens)
    out["lengths"] = lengths
    return out


class Occurrences:
    """A field's postings as a segment writer adds them, for its sidecar at the flush.

    search/codec/write.py hands over each document's terms with their occurrences
    before it pickles them into Whoosh's values; the flush then makes the sidecar
    from these flat arrays instead of unpickling every value again (a tenth of a
    build's CPU). The arrays are the flush's only if every posting of the field
    came through here: `arrays` checks the counts, and the caller falls back to
    the values otherwise (a merge's postings, a boosted field).
    """

    def __init__(self, chars: bool):
        self.chars = chars
        self.numbers: dict[bytes, int] = {}  # term -> its number, in order of first use
        self.post_terms = array("q")
        self.post_docs = array("q")
        self.post_counts = array("q")
        self.occ = array("q")  # position, or position, start, end, per occurrence
        self.complete = True

    def add(self, docnum: int, terms: list[bytes], lists: list[list]) -> None:
        """One document's postings of the field: terms and their occurrence lists."""
        numbers = self.numbers
        setdefault = numbers.setdefault
        self.post_terms.extend([setdefault(t, len(numbers)) for t in terms])
        self.post_docs.extend(itertools.repeat(docnum, len(terms)))
        self.post_counts.extend(map(len, lists))
        self.occ.extend(_chain(_chain(lists)) if self.chars else _chain(lists))

    def arrays(self, terms: int, postings: int, lengths: np.ndarray) -> dict[str, np.ndarray] | None:
        """The sidecar arrays, if `terms` and `postings` (what the flush wrote) are all here."""
        if not self.complete or terms != len(self.numbers) or postings != len(self.post_docs):
            return None
        keys = list(self.numbers)
        by_term = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), np.int64)
        rank[by_term] = np.arange(len(keys))
        ranks = rank[np.frombuffer(self.post_terms, np.int64)]
        # Documents came in docnum order, so a stable sort by term gives (term, docnum).
        order = np.argsort(ranks, kind="stable")
        counts = np.frombuffer(self.post_counts, np.int64)
        added_at = _offsets(counts)
        counts = counts[order]
        occ = _offsets(counts)
        gather = np.repeat(added_at[:-1][order] - occ[:-1], counts) + np.arange(occ[-1])
        width = 3 if self.chars else 1
        codes = np.frombuffer(self.occ, np.int64).reshape(-1, width)[gather]
        post_starts = _offsets(np.bincount(ranks, minlength=len(keys)))
        starts = lens = None
        if self.chars:
            starts = codes[:, 1]
            lens = codes[:, 2] - starts
        return _assemble([keys[i] for i in by_term], post_starts, np.frombuffer(self.post_docs, np.int64)[order],
                         None, counts, occ, codes[:, 0], starts, lens, lengths)


class FlushCapture:
    """Sidecars from the postings a flush writes (search/codec/write.py), not read back.

    The flush hands over each sidecar field's postings as it writes them, and
    the finished segment's sizes; the sidecar written here is the one `build`
    would derive from the files (tests/search/test_flush.py), so `sync` finds
    it right and keeps it. Saves reading, decompressing and unpickling every
    block of a segment just written.
    """

    @staticmethod
    def fields(schema) -> set[str]:
        return set(sidecar_fields(schema))

    @staticmethod
    def collector(fieldobj) -> Occurrences:
        """Where a segment writer puts a sidecar field's occurrences as documents come."""
        return Occurrences(type(fieldobj.format) is formats.Characters)

    @staticmethod
    def arrays(fieldobj, terms: list[tuple], lengths: bytes | None, doccount: int,
               collected: Occurrences | None = None) -> dict[str, np.ndarray]:
        """`terms`: (btext, docnums, weights, values) per term, in order; `collected`:
        the same postings' occurrences as they were added, if the writer kept them."""
        post_starts = [0]
        for _t, docs, _w, _v in terms:
            post_starts.append(post_starts[-1] + len(docs))
        lens = np.zeros(doccount, np.uint8)
        if lengths is not None:
            lens[:] = np.frombuffer(lengths, np.uint8, doccount)
        if collected is not None:
            out = collected.arrays(len(terms), post_starts[-1], lens)
            if out is not None:
                return out
        ids = np.fromiter(_chain(t[1] for t in terms), np.int64, post_starts[-1])
        weights = np.fromiter(_chain(t[2] for t in terms), np.float64, post_starts[-1])
        values = list(_chain(t[3] for t in terms))
        return _arrays([t[0] for t in terms], post_starts, ids, weights, values,
                       type(fieldobj.format) is formats.Characters, lens)

    @staticmethod
    def write(folder: str, segment_id: str, docs: int, files: list[int], fields: dict) -> None:
        try:
            sidecar.write(sidecar.path_for(folder, segment_id),
                          {"segment": segment_id, "docs": docs, "files": files}, fields)
        except OSError as e:  # derived data: `sync` derives it from the segment instead
            log.warning("no sidecar written at flush for %s: %s", segment_id, e)


def _occurrences(values: list[bytes], chars: bool) -> tuple[np.ndarray, np.ndarray]:
    """(occurrences per posting, their delta codes: one row each, 1 or 3 columns)."""
    width = 3 if chars else 1
    counts, codes = [], []
    for i in range(0, len(values), VALUE_CHUNK):
        lists = codec.unpickle_values(values[i:i + VALUE_CHUNK])
        c = np.fromiter(map(len, lists), np.int64, len(lists))
        flat = _chain(_chain(lists)) if chars else _chain(lists)
        codes.append(np.fromiter(flat, np.int64, int(c.sum()) * width).reshape(-1, width))
        counts.append(c)
    if not counts:
        return np.zeros(0, np.int64), np.zeros((0, width), np.int64)
    return np.concatenate(counts), np.concatenate(codes)


def _offsets(counts: np.ndarray) -> np.ndarray:
    """Where each run of `counts` starts, and the total at the end: 0, c0, c0 + c1, ..."""
    out = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _restarting_cumsum(deltas: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running sums of `deltas` that start again from 0 at each index in `starts`."""
    if not len(deltas):
        return deltas.astype(np.int64)
    total = np.cumsum(deltas, dtype=np.int64)
    before = np.zeros(len(starts), np.int64)
    inner = (starts > 0) & (starts <= len(deltas))
    before[inner] = total[starts[inner] - 1]
    runs = np.diff(np.append(starts, len(deltas)))
    return total - np.repeat(before, runs)


def _narrow(arr: np.ndarray) -> np.ndarray:
    """The smallest unsigned type that holds `arr` (int64 if it has negatives)."""
    if not len(arr) or arr.min() < 0:
        return arr.astype(np.int64)
    top = int(arr.max())
    for t in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(t).max:
            return arr.astype(t)
    return arr.astype(np.int64)


codec.capture_sidecars(FlushCapture)

# A field's arrays in the order _arrays makes them (so a restamped file is the derived one).
_ARRAY_NAMES = ("keys", "term_bytes", "term_starts", "post_starts", "ids", "occ", "tfs", "pos", "starts", "lens",
                "lengths")


def restamp(path: Path, segment_id: str) -> None:
    """A sidecar whose segment was renamed (search/merging.py's swap): its arrays under the new id.

    The merge child's flush wrote it for the merge's own segment name; without
    this it would no longer match its segment and be derived again. One that
    cannot be read is removed, and `sync` derives it.
    """
    try:
        sc = sidecar.read(path)
        header = sc.header
        fields = {fname: {name: np.asarray(getattr(fp, name)) for name in _ARRAY_NAMES
                          if getattr(fp, name) is not None}
                  for fname, fp in sc.fields.items()}
        sidecar.write(path, {"segment": segment_id, "docs": header["docs"], "files": header["files"]}, fields)
    except (sidecar.BadSidecar, OSError, KeyError) as e:
        log.warning("sidecar %s not restamped: %s", path.name, e)
        path.unlink(missing_ok=True)


def write_for(leaf) -> Path | None:
    """Derive and write the sidecar of one segment reader's segment."""
    folder = codec.segment_folder(leaf)
    if folder is None:
        return None
    path = sidecar.path_for(folder, leaf.segment().segment_id())
    sidecar.write(path, sidecar.expected(leaf), build(leaf))
    return path


@dataclass
class SyncReport:
    written: list[str] = field(default_factory=list)
    kept: int = 0
    removed: list[str] = field(default_factory=list)


def sync(index_dir: str | Path) -> SyncReport:
    """Make every segment's sidecar right, and remove what no segment owns.

    Derived data: a failure is logged and leaves that segment to Whoosh's own
    decoding, never a failed commit.
    """
    index_dir = Path(index_dir)
    report = SyncReport()
    with _locked(index_dir / LOCK_FILE):
        ix = whoosh_index.open_dir(str(index_dir))
        with ix.reader() as reader:
            current = set()
            for leaf, _offset in reader.leaf_readers():
                if codec.segment_folder(leaf) is None:  # no segment, or a compound one
                    continue
                current.add(leaf.segment().segment_id())
                if sidecar.open_checked(leaf) is not None:
                    report.kept += 1
                    continue
                try:
                    path = write_for(leaf)
                except (OSError, ValueError) as e:  # a segment a newer commit has just merged away
                    log.warning("no sidecar for %s: %s", leaf.segment().segment_id(), e)
                    continue
                if path is not None:
                    report.written.append(path.name)
        for entry in os.scandir(index_dir):
            if sidecar.EXT not in entry.name:
                continue
            owner = codec.segment_of_file(entry.name)
            # With the lock held no one else is writing: a temporary file is a killed write's.
            if owner not in current or not entry.name.endswith(sidecar.EXT):
                try:
                    os.unlink(entry.path)
                    report.removed.append(entry.name)
                except OSError:  # mapped by a reader on Windows: the next sync tries again
                    pass
    return report


@contextmanager
def _locked(path: Path):
    """One sync at a time per index (two `lintas index` runs may commit back to back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: writers are one at a time anyway (the writer lock)
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
