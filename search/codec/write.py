"""A segment's postings written term by term, not posting by posting: Whoosh's bytes, less CPU.

Whoosh's FieldWriter.add_postings turns a segment's sorted postings into one
call chain per posting (W3FieldWriter.add -> W3PostingsWriter.add_posting with
its asserts, a doc_field_length lookup, per-posting statistics), two fifths of
indexing's CPU. This one groups the postings of each term and writes its blocks
and term info from those lists, with C doing the per-posting loops (zip, map,
array, min/max over the length bytes). Every flush goes through it: a commit, a
merge at commit, Whoosh's multiprocessing workers (forked after this module is
imported) and codec.merge_segments. The files are byte for byte Whoosh's own
(tests/search/test_flush.py writes the same documents both ways).

When it is told to, it also hands each flushed field's postings to a capture
(search/sidecar_build.py), which would otherwise read them back from the
segment's blocks.
"""

from __future__ import annotations

import zlib
from array import array
from hashlib import md5
from itertools import chain, groupby
from operator import itemgetter, sub
from pickle import dumps

from whoosh.codec.base import FieldWriter, OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3FieldWriter,
    W3PerDocReader,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filetables import _lengths as _record_lengths_struct
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

WHOOSH_ADD_POSTINGS = FieldWriter.add_postings  # Whoosh's own (tests/search/test_flush.py)

_term_key = itemgetter(0, 1)
_pack_terminfo = W3TermInfo._struct.pack
_record_lengths = _record_lengths_struct.pack


def _length_bytes(lengths, fieldname: str, doccount: int) -> bytes | None:
    """The new segment's length byte per document for a field; None when it has no length column."""
    column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    raw = column._dbfile.get(column._basepos, min(doccount, column._count))
    return raw + bytes(doccount + 1 - len(raw))  # a document past the column has byte 0: no length


class _TermTable:
    """OrderedHashWriter.add for many terms: the same records, hashes and key index, written per field.

    Keys come in order (a field's terms sorted, fields in order), as the
    OrderedHashWriter checks one by one.
    """

    def __init__(self, tindex):
        self.tindex = tindex
        self.dbfile = tindex.dbfile
        self.pos = self.dbfile.tell()
        self.buckets = tindex.buckets
        self.index = tindex.index
        self.records: list[bytes] = []
        if tindex.hashtype != 0:
            raise ValueError(f"unexpected term table hash type {tindex.hashtype}")

    def add(self, key: bytes, value: bytes) -> None:
        pos = self.pos
        self.index.append(pos)
        record = _record_lengths(len(key), len(value)) + key + value
        self.records.append(record)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")  # filetables.md5_hash
        self.buckets[h & 255].append((h, pos))
        self.pos = pos + len(record)
        self.last = key

    def flush(self) -> None:
        if self.records:
            self.dbfile.write(b"".join(self.records))
            self.records = []
            self.tindex.lastkey = self.last


def add_postings(self, schema, lengths, items, capture=None):
    """W3FieldWriter.add_postings, one term at a time.

    `capture(fieldname, fieldobj, terms)` (when given) receives each field's terms
    as (btext, docnums, weights, values) tuples once the field is written.
    """
    codec = self._codec
    if codec._inlinelimit > 1 or not isinstance(lengths, (W3PerDocReader, type(None))):
        # Inlined lists and the multiprocessing writer's merged length reader: Whoosh's way.
        return WHOOSH_ADD_POSTINGS(self, schema, lengths, items)
    blocklimit = codec._blocklimit
    comp = codec._compression
    postfile = self._postfile
    offset = postfile.tell()  # only this writes to the postings file meanwhile
    terms = _TermTable(self._tindex)
    doccount = lengths.doc_count_all() if lengths is not None else 0
    lastfield = lasttext = fieldobj = None
    captured = None
    for (fieldname, btext), group in groupby(items, _term_key):
        if fieldname != lastfield:
            if lastfield is not None:
                if fieldname < lastfield:
                    raise OutOfOrderError(f"Field {lastfield!r} .. {fieldname!r}")
                terms.flush()
                self.finish_field()
                if captured is not None:
                    capture(lastfield, fieldobj, captured)
            fieldobj = schema[fieldname]
            self.start_field(fieldname, fieldobj)
            fieldid = self._fieldid
            fixed = fieldobj.format.fixed_value_size()
            lenbytes = _length_bytes(lengths, fieldname, doccount) if lengths is not None else None
            captured = [] if capture is not None and capture.wants(fieldname, fieldobj) else None
            lastfield, lasttext = fieldname, None
        elif btext < lasttext:
            raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
        lasttext = btext
        _f, _t, docs, weights, values = zip(*group)
        if docs[0] == -1:  # Whoosh's spelling-graph postings (sorted first): no posting
            skip = docs.count(-1)
            if skip == len(docs):
                continue
            docs, weights, values = docs[skip:], weights[skip:], values[skip:]
        n = len(docs)
        out = [WHOOSH3_HEADER_MAGIC]
        total = 0
        tmaxw = 0
        tminlen, tmaxlen = None, 0
        for i in range(0, n, blocklimit):
            if n > blocklimit:
                bd, bw, bv = docs[i:i + blocklimit], weights[i:i + blocklimit], values[i:i + blocklimit]
            else:
                bd, bw, bv = docs, weights, values
            # W3PostingsWriter.add_posting's statistics and _write_block's minified lists.
            wa = array("f", bw)
            total += sum(wa)
            mw = max(bw)
            if not mw > 0:
                mw = 0
            if lenbytes is None:
                minlen, maxlen = None, 0
            else:
                lb = bytes(map(lenbytes.__getitem__, bd))
                top = max(lb)
                maxlen = byte_to_length(top) if top else 0
                low = min(lb)
                if not low:
                    lb = lb.replace(b"\0", b"")
                    low = min(lb) if lb else 0
                minlen = byte_to_length(low) if low else None
            nw = len(wa)
            if wa.count(1.0) == nw:
                mini_w = None
            elif wa.count(wa[0]) == nw:
                mini_w = wa[0]
            else:
                mini_w = tuple(wa)
            if fixed is None or fixed < 0:
                mini_v = tuple(filter(None, bv))
            elif fixed == 0:
                mini_v = None
            else:
                mini_v = b"".join(filter(None, bv))
            data = dumps((tuple(map(sub, bd, chain((0,), bd))), mini_w, mini_v), 2)
            if comp:
                data = zlib.compress(data, comp)
            info = dumps((len(bd), bd[-1], mw, comp, length_to_byte(minlen), length_to_byte(maxlen)), 2)
            size = len(info) + len(data)
            out += (pack_int(-size if i + blocklimit >= n else size), info, data)
            # W3TermInfo.add_block
            if tminlen is None:
                tminlen = minlen
            else:
                tminlen = min(tminlen, minlen)
            tmaxlen = max(tmaxlen, maxlen)
            tmaxw = max(tmaxw, mw)
        block_bytes = b"".join(out)
        postfile.write(block_bytes)
        terms.add(pack_ushort(fieldid) + btext,
                  _pack_terminfo(False, total, n, 0 if tminlen is None else length_to_byte(tminlen),
                                 length_to_byte(tmaxlen), tmaxw, docs[0], docs[-1])
                  + pack_long(offset) + pack_int(len(block_bytes)))
        offset += len(block_bytes)
        if captured is not None:
            captured.append((btext, docs, weights, values))
    if lastfield is not None:
        terms.flush()
        self.finish_field()
        if captured is not None:
            capture(lastfield, fieldobj, captured)


W3FieldWriter.add_postings = add_postings
