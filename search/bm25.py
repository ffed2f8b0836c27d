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
        B = self._field_B.get(fieldname, self.B)
        return _Scorer(searcher, fieldname, text, B, self.K1, self.delta, qf=qf)

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        return bm25_idf(max(_docs_with_field(parent, fieldname), df), df)


class _Scorer(scoring.BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, delta, qf=1):
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.field_length(fieldname) / _docs_with_field(parent, fieldname) or 1
        self.B, self.K1, self.delta, self.qf = B, K1, delta, qf
        self.setup(searcher, fieldname, text)  # max quality via _score: delta included

    def _score(self, weight, length):
        return bm25_plus(self.idf, weight, length, self.avgfl, self.B, self.K1, self.delta)


def _docs_with_field(searcher, fieldname: str) -> int:
    """Documents of the field's language (title_fa, body_fa -> lang:fa); all for other fields."""
    lang = field_lang(fieldname)
    if lang and "lang" in searcher.schema:
        n = searcher.doc_frequency("lang", lang)
        if n:
            return n
    return searcher.doc_count_all()
