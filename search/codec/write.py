"""A segment's postings written term by term, not posting by posting: Whoosh's bytes, less CPU.

Whoosh's FieldWriter.add_postings turns a segment's sorted postings into one
call chain per posting (W3FieldWriter.add -> W3PostingsWriter.add_posting with
its asserts, a doc_field_length lookup, per-posting statistics), two fifths of
indexing's CPU. This one groups the postings of each term and writes its blocks
and term info from those lists, with C doing the per-posting loops (zip, map,
array, min/max over the length bytes). Every flush goes through it: a commit, a
merge at commit, Whoosh's multiprocessing workers (forked after this module is
imported) and codec.merge_segments. The files are byte for byte Whoosh's own
(tests/search/test_flush.py writes the same documents both ways), but for a
block's small pickle, stored uncompressed (COMPRESS_FROM).

It also replaces SegmentWriter.add_document, to put each field's postings
into the pool as one list rather than one PostingPool.add per posting,
SegmentWriter.add_postings_to_pool, to read a merged segment's postings whole
(codec.merge_postings) rather than a term lookup and a matcher per term, and
SegmentWriter._finalize_segment, to write the finished segment's sidecar from
the postings its flush handed to the capture registered by
search/sidecar_build.py (which would otherwise read them back from the blocks).
A document's text fields are analyzed by analyzers.chain's one loop rather than
Whoosh's token stream (`_fused_items`), which also hands a sidecar field's
occurrences to that capture, and the pool sorts by two key sorts (`_sort_postings`).
"""

from __future__ import annotations

import os
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
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filetables import _lengths as _record_lengths_struct
from whoosh.formats import Characters, Existence, Positions
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.text import utf8encode
from whoosh.writing import PostingPool, SegmentWriter

from analyzers.chain import index_occurrences

from .read import merge_postings

WHOOSH_ADD_POSTINGS = FieldWriter.add_postings  # Whoosh's own (tests/search/test_flush.py)

# A block's pickle shorter than this is stored as it is: zlib saved about 1 byte of the
# ~90 of a body's one-posting block (and made 7 in 10 longer), at ~7.5 us a call, a
# twentieth of a build. Whoosh meant the same below 20 bytes (W3PostingsWriter._write_block,
# where a line that follows undoes it); each block records its compression, so readers
# need nothing.
COMPRESS_FROM = 128

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


def add_postings(self, schema, lengths, items):
    """W3FieldWriter.add_postings, one term at a time."""
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
    lastfield = lasttext = fieldobj = lenbytes = None
    hook = _sidecars
    wanted = hook.fields(schema) if hook is not None else ()
    fields = {}
    captured = None
    # Each sidecar field's occurrences as the segment's documents were added (_fused_items).
    collected = getattr(self, "lintas_occurrences", None) or {}
    for (fieldname, btext), group in groupby(items, _term_key):
        if fieldname != lastfield:
            if lastfield is not None:
                if fieldname < lastfield:
                    raise OutOfOrderError(f"Field {lastfield!r} .. {fieldname!r}")
                terms.flush()
                self.finish_field()
                if captured is not None:
                    fields[lastfield] = hook.arrays(fieldobj, captured, lenbytes, doccount,
                                                    collected.get(lastfield))
            fieldobj = schema[fieldname]
            self.start_field(fieldname, fieldobj)
            fieldid = self._fieldid
            fixed = fieldobj.format.fixed_value_size()
            lenbytes = _length_bytes(lengths, fieldname, doccount) if lengths is not None else None
            captured = [] if fieldname in wanted else None
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
        if n == 1:
            # Most terms of a live batch's segment are in one document (a few thousand a
            # commit): the loop below, for one posting, with the same values.
            block_bytes, total, tminlen, tmaxlen, tmaxw = _one_posting(
                docs[0], weights[0], values[0], lenbytes, fixed, comp)
            postfile.write(block_bytes)
            terms.add(pack_ushort(fieldid) + btext,
                      _pack_terminfo(False, total, 1, 0 if tminlen is None else length_to_byte(tminlen),
                                     length_to_byte(tmaxlen), tmaxw, docs[0], docs[0])
                      + pack_long(offset) + pack_int(len(block_bytes)))
            offset += len(block_bytes)
            if captured is not None:
                captured.append((btext, docs, weights, values))
            continue
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
            gaps = tuple(map(sub, bd, chain((0,), bd)))
            if len(gaps) > 1 and min(gaps[1:]) <= 0:
                raise OutOfOrderError(f"docnums of {fieldname}:{btext!r} do not rise")
            data = dumps((gaps, mini_w, mini_v), 2)
            c = comp if len(data) >= COMPRESS_FROM else 0
            if c:
                data = zlib.compress(data, c)
            info = dumps((len(bd), bd[-1], mw, c, length_to_byte(minlen), length_to_byte(maxlen)), 2)
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
            fields[lastfield] = hook.arrays(fieldobj, captured, lenbytes, doccount, collected.get(lastfield))
    if hook is not None and lengths is not None:
        self.lintas_sidecar = (doccount, fields)


