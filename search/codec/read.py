"""Reading Whoosh's on-disk format (codec whoosh3) whole, and a few patches to its readers.

search/postings.py decodes whole posting lists and length columns into numpy
arrays, and search/sidecar_build.py reads a whole segment's postings to write
its sidecar, which Whoosh offers no public way to do; tests/search/test_vectorized.py
and tests/search/test_sidecar.py (numpy paths against Whoosh's matchers) say
when a Whoosh upgrade moves what this reads. It also replaces one Whoosh method,
W3PerDocReader._cached_reader (see there), writes a merged segment outside
a commit for search/merging.py, and reopens an index keeping the readers of its
unchanged segments (reopen).
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from itertools import accumulate, repeat
from typing import NamedTuple

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import _length_byte_cache

# Whoosh stores a field's length per document as one byte on a log scale; this
# is the table that byte indexes.
LENGTH_OF_BYTE = _length_byte_cache
# A Characters/Positions value starts with an int (the term frequency).
VALUE_HEADER = _INT_SIZE
# A block's byte length (negative for a list's last block), as Whoosh's StructFile writes it.
_BLOCK_LENGTH = struct.Struct("!i")


class Block(NamedTuple):
    """One block of a posting list (up to 128 postings), as stored."""

    deltas: list  # docnum deltas (the first from the previous block's last)
    weights: object  # None (all 1), one float for all, or a list
    length: int  # postings in the block
    offset: int  # file offset of the block's data (ids, weights, values)
    size: int  # bytes of that data
    compression: int  # zlib level, 0 = none
    values: tuple | None  # the postings' stored values (encoded positions/characters)


def term_matcher(leaf, fieldname: str, btext: bytes):
    """The raw matcher of one term in one segment, deleted documents included."""
    return leaf._terms.matcher(fieldname, btext, leaf.schema[fieldname].format)


def blocks(matcher) -> Iterator[Block] | None:
    """The blocks of a block-stored posting list; None for a list inlined in the term info."""
    if not isinstance(matcher, W3LeafMatcher):
        return None
    return _blocks(matcher)


def _blocks(m) -> Iterator[Block]:
    while not m._atend:
        m._read_data()
        deltas, weights, values = m._data
        yield Block(deltas, weights, m._blocklength, m._dataoffset,
                    m._nextoffset - m._dataoffset, m._compression, values)
        m._next_block()


def block_values(leaf, offset: int, size: int, compression: int) -> tuple[tuple, int]:
    """(stored values, pickle bytes) of one block: the values are encoded positions/characters."""
    data = leaf._terms._postfile.get(offset, size)
    if compression:
        data = zlib.decompress(data)
    return pickle.loads(data)[2], len(data)


def length_bytes(leaf, fieldname: str) -> bytes | None:
    """A segment's per-document length bytes for a field (None if it has none)."""
    column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return column._dbfile.get(column._basepos, min(leaf.doc_count_all(), column._count))


def unpickle_value(value: bytes):
    """A Positions/Characters value's list of deltas.

    Whoosh drops a pickle's final STOP opcode to save a byte per posting.
    """
    if value[-1:] != b".":
        value += b"."
    return pickle.loads(value[VALUE_HEADER:])


def unpickle_values(values) -> list[list]:
    """Many Positions/Characters values at once: one pickle.loads for all of them.

    Each value is an int header and a protocol-2 pickle of a list (its STOP
    sometimes dropped); their bodies laid end to end between MARK and LIST are
    one pickle of the list of those lists, which C unpickles in one call instead
    of one call per posting (the memo slots each one reuses are never read back).
    """
    body = b"".join(v[VALUE_HEADER:-1] if v[-1:] == b"." else v[VALUE_HEADER:] for v in values)
    return pickle.loads(b"(" + body + b"l.")


class RawBlock(NamedTuple):
    """One block of a posting list, decoded, for reading a segment whole."""

    ids: object  # docnums (a list inlined in its term info) or docnum deltas (a block)
    deltas: bool  # whether `ids` are deltas from the block's start (0)
    weights: object  # None (all 1), one float for all, or a sequence
    length: int
    values: tuple  # encoded positions/characters per posting


