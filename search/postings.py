"""Posting lists and field lengths of one Whoosh segment, decoded into numpy arrays.

Whoosh scores a query by stepping its matchers one posting at a time in Python
(about a microsecond a posting, and the common words of a news corpus have tens
of thousands). Read whole, a posting list is a few zlib'd pickles per 128
postings; decoded into arrays, BM25 over it is one vectorized expression
(search/vectorized.py).

A segment never changes once written (deletions are kept beside it), so what is
decoded here is cached per process by segment id, shared by every thread and
searcher, and dropped least-recently-used past a byte budget.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from whoosh import formats

from . import codec

# Decoded postings kept per process (ids and term frequencies, 5 bytes a posting).
# 100k news articles hold ~30M postings; the words queried again and again are a
# small, hot part of them. Every server worker has its own: the sum counts in
# the server's memory.
CACHE_BYTES = 16 * 1024 * 1024
# Decoded blocks of stored values (character spans): phrases check positions and
# snippets mark words in the same few blocks of common words, query after query.
BLOCK_CACHE_BYTES = 6 * 1024 * 1024

# Segments whose length columns stay decoded (one float per document and field);
# segments merged away leave their entries behind until they fall out.
LENGTH_COLUMNS = 256

# Whoosh stores a field's length per document as one byte on a log scale.
_BYTE_TO_LENGTH = np.asarray(codec.LENGTH_OF_BYTE, dtype=np.float64)


@dataclass(frozen=True)
class PostingList:
    ids: np.ndarray  # segment docnums, ascending (int32)
    tfs: np.ndarray  # term frequency per posting (uint8 when whole and small, else float32)
    # (first posting, file offset, length, compression) of each block's data, to
    # fetch a posting's stored value (character spans) without walking the list.
    blocks: tuple[tuple[int, int, int, int], ...]

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.tfs.nbytes + 100 * len(self.blocks)


class _SharedLRU:
    """A least-recently-used cache under a byte budget, shared by every thread."""

    def __init__(self, budget: int):
        self.budget = budget
        self._items = LRUCache(budget, getsizeof=lambda item: item[1])
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def put(self, key, value, nbytes: int):
        if nbytes > self.budget // 4:
            return  # one huge list must not flush everything else
        with self._lock:
            if key not in self._items:
                self._items[key] = (value, nbytes)

    def clear(self):
        with self._lock:
            self._items.clear()


_postings = _SharedLRU(CACHE_BYTES)
_blocks = _SharedLRU(BLOCK_CACHE_BYTES)
_lengths: LRUCache = LRUCache(LENGTH_COLUMNS)
_lengths_lock = threading.Lock()


def segment_key(leaf) -> str:
    """A segment's identity across readers: its id, plus its size for safety."""
    seg = leaf.segment()
    return f"{seg.segment_id()}/{seg.doc_count_all()}"


def postings(leaf, fieldname: str, btext: bytes) -> PostingList | None:
    """The whole posting list of a term in one segment (deleted documents included)."""
    key = (segment_key(leaf), fieldname, btext)
    hit = _postings.get(key)
    if hit is not None:
        return hit[0]
    if (fieldname, btext) not in leaf:
        return None
    plist = _decode(codec.term_matcher(leaf, fieldname, btext))
    _postings.put(key, plist, plist.nbytes)
    return plist


def _decode(m) -> PostingList:
    stored = codec.blocks(m)
    if stored is None:  # an inlined list: step it
        ids, tfs = [], []
        while m.is_active():
            ids.append(m.id())
            tfs.append(m.weight())
            m.next()
        return PostingList(np.asarray(ids, np.int32), np.asarray(tfs, np.float32), ())
    ids, tfs, blocks = [], [], []
    start = 0
    for block in stored:
        n = block.length
        ids.append(np.cumsum(np.asarray(block.deltas, dtype=np.int64)).astype(np.int32))
        if block.weights is None:
            tfs.append(np.ones(n, np.float32))
        elif isinstance(block.weights, float):
            tfs.append(np.full(n, block.weights, np.float32))
        else:
            tfs.append(np.asarray(block.weights, np.float32))
        blocks.append((start, block.offset, block.size, block.compression))
        start += n
    return PostingList(np.concatenate(ids), _compact(np.concatenate(tfs)), tuple(blocks))


