"""Every private name of Whoosh's on-disk format (codec whoosh3) that Lintas reads.

search/postings.py decodes whole posting lists and length columns into numpy
arrays, which Whoosh offers no public way to do. Everything it needs from
Whoosh's internals goes through this module, so that a Whoosh upgrade that moves
them breaks here, in one place, and tests/search/test_vectorized.py (numpy path
against Whoosh's matchers) says so.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import _length_byte_cache

# Whoosh stores a field's length per document as one byte on a log scale; this
# is the table that byte indexes.
LENGTH_OF_BYTE = _length_byte_cache
# A Characters/Positions value starts with an int (the term frequency).
VALUE_HEADER = _INT_SIZE


class Block(NamedTuple):
    """One block of a posting list (up to 128 postings), as stored."""

    deltas: list  # docnum deltas (the first from the previous block's last)
    weights: object  # None (all 1), one float for all, or a list
    length: int  # postings in the block
    offset: int  # file offset of the block's data (ids, weights, values)
    size: int  # bytes of that data
    compression: int  # zlib level, 0 = none


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
        deltas, weights, _values = m._data
        yield Block(deltas, weights, m._blocklength, m._dataoffset,
                    m._nextoffset - m._dataoffset, m._compression)
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
