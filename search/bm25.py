"""BM25F with the BM25 (Robertson/Sparck Jones) idf, as Lucene computes it.

Whoosh's BM25F inherits the TF-IDF idf of its base class, 1 + log(N / (df + 1)):
a word found in half the documents still weighs 1.7 against 8 for a word found
in one document in a thousand. BM25's own idf, log(1 + (N - df + 0.5) / (df + 0.5)),
weighs the first 0.69 against 6.9: words every passage has ("tahun", "nama",
"pertama", kept off the stop list because news searches do ask for them) stop
outvoting the rare word that names the topic.

Measured on the full dev half (bench/relevance.py --no-fts5, MRR@10, Engine's
weighting() patched to this class, everything else as on main):
  fa parsinlu 0.7194 -> 0.7195, pqa 0.9220 -> 0.9235, pquad 0.9396 -> 0.9397,
     macro 0.8603 -> 0.8609;
  id facqa 0.8220 -> 0.8231, tydi 0.6651 -> 0.6740 (Lucene 0.667), macro 0.7435 -> 0.7486.

N is the number of documents of the field's language (Lucene's docCount: the
documents that have the field), not of the whole index: in a mixed index a
Persian word's weight must not grow with the number of Indonesian documents.
The average field length is taken over the same documents: Whoosh divides a
field's total length by every document of the index, so in an index half
Persian, half Indonesian a passage of average length looked twice as long as
average and BM25's length normalization punished it.
"""

from __future__ import annotations

from math import log

from whoosh import scoring

from . import sidecar
from .schema import field_lang


def bm25_plus(idf, tf, fl, avgfl, B, K1, delta):
    """BM25+ (Lv and Zhai, "Lower-bounding term frequency normalization", CIKM 2011):
    BM25 plus `delta` per matched word. Whoosh's bm25() operation for operation
    otherwise; numpy arrays go through the same expression (search/vectorized.py),
    so both paths compute the same floats."""
    return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)) + delta)


def bm25_idf(doc_count: int, doc_frequency: int) -> float:
    """Lucene's BM25 idf: positive for every df <= N, near 0 for a word in every document."""
    return log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


class BM25F(scoring.BM25F):
    """whoosh.scoring.BM25F (same B, K1, per-field fieldname_B) with BM25's idf,
    the average length over the field's language, and BM25+'s `delta`."""

    def __init__(self, B=0.75, K1=1.2, delta=0.0, **kwargs):
        super().__init__(B=B, K1=K1, **kwargs)
        self.delta = delta

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _Scorer(searcher, fieldname, text, self, qf=qf)

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = doc_frequency(parent, fieldname, text)
        return bm25_idf(max(_field_totals(parent, fieldname)[0], df), df)

    def constants(self, searcher, fieldname, text) -> tuple[float, float, float, float, float]:
        """(idf, average field length, B, K1, delta) of a term: what _Scorer scores with,
        without the maximum-quality pass over the term's blocks Whoosh's matchers need."""
        parent = searcher.get_parent()
        docs, length = _field_totals(parent, fieldname)
        avgfl = length / docs or 1
        return self.idf(searcher, fieldname, text), avgfl, self._field_B.get(fieldname, self.B), self.K1, self.delta


class _Scorer(scoring.BM25FScorer):
    def __init__(self, searcher, fieldname, text, weighting: BM25F, qf=1):
        self.idf, self.avgfl, self.B, self.K1, self.delta = weighting.constants(searcher, fieldname, text)
        self.qf = qf
        self.setup(searcher, fieldname, text)  # max quality via _score: delta included

    def _score(self, weight, length):
        return bm25_plus(self.idf, weight, length, self.avgfl, self.B, self.K1, self.delta)


def _field_totals(searcher, fieldname: str) -> tuple[int, int]:
    """(_docs_with_field, the field's total length) of a searcher, remembered on it: a
    new searcher after each commit asks them for each of a query's new words, and each
    is a sum over every segment."""
    known = searcher.__dict__.setdefault("_lintas_field_totals", {})
    found = known.get(fieldname)
    if found is None:
        found = known[fieldname] = (_docs_with_field(searcher, fieldname), searcher.field_length(fieldname))
    return found