def _compact(tfs: np.ndarray) -> np.ndarray:
    """Whole term frequencies under 256 (nearly all) in one byte each, not four: the
    cache then holds 60% more postings in the same memory."""
    if len(tfs) and tfs.max() < 256 and np.array_equal(tfs, np.floor(tfs)):
        return tfs.astype(np.uint8)
    return tfs


def field_lengths(leaf, fieldname: str) -> np.ndarray:
    """Every document's length in a field, as Whoosh's scorers see it (decoded byte)."""
    key = (segment_key(leaf), fieldname)
    with _lengths_lock:
        found = _lengths.get(key)
    if found is not None:
        return found
    codes = np.zeros(leaf.doc_count_all(), np.uint8)
    raw = codec.length_bytes(leaf, fieldname)
    if raw is not None:
        codes[:len(raw)] = np.frombuffer(raw, np.uint8)
    lengths = _BYTE_TO_LENGTH[codes]
    with _lengths_lock:
        _lengths[key] = lengths
    return lengths


def live_mask(leaf) -> np.ndarray | None:
    """False for deleted documents of the segment; None when none are deleted."""
    if not leaf.has_deletions():
        return None
    mask = np.ones(leaf.doc_count_all(), bool)
    deleted = np.fromiter(leaf.deleted_docs_set, np.int64)
    mask[deleted[deleted < len(mask)]] = False
    return mask


def value_at(leaf, fieldname: str, plist: PostingList, index: int):
    """The stored value (encoded positions/characters) of posting `index` of a list."""
    return values_at(leaf, fieldname, plist, [index])[0]


def values_at(leaf, fieldname: str, plist: PostingList, indexes) -> list:
    """The stored values of the postings `indexes` (ascending) of a list, each block read once."""
    if not plist.blocks:
        raise LookupError("an inlined posting list keeps no block offsets")
    size = leaf.schema[fieldname].format.fixed_value_size()
    if size is not None and size >= 0:
        raise LookupError("fixed-size values are not kept per posting")
    segment = segment_key(leaf)
    blocks = plist.blocks
    out = []
    b = -1
    values = first = None
    end = -1
    for index in indexes:
        if index >= end:  # the next block that holds `index`
            b = bisect.bisect_right(blocks, (index, _MAX)) - 1
            first, offset, length, compression = blocks[b]
            end = blocks[b + 1][0] if b + 1 < len(blocks) else _MAX
            values = _block_values(leaf, segment, offset, length, compression)
        out.append(values[index - first])
    return out


def positions(format_, values: list) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) of every position stored in `values`, owner = index into `values`.

    Whoosh stores a posting's positions as a pickled list of deltas (Positions)
    or of (position, start, end) deltas (Characters). Unpickling stays per
    posting; the running sums that turn deltas into positions are vectorized.
    """
    if type(format_) not in (formats.Positions, formats.Characters):
        lists = [format_.decoder("positions")(v) for v in values]
        owner = np.repeat(np.arange(len(lists)), [len(p) for p in lists])
        return owner, np.asarray([p for pos in lists for p in pos], np.int64)
    lists = [codec.unpickle_value(v) for v in values]
    if type(format_) is formats.Positions:
        deltas = [d for codes in lists for d in codes]
    else:  # Characters: (position, start, end) deltas
        deltas = [code[0] for codes in lists for code in codes]
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    running = np.cumsum(np.asarray(deltas, np.int64))
    ends = np.cumsum(counts)
    # Each posting's sum restarts: subtract what the postings before it added.
    before = np.zeros(len(lists), np.int64)
    starts = ends - counts
    inner = (starts > 0) & (counts > 0)
    before[inner] = running[starts[inner] - 1]
    owner = np.repeat(np.arange(len(lists)), counts)
    return owner, running - before[owner]


def _block_values(leaf, segment: str, offset: int, length: int, compression: int):
    key = (segment, offset)
    hit = _blocks.get(key)
    if hit is not None:
        return hit[0]
    values, pickled = codec.block_values(leaf, offset, length, compression)
    # In memory, a tuple of small bytes objects: about four times its pickle
    # (measured with tracemalloc at 100k documents).
    _blocks.put(key, values, 4 * pickled + 64)
    return values


_MAX = float("inf")
