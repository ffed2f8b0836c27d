"""Posting lists and field lengths of one Whoosh segment, as numpy arrays.

Whoosh scores a query by stepping its matchers one posting at a time in Python
(about a microsecond a posting, and the common words of a news corpus have tens
of thousands). As arrays, BM25 over a list is one vectorized expression
(search/vectorized.py).

The arrays come from the segment's sidecar (search/sidecar.py): slices read
from a file that every worker and thread shares through the page cache, with
nothing to decode. A segment without a usable sidecar (an index written
before sidecars, one being rewritten) has its lists decoded from Whoosh's own
blocks on each read, slower but the same: tests/search/test_sidecar.py holds the
two equal.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from dataclasses import dataclass

import numpy as np
from whoosh import formats

from . import codec, sidecar

# Whoosh stores a field's length per document as one byte on a log scale.
_BYTE_TO_LENGTH = np.asarray(codec.LENGTH_OF_BYTE, dtype=np.float64)


@dataclass(frozen=True)
class PostingList:
    ids: np.ndarray  # segment docnums, ascending
    tfs: np.ndarray  # term frequency (weight) per posting
    # Whoosh's blocks: (first posting, file offset, length, compression) of each
    # block's data, to fetch a posting's stored value without walking the list.
    blocks: tuple[tuple[int, int, int, int], ...] = ()
    # From a sidecar: the field's arrays, and this list's first posting in them.
    field: sidecar.FieldPostings | None = None
    first: int = 0


def segment_key(leaf) -> str:
    """A segment's identity across readers: its id, plus its size for safety."""
    seg = leaf.segment()
    return f"{seg.segment_id()}/{seg.doc_count_all()}"


def postings(leaf, fieldname: str, btext: bytes) -> PostingList | None:
    """The whole posting list of a term in one segment (deleted documents included)."""
    fp = sidecar.field_of(leaf, fieldname)
    if fp is not None:
        t, a, b = fp.lookup(btext)
        if t < 0:
            return None
        ids, occ, tfs = fp.lists(t, a, b)
        if tfs is None:
            tfs = occ[1:] - occ[:-1]  # np.diff's own checks cost more than this subtraction
        return PostingList(ids, tfs, field=fp, first=a)
    return whoosh_postings(leaf, fieldname, btext)


def whoosh_postings(leaf, fieldname: str, btext: bytes) -> PostingList | None:
    """The posting list decoded from Whoosh's own blocks (a segment without sidecar)."""
    if (fieldname, btext) not in leaf:
        return None
    return _decode(codec.term_matcher(leaf, fieldname, btext))


def _decode(m) -> PostingList:
    stored = codec.blocks(m)
    if stored is None:  # an inlined list: step it
        ids, tfs = [], []
        while m.is_active():
            ids.append(m.id())
            tfs.append(m.weight())
            m.next()
        return PostingList(np.asarray(ids, np.int32), np.asarray(tfs, np.float32))
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
    return PostingList(np.concatenate(ids), np.concatenate(tfs), tuple(blocks))


def lengths_of(leaf, fieldname: str, ids: np.ndarray) -> np.ndarray:
    """The lengths in a field of the documents `ids`, as Whoosh's scorers see them."""
    fp = sidecar.field_of(leaf, fieldname)
    if fp is not None and fp.lengths is not None:
        return _BYTE_TO_LENGTH[fp.lengths[ids]]
    return _whoosh_lengths(leaf, fieldname)[ids]


# Length columns decoded from Whoosh, per segment reader (segments with no sidecar
# only): they go with their reader.
_lengths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lengths_lock = threading.Lock()


def _whoosh_lengths(leaf, fieldname: str) -> np.ndarray:
    with _lengths_lock:
        found = _lengths.get(leaf, {}).get(fieldname)
    if found is not None:
        return found
    codes = np.zeros(leaf.doc_count_all(), np.uint8)
    raw = codec.length_bytes(leaf, fieldname)
    if raw is not None:
        codes[:len(raw)] = np.frombuffer(raw, np.uint8)
    lengths = _BYTE_TO_LENGTH[codes]
    with _lengths_lock:
        _lengths.setdefault(leaf, {})[fieldname] = lengths
    return lengths


def live_mask(leaf) -> np.ndarray | None:
    """False for deleted documents of the segment; None when none are deleted."""
    if not leaf.has_deletions():
        return None
    mask = np.ones(leaf.doc_count_all(), bool)
    deleted = np.fromiter(leaf.deleted_docs_set, np.int64)
    mask[deleted[deleted < len(mask)]] = False
    return mask