def _one_posting(doc: int, weight: float, value, lenbytes, fixed, comp):
    """The block list of a term in one document, and its term info's statistics:
    what add_postings' block loop computes for n == 1 (tests/search/test_flush.py)."""
    wf = array("f", (weight,))[0]  # as the block's weight array stores it
    mw = weight if weight > 0 else 0
    top = lenbytes[doc] if lenbytes is not None else 0
    maxlen = byte_to_length(top) if top else 0
    minlen = maxlen if top else None
    if fixed is None or fixed < 0:
        mini_v = (value,) if value else ()
    elif fixed == 0:
        mini_v = None
    else:
        mini_v = value or b""
    data = dumps(((doc,), None if wf == 1.0 else wf, mini_v), 2)
    c = comp if len(data) >= COMPRESS_FROM else 0
    if c:
        data = zlib.compress(data, c)
    info = dumps((1, doc, mw, c, length_to_byte(minlen), length_to_byte(maxlen)), 2)
    block = b"".join((WHOOSH3_HEADER_MAGIC, pack_int(-(len(info) + len(data))), info, data))
    return block, 0 + wf, minlen, maxlen, max(0, mw)


# -- a document's postings into the pool, a field at a time

def add_document(self, **fields):
    """SegmentWriter.add_document with each field's postings added to the pool at once.

    Whoosh calls PostingPool.add (type asserts, a size estimate) once per
    posting; this extends the pool's list by a field's postings, with the same
    size accounting summed. The pool may spill a run at a field's end rather
    than mid-field: runs are merged sorted, so the flush sees the same postings.
    """
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    pool = self.pool

    docboost = self._doc_boost(fields)
    fieldnames = sorted([name for name in fields.keys() if not name.startswith("_")])
    self._check_fields(schema, fieldnames)

    vbytes = None  # Whoosh's spelling postings take the last posting's value
    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]

            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                items = _fused_items(self, fieldname, field, value, fieldboost)
                if items is None:
                    items = list(field.index(value))
                if field.scorable:
                    length = sum(map(_second, items))
                if items:
                    vbytes = items[-1][3]
                    posts = [(fieldname, tbytes, docnum, weight * fieldboost, vbytes)
                             for tbytes, _freq, weight, vbytes in items]
                    _pool_extend(pool, fieldname, posts)

            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    word = utf8encode(word)[0]
                    pool.add((spellfield, word, 0, 1, vbytes))

            vformat = field.vector
            if vformat:
                vitems = vformat.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)

            customval = fields.get("_stored_%s" % fieldname, value)
            sv = customval if field.stored else None
            perdocwriter.add_field(fieldname, field, sv, length)

            column = field.column_type
            if column and customval is not None:
                cv = field.to_column_value(customval)
                perdocwriter.add_column_value(fieldname, column, cv)
    except Exception as ex:
        perdocwriter.cancel_doc()
        raise ex

    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


_FUSED_FORMATS = (Positions, Characters)