def _docs_with_field(searcher, fieldname: str) -> int:
    """Documents of the field's language (title_fa, body_fa -> lang:fa); all for other fields."""
    lang = field_lang(fieldname)
    if lang and "lang" in searcher.schema:
        n = doc_frequency(searcher, "lang", lang)
        if n:
            return n
    return searcher.doc_count_all()


# A segment's document frequency of a term, by segment id: a segment's files never
# change (deletions do not change Whoosh's frequencies), and every searcher opened
# after a commit would otherwise look each query term up again in every segment
# (a live index has up to 25): ~180 CPU ms per server thread per commit at 26 segments.
# A plain dict (its get and set are atomic), emptied when full: a bound, not an LRU.
_segment_df: dict = {}
SEGMENT_DF_TERMS = 200_000


def doc_frequency(searcher, fieldname: str, text) -> int:
    """searcher.doc_frequency(fieldname, text) (a searcher or a reader), each segment's
    part remembered. Also what says whether the index holds a term: Whoosh writes
    a term only with its postings.

    A reader of search/searchers.py carries its index state's totals (`_lintas_df`:
    shared by the threads' readers of those segments) and, when that state only added
    segments to the previous one, the previous totals and the added segments' ids: a
    total is then the previous one plus the new segments' parts, not a sum over every
    segment again for each query word after each commit."""
    reader = searcher.reader() if hasattr(searcher, "reader") else searcher
    shared = reader.__dict__.get("_lintas_df")
    if shared is None:
        return _summed(reader, fieldname, text)
    totals, carry = shared
    key = (fieldname, text)
    found = totals.get(key)
    if found is None:
        before = carry[0].get(key) if carry is not None else None
        if before is not None:
            found = before + _summed(reader, fieldname, text, carry[1])
        else:
            found = _summed(reader, fieldname, text)
        if len(totals) >= SEGMENT_DF_TERMS:
            totals.clear()  # a bound, not an LRU
        totals[key] = found
    return found


def _summed(reader, fieldname: str, text, only: frozenset | None = None) -> int:
    """The term's document frequency summed over the reader's segments (`only`: over
    those segment ids alone)."""
    total = 0
    for leaf, sid in leaf_segment_ids(reader):
        if sid is None:
            total += leaf.doc_frequency(fieldname, text)
            continue
        if only is not None and sid not in only:
            continue
        key = (sid, fieldname, text)
        df = _segment_df.get(key)
        if df is None:
            df = _leaf_df(leaf, fieldname, text)
            if len(_segment_df) >= SEGMENT_DF_TERMS:
                _segment_df.clear()
            _segment_df[key] = df
        total += df
    return total


def leaf_segment_ids(reader) -> list:
    """(leaf reader, its segment's id or None) of every leaf, remembered on the reader
    (segment_id() formats a string at each call)."""
    found = reader.__dict__.get("_lintas_leaf_ids")
    if found is None:
        found = reader.__dict__["_lintas_leaf_ids"] = [
            (leaf, None if leaf.segment() is None else leaf.segment().segment_id())
            for leaf, _offset in reader.leaf_readers()]
    return found


def _leaf_df(leaf, fieldname: str, text) -> int:
    """One segment's document frequency: from its sidecar's term directory when the
    field has one (its list's length is Whoosh's doc frequency: both count the
    postings as written), else Whoosh's term table. A Whoosh lookup cost ~100 us
    at 100k documents (a hash, seeks and reads), and a query's new word is looked
    up in every field of its languages in every segment."""
    fp = sidecar.field_of(leaf, fieldname)
    if fp is None:
        return leaf.doc_frequency(fieldname, text)
    btext = text if isinstance(text, bytes) else leaf.schema[fieldname].to_bytes(text)
    _t, a, b = fp.lookup(btext)
    return b - a