def field_postings(leaf, fieldname: str) -> Iterator[tuple[bytes, list[RawBlock]]]:
    """Every term of a field in term order, with its posting blocks.

    One pass over the term index and one read per posting list, not a term
    lookup and a matcher per term (two thirds of reading a segment whole).
    """
    terms = leaf._terms
    postfile = terms._postfile
    for (fname, btext), info in terms.items_from(fieldname, b""):
        if fname != fieldname:
            return
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            yield btext, [RawBlock(list(ids), False, list(weights), len(ids), tuple(values))]
            continue
        length = info._length
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps unpack's 1-tuple
            (length,) = length
        yield btext, list(_raw_blocks(postfile.get(info._offset, length)))


def _raw_blocks(data: bytes) -> Iterator[RawBlock]:
    pos = len(WHOOSH3_HEADER_MAGIC)  # a block list starts with the magic tag
    buf = io.BytesIO(data)
    while pos < len(data):
        (length,) = _BLOCK_LENGTH.unpack_from(data, pos)
        pos += _BLOCK_LENGTH.size
        end = pos + abs(length)
        buf.seek(pos)
        count, _maxid, _maxweight, compression, _minlen, _maxlen = pickle.load(buf)
        block = data[buf.tell():end]
        if compression:
            block = zlib.decompress(block)
        deltas, weights, values = pickle.loads(block)
        yield RawBlock(deltas, True, weights, count, values)
        pos = end
        if length < 0:  # the last block
            return


def merge_postings(leaf, schema, startdoc: int, docmap: dict | None) -> Iterator[tuple[str, list[tuple]]]:
    """Whoosh's SegmentReader.iter_postings as SegmentWriter._process_posts renumbers
    it for a merge, a term's postings at a time: (fieldname, [(fieldname, btext,
    new docnum, weight, value), ...]), deleted documents left out.

    Whoosh looks each term up again by hash and steps a matcher a posting at a
    time (24 small segments, 1,200 documents: 26 of 31 profiled seconds of a
    merge). Here each field's lists come whole from field_postings. Fields come
    in any order (the pool sorts); the postings, weights and values are the ones
    Whoosh's matchers give (tests/search/test_flush.py merges both ways).
    """
    deleted = leaf.deleted_docs_set if leaf.has_deletions() else ()
    for fieldname in sorted(set(leaf.indexed_field_names())):
        if fieldname not in schema:
            continue
        fixed = schema[fieldname].format.fixed_value_size()
        for btext, blocks in field_postings(leaf, fieldname):
            ids, weights, values = [], [], []
            for b in blocks:
                n = b.length
                ids += accumulate(b.ids) if b.deltas else b.ids
                w = b.weights
                weights += [1.0] * n if w is None else [w] * n if isinstance(w, float) else w
                if fixed is None or fixed < 0:
                    values += b.values[:n]
                elif fixed == 0:
                    values += [None] * n
                else:
                    values += [b.values[i:i + fixed] for i in range(0, len(b.values), fixed)]
            if deleted:
                keep = [i for i, d in enumerate(ids) if d not in deleted]
                if not keep:
                    continue
                if len(keep) < len(ids):
                    ids = [ids[i] for i in keep]
                    weights = [weights[i] for i in keep]
                    values = [values[i] for i in keep]
            new = [docmap[d] for d in ids] if docmap is not None else [startdoc + d for d in ids]
            yield fieldname, list(zip(repeat(fieldname), repeat(btext), new, weights, values))


# -- the HTTP writer's segments

def live_codec() -> W3Codec:
    """Whoosh's codec with its posting blocks left uncompressed.

    For the server writer's batch segments: zlib on each of their tiny blocks (one
    per distinct term, 200 terms per article) was a twentieth of a commit's CPU,
    for a few hundred KB saved on segments that the background merge (which writes
    with the default codec) replaces within a minute. Each block records its own
    compression, so readers need nothing.
    """
    return W3Codec(compression=0)


# -- a missing column remembered

def _cached_reader(self, fieldname, column):
    """W3PerDocReader._cached_reader, remembering a column the segment lacks too.

    Whoosh caches only the columns it found: for a field with no length column
    (not scorable: words, lsh, names_*) every doc_field_length call stats the
    file again, and a commit's flush calls it once per posting (a tenth of the
    HTTP writer's CPU). A segment's files never change once written, so a
    missing column stays missing for the reader's life.
    """
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


WHOOSH_CACHED_READER = W3PerDocReader._cached_reader  # Whoosh's own (tests/search/test_whoosh_quirks.py)
W3PerDocReader._cached_reader = _cached_reader


# -- the segment files a sidecar sits beside