def _fused_items(self, fieldname: str, field, value, fieldboost: float) -> list[tuple] | None:
    """field.index(value) for a text field with positions, from analyzers.chain's one-loop
    analysis (the same items: tests/search/test_flush.py), handing a sidecar field's
    occurrences to the flush's collector on the way, or for an Existence field given its
    tokens; None when neither applies."""
    fmt = field.format
    if type(fmt) is Existence and isinstance(value, (list, tuple)):
        # Tokens already (the words field, search/indexer.to_fields): Whoosh's entoken, no analysis.
        return [(utf8encode(w)[0], 1, fmt.field_boost, b"") for w in set(value)]
    if type(fmt) not in _FUSED_FORMATS or not isinstance(value, str):
        return None
    chars = type(fmt) is Characters
    seen = index_occurrences(field.analyzer, value, chars)
    if seen is None:
        return None
    fb = fmt.field_boost
    items = []
    append = items.append
    for term, occs in seen.items():
        n = len(occs)
        if n == 1:  # most of a document's terms
            occ = occs[0]
            deltas = [(occ[0], occ[1], occ[2] - occ[1])] if chars else occs
        elif chars:
            deltas = []
            pos_base = char_base = 0
            for pos, start, end in occs:
                deltas.append((pos - pos_base, start - char_base, end - start))
                pos_base, char_base = pos, end
        else:
            deltas = list(map(sub, occs, chain((0,), occs)))
        append((utf8encode(term)[0], n, n * 1.0 * fb, pack_uint(n) + dumps(deltas, 2)))
    collectors = self.__dict__.get("_lintas_occurrences")
    if collectors is None:
        collectors = self._lintas_occurrences = {}
    collector = collectors.get(fieldname, False)
    if collector is False:
        hook = _sidecars
        collector = collectors[fieldname] = (
            hook.collector(field) if hook is not None and fieldname in hook.fields(self.schema) else None)
    if collector is not None:
        if fb * fieldboost != 1.0:
            collector.complete = False  # weights that are not counts: the values' way
        else:
            collector.add(self.docnum, [item[0] for item in items], list(seen.values()))
    return items


# PostingPool.add's estimate of a posting's memory: 150 bytes + the field name, twice the
# term's bytes and the value's.
_POSTING_BYTES = 150


def _pool_extend(pool, fieldname: str, posts: list[tuple]) -> None:
    """PostingPool.add for a list of one field's postings."""
    pool.fieldnames.add(fieldname)
    pool.currentsize += (len(posts) * (_POSTING_BYTES + len(fieldname))
                         + 2 * sum(map(len, map(_second, posts)))
                         + sum(map(len, filter(None, map(_fifth, posts)))))
    if pool.currentsize > pool.limit:
        pool.save()
    pool.current.extend(posts)
    gauge = _gauge
    if gauge is not None:
        fill = pool.currentsize / pool.limit
        if fill > gauge.value:
            gauge.value = fill


# -- how full the pools are

# A pool past its budget spills a sorted run to disk and merges the runs back in
# Python at the flush: 2.3x the CPU of a whole build (20k bench documents, two
# workers of 512 MB: 9.5 CPU ms a document, 4.2 with no spill). A writer that
# commits before its pools are full never spills; the fill of the fullest pool of
# this process and of the workers it forks is kept in shared memory for it to see.
_gauge = None


def pool_fill_gauge():
    """The shared value (0 = empty, 1 = a pool at its budget) of the fullest pool that
    this process or a worker it forks later fills; created on first call, before the fork."""
    global _gauge
    if _gauge is None:
        from multiprocessing.sharedctypes import RawValue

        _gauge = RawValue("d", 0.0)
    return _gauge


_first = itemgetter(0)
_second = itemgetter(1)
_fifth = itemgetter(4)


# -- the pool's sort

