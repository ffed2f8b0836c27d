"""Per-document values as numpy arrays: date (day number), source and cluster codes, tie key.

Filters, facets, the timeline and near-duplicate folding all ask "what is this
value for each matching document"; Whoosh answers one document at a time. A
segment never changes once written, so its columns are read into arrays once
per process (by segment id) and a search indexes them with its docnums.
Sources become integer codes from one process-wide vocabulary, so that arrays
of different segments line up; cluster labels are hex digits, read as numbers.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from cachetools import LRUCache

NO_DATE = 0  # day numbers are proleptic Gregorian ordinals (date.toordinal()), >= 1
NO_CODE = -1
_US_PER_DAY = 86_400 * 1_000_000
_MISSING_DATE = 2**64 - 1  # Whoosh's column default for a document without a date
_SEGMENTS_KEPT = 64


@dataclass(frozen=True)
class Columns:
    day: np.ndarray  # int32 ordinal per top-level docnum, NO_DATE when undated
    source: np.ndarray  # int32 code, NO_CODE when none
    dup: np.ndarray  # int64 cluster code (_cluster_codes), NO_CODE in an index built before clusters
    # int64 hash of the document's id: equal scores are ordered by it, not by docnum,
    # so that one index and the same documents in shards cut a top k at the same place
    # (docnums depend on where and when a document was written).
    key: np.ndarray

    @cached_property
    def has_dups(self) -> bool:
        """Whether any two documents share a cluster (else folding changes nothing)."""
        known = self.dup[self.dup != NO_CODE]
        return len(np.unique(known)) < len(known)


class _Vocabulary:
    def __init__(self):
        self.codes: dict[str, int] = {}
        self.names: list[str] = []
        self.lock = threading.Lock()

    def encode(self, values) -> np.ndarray:
        with self.lock:
            codes, names = self.codes, self.names
            out = np.empty(len(values), dtype=np.int32)
            for i, v in enumerate(values):
                if not v:
                    out[i] = NO_CODE
                    continue
                c = codes.get(v)
                if c is None:
                    c = codes[v] = len(names)
                    names.append(v)
                out[i] = c
            return out

    def code(self, value: str) -> int | None:
        return self.codes.get(value)

    def name(self, code: int) -> str:
        return self.names[code]


SOURCES = _Vocabulary()


def _cluster_codes(labels) -> np.ndarray:
    """Cluster labels as int64 codes, the same in every process and with no vocabulary.

    A label is its first member's content hash, 16 hex digits: read as a number. A
    vocabulary of them held 57k strings (~9 MB) in every server worker at 100k
    documents. Another label (none is written) is hashed; a hash that lands on
    NO_CODE moves one down, a collision as unlikely as two content hashes meeting.
    """
    out = np.empty(len(labels), dtype=np.int64)
    for i, v in enumerate(labels):
        if not v:
            out[i] = NO_CODE
            continue
        try:
            c = int(v, 16) if len(v) == 16 else None
        except ValueError:
            c = None
        if c is None:
            c = id_key(v)
        elif c >= 1 << 63:
            c -= 1 << 64
        out[i] = c if c != NO_CODE else NO_CODE - 1
    return out

_CACHE: LRUCache = LRUCache(maxsize=_SEGMENTS_KEPT)
_LOCK = threading.Lock()


def leaves(reader) -> list[tuple[object, int]]:
    if not hasattr(reader, "leaf_readers"):
        return [(reader, 0)]
    # An index a rebuild of nothing emptied has no segment: Whoosh gives one EmptyReader.
    return [(leaf, offset) for leaf, offset in reader.leaf_readers() if leaf.segment() is not None]


def _segment_columns(leaf) -> Columns:
    key = leaf.segment().segment_id()
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
    n = leaf.doc_count_all()
    if leaf.has_column("date"):
        raw = np.fromiter(leaf.column_reader("date", translate=False), dtype=np.uint64, count=n)
        day = np.where(raw == _MISSING_DATE, NO_DATE, raw // _US_PER_DAY + 1).astype(np.int32)
    else:
        day = np.zeros(n, np.int32)
    source = SOURCES.encode(list(leaf.column_reader("source"))) if leaf.has_column("source") \
        else np.full(n, NO_CODE, np.int32)
    dup = _cluster_codes(list(leaf.column_reader("dup"))) if leaf.has_column("dup") \
        else np.full(n, NO_CODE, np.int64)
    cols = Columns(day=day, source=source, dup=dup, key=_id_keys(leaf, n))
    with _LOCK:
        _CACHE[key] = cols
    return cols


def id_key(doc_id: str) -> int:
    """A document's tie-break key: a signed 64-bit hash of its id, the same everywhere."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _id_keys(leaf, n: int) -> np.ndarray:
    if not leaf.has_column("id"):
        return np.arange(n, dtype=np.int64)
    return np.fromiter((id_key(v) for v in leaf.column_reader("id")), dtype=np.int64, count=n)


_TOP: dict[tuple, Columns] = {}


def for_reader(reader) -> Columns:
    """The columns of every document of a (multi-segment) reader, by top-level docnum."""
    parts = leaves(reader)
    key = tuple(leaf.segment().segment_id() for leaf, _ in parts)
    found = _TOP.get(key)
    if found is None:
        cols = [_segment_columns(leaf) for leaf, _ in parts]
        if len(cols) == 1:
            found = cols[0]
        else:
            found = Columns(*(np.concatenate([getattr(c, f) for c in cols]) if cols else np.zeros(0, np.int32)
                              for f in ("day", "source", "dup", "key")))
        with _LOCK:
            _TOP.clear()  # the newest generation only
            _TOP[key] = found
    return found