def positions_of(leaf, fieldname: str, plist: PostingList, indexes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) of every position of the postings `indexes` (ascending) of a
    list, owner = index into `indexes`: what a phrase intersects."""
    fp = plist.field
    if fp is None or fp.pos is None:
        fmt = leaf.schema[fieldname].format
        return positions(fmt, values_at(leaf, fieldname, plist, np.asarray(indexes).tolist()))
    g = np.asarray(indexes, np.int64)
    if not len(g):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # One read of the run of occ the postings span (a file read each, not an array view).
    first = plist.first + int(g[0])
    run = fp.occ[first:plist.first + int(g[-1]) + 2].astype(np.int64)
    g = g - int(g[0])
    lo = run[g]
    counts = run[g + 1] - lo
    owner = np.repeat(np.arange(len(g)), counts)
    # Each posting's occurrences are a run from its `lo`: the runs laid end to end.
    at = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return owner, fp.pos[at].astype(np.int64)


def spans_at(leaf, fieldname: str, plist: PostingList, index: int) -> list[tuple[int, int, int]]:
    """(position, start char, end char) of every occurrence in posting `index` of a list."""
    fp = plist.field
    if fp is None or fp.starts is None:
        decode = leaf.schema[fieldname].format.decoder("characters")
        return decode(values_at(leaf, fieldname, plist, [index])[0])
    g = plist.first + index
    a, b = fp.occ[g:g + 2].tolist()
    starts = fp.starts[a:b].astype(np.int64)
    ends = starts + fp.lens[a:b]
    return list(zip(fp.pos[a:b].tolist(), starts.tolist(), ends.tolist()))


def spans_of(leaf, fieldname: str, btext: bytes, docnum: int) -> list[tuple[int, int]]:
    """(start char, end char) of every occurrence of a term in one document of the
    segment, [] if it has none: what a snippet marks. From a sidecar: a binary
    search in the term's ids and the document's spans, nothing else of its list."""
    fp = sidecar.field_of(leaf, fieldname)
    if fp is not None and fp.starts is not None:
        t, a, b = fp.lookup(btext)
        if t < 0:
            return []
        ids, occ, _tfs = fp.lists(t, a, b)
        i = int(np.searchsorted(ids, docnum))
        if i == len(ids) or ids[i] != docnum:
            return []
        lo, hi = int(occ[i]), int(occ[i + 1])
        starts = fp.starts[lo:hi].astype(np.int64)
        return list(zip(starts.tolist(), (starts + fp.lens[lo:hi]).tolist()))
    plist = postings(leaf, fieldname, btext)
    if plist is None:
        return []
    i = int(np.searchsorted(plist.ids, docnum))
    if i == len(plist.ids) or plist.ids[i] != docnum:
        return []
    return [(start, end) for _pos, start, end in spans_at(leaf, fieldname, plist, i)]


def values_at(leaf, fieldname: str, plist: PostingList, indexes) -> list:
    """Whoosh's stored values (encoded positions/characters) of the postings `indexes`
    (ascending) of a list decoded from Whoosh, each block read once."""
    if not plist.blocks:
        raise LookupError("an inlined or sidecar posting list keeps no block offsets")
    size = leaf.schema[fieldname].format.fixed_value_size()
    if size is not None and size >= 0:
        raise LookupError("fixed-size values are not kept per posting")
    blocks = plist.blocks
    out = []
    values = first = None
    end = -1
    for index in indexes:
        if index >= end:  # the next block that holds `index`
            b = bisect.bisect_right(blocks, (index, _MAX)) - 1
            first, offset, length, compression = blocks[b]
            end = blocks[b + 1][0] if b + 1 < len(blocks) else _MAX
            values, _size = codec.block_values(leaf, offset, length, compression)
        out.append(values[index - first])
    return out


def positions(format_, values: list) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) of every position stored in `values`, owner = index into `values`.

    Whoosh stores a posting's positions as a pickled list of deltas (Positions)
    or of (position, start, end) deltas (Characters): unpickled in one call
    (codec.unpickle_values), the running sums vectorized.
    """
    if type(format_) not in (formats.Positions, formats.Characters):
        lists = [format_.decoder("positions")(v) for v in values]
        owner = np.repeat(np.arange(len(lists)), [len(p) for p in lists])
        return owner, np.asarray([p for pos in lists for p in pos], np.int64)
    lists = codec.unpickle_values(values)
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


_MAX = float("inf")