def _sort_postings(postings: list[tuple]) -> None:
    """Sort a pool's postings in place into the order of Whoosh's tuple sort.

    Two stable sorts on one key each (term, then field) are ~2.4x faster than
    comparing whole tuples, and equal to it because a (field, term)'s postings
    enter the pool in docnum order: documents are numbered as they are added,
    and a merge adds each segment's postings in order after them. The flush
    refuses a list whose docnums do not rise (add_postings), so a break of that
    order is an error, not a wrong index.
    """
    postings.sort(key=_second)
    postings.sort(key=_first)


def _pool_items(self, maxfiles=128):
    """PostingPool.items (SortingPool's): the postings in order, sorted in place when in memory."""
    if not self.runs:
        _sort_postings(self.current)
        return self.current
    return WHOOSH_POOL_ITEMS(self, maxfiles)  # saves the rest as a run (_pool_save), merges the runs


def _pool_save(self):
    """SortingPool.save: the postings in memory written as one sorted run."""
    current = self.current
    if current:
        _sort_postings(current)
        path, f = self._new_run()
        self._write_run(f, current)
        self._add_run(path)
        self.current = []


WHOOSH_POOL_ITEMS = PostingPool.items
WHOOSH_POOL_SAVE = PostingPool.save
PostingPool.items = _pool_items
PostingPool.save = _pool_save

WHOOSH_ADD_DOCUMENT = SegmentWriter.add_document
SegmentWriter.add_document = add_document


# -- a merged segment's postings into the pool, a term at a time

def add_postings_to_pool(self, reader, startdoc, docmap):
    """SegmentWriter.add_postings_to_pool (a merge's, for each segment it reads),
    with the segment read whole by codec.merge_postings instead of term lookup
    by term lookup and PostingPool.add by PostingPool.add."""
    self._lintas_merged = True  # postings that are no document's: the collectors lack them
    if not isinstance(reader, SegmentReader) or not hasattr(reader._terms, "_tindex"):
        return WHOOSH_ADD_POSTINGS_TO_POOL(self, reader, startdoc, docmap)
    pool = self.pool
    for fieldname, posts in merge_postings(reader, self.schema, startdoc, docmap):
        _pool_extend(pool, fieldname, posts)


WHOOSH_ADD_POSTINGS_TO_POOL = SegmentWriter.add_postings_to_pool
SegmentWriter.add_postings_to_pool = add_postings_to_pool


# -- sidecars from the flush

_sidecars = None  # search/sidecar_build.FlushCapture, once registered


def capture_sidecars(hook) -> None:
    """Have every flush through add_postings hand its sidecar fields' postings to `hook`.

    hook.fields(schema): the fields to capture; hook.arrays(fieldobj, terms,
    length bytes, doccount): a field's arrays from its (btext, docnums, weights,
    values) terms; hook.write(folder, segment id, docs, file sizes, fields): once
    the segment is finished, if its files are plain files.
    """
    global _sidecars
    _sidecars = hook


def _finalize_segment(self):
    """SegmentWriter._finalize_segment, then the sidecar its flush captured."""
    if not self.__dict__.get("_lintas_merged"):
        self.fieldwriter.lintas_occurrences = self.__dict__.get("_lintas_occurrences")
    segment = WHOOSH_FINALIZE_SEGMENT(self)
    captured = getattr(self.fieldwriter, "lintas_sidecar", None)
    folder = getattr(self.storage, "folder", None)
    if captured is not None and _sidecars is not None and folder and not segment.is_compound():
        doccount, fields = captured
        if doccount == segment.doc_count_all():
            sizes = [os.path.getsize(os.path.join(folder, segment.make_filename(ext)))
                     for ext in (W3Codec.TERMS_EXT, W3Codec.POSTS_EXT)]
            _sidecars.write(folder, segment.segment_id(), doccount, sizes, dict(sorted(fields.items())))
    after = self.__dict__.get("lintas_after_segment")
    if after is not None:
        # Before the TOC names the segment: what a search worker derives from it is
        # then on disk when the worker first sees it.
        after(segment)
    return segment


WHOOSH_FINALIZE_SEGMENT = SegmentWriter._finalize_segment
SegmentWriter._finalize_segment = _finalize_segment


W3FieldWriter.add_postings = add_postings