# Whoosh's commit deletes every file named "<segment id>.<anything>" of a segment
# the new generation no longer has (whoosh.index.clean_files): a sidecar so named
# goes with its segment when a merge replaces it, with no hook of ours.
_SEGMENT_FILE = TOC._segment_pattern(_DEF_INDEX_NAME)


def segment_folder(leaf) -> str | None:
    """The directory of a segment's files; None when they are not plain files
    (a compound segment, an in-memory index)."""
    seg = leaf.segment()
    if seg is None or seg.is_compound():  # an empty index's reader has no segment
        return None
    return getattr(leaf.storage(), "folder", None)


def segment_fingerprint(leaf) -> list[int]:
    """Sizes of a segment's term and posting files: a cheap check, beside its id,
    that a sidecar was derived from these very files."""
    folder = segment_folder(leaf)
    seg = leaf.segment()
    return [os.path.getsize(os.path.join(folder, seg.make_filename(ext)))
            for ext in (W3Codec.TERMS_EXT, W3Codec.POSTS_EXT)]


def segment_of_file(name: str) -> str | None:
    """The segment id a file of the index directory belongs to, by Whoosh's naming."""
    m = _SEGMENT_FILE.match(name)
    return m.group(1) if m else None


class _MergeTarget:
    """What SegmentWriter reads of an index: a storage and an empty TOC under another index name."""

    def __init__(self, storage, schema, indexname: str):
        self.storage, self.indexname, self._schema = storage, indexname, schema

    def _read_toc(self):
        return TOC(self._schema, [], 0)


def merge_segments(index_dir: str, schema, segments, indexname: str, limitmb: int):
    """One new segment, under `indexname`, of the live documents of `segments` in order.

    Whoosh merges only inside a commit of the index's own writer; this writes the
    segment with no lock and no TOC (search/merging.py runs it in a child process
    and swaps the result in at the writer's next commit).
    """
    from whoosh.writing import SegmentWriter

    storage = FileStorage(index_dir)
    writer = SegmentWriter(_MergeTarget(storage, schema, indexname), _lk=False, compound=False, limitmb=limitmb)
    try:
        for seg in segments:
            reader = SegmentReader(storage, schema, seg)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        return writer._finalize_segment()
    finally:
        writer._finish()


def reopen(ix, reuse: dict, top: bool = True):
    """A reader of `ix`'s newest generation that takes from `reuse` (segment id -> open
    leaf reader; what it takes is popped) the leaves of unchanged segments. `top=False`:
    the caller uses only the reader's leaves (a sharded index builds its own top reader).

    Whoosh's own `ix.reader(reuse=...)` matches segments by id alone, so a reused
    segment keeps the deletions it had when opened (an update or delete since stays
    invisible), and it adds back segments a merge has removed. Here a leaf is reused
    only if its segment is still in the TOC with as many deletions: Whoosh never
    undeletes, so an equal count is the same set. Opening a leaf reads its term
    table's header, ~1 ms a segment, and leaves behind every lazily opened column and
    derived cache; a server thread after each commit re-opened every segment.
    """
    for attempt in range(10):
        try:
            return _reopen_once(ix, reuse, top)
        except OSError:
            # A commit replaced the TOC or removed files while we read it: try again,
            # as Whoosh's ix.reader() does.
            if attempt == 9:
                raise


def _reopen_once(ix, reuse: dict, top: bool):
    toc = ix._read_toc()
    segments = list(toc.segments)
    taken, opened = {}, []
    for seg in segments:
        old = reuse.get(seg.segment_id())
        if (old is not None and not old.is_closed and (len(segments) > 1 or not top)
                and old.segment().deleted_count() == seg.deleted_count()):
            taken[seg.segment_id()] = old
    try:
        readers = []
        for seg in segments:
            leaf = taken.get(seg.segment_id())
            if leaf is None:
                leaf = SegmentReader(ix.storage, toc.schema, seg, generation=toc.generation)
                opened.append(leaf)
            readers.append(leaf)
    except BaseException:
        for leaf in opened:
            leaf.close()
        raise
    for segid in taken:
        del reuse[segid]
    if not readers:
        return EmptyReader(toc.schema)
    # A lone segment gets a reader of its own: a reused one would report the
    # generation it was opened at (a SegmentReader is its own top reader then).
    return readers[0] if len(readers) == 1 else MultiReader(readers, generation=toc.generation)
