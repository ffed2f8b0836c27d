"""Whoosh's BM25F ranking of term queries, computed over whole posting arrays.

The same scores as Whoosh's matchers (the same float expression per posting, the
same sums), the same order (score, then lower docnum first), and the match count
for free, in one pass instead of Whoosh's two (count, then top-k) stepping every
posting in Python. Term, Or, And and AndNot trees, i.e. what people type, go
this way, and phrases; prefixes, filters and anything else stay with Whoosh
(`supports`). tests/search/test_vectorized.py holds the two paths equal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from . import postings, segment_group
from .bm25 import bm25_plus
from .matchers import MaxOf
from .segment_group import View

_POSITIONS = 1 << 32  # more positions than any field holds: (candidate, start) in one int64
_EMPTY_IDS = np.zeros(0, np.int64)
_EMPTY_SCORES = np.zeros(0, np.float64)


def supports(q: wq.Query, schema) -> bool:
    """Whether `q` is made only of what this module scores exactly as Whoosh does."""
    field = schema[q.fieldname] if getattr(q, "fieldname", None) in schema else None
    scored = field is not None and field.scorable
    if type(q) is wq.Term:
        return scored and isinstance(q.text, str)
    if isinstance(q, MaxOf):
        return all(supports(s, schema) for s in q.subqueries)
    if isinstance(q, wq.Or):
        return not q.minmatch and not q.scale and all(supports(s, schema) for s in q.subqueries)
    if isinstance(q, (wq.And, wq.AndNot)):
        return all(supports(s, schema) for s in q.children())
    if type(q) is wq.Phrase:
        # Whoosh's phrase: the words at consecutive positions (slop 1).
        return (scored and q.slop == 1 and field.format is not None
                and field.format.supports("positions") and all(isinstance(w, str) for w in q.words))
    return False


class TermStats:
    """BM25 constants per (field, term) for one searcher: from its own weighting.

    Also carries the running query's deadline (one TermStats per thread): past
    it, terms not yet read count as absent, so a pathological query returns what
    it found so far instead of holding a server thread.
    """

    MAX = 100_000

    def __init__(self, searcher, known: dict | None = None):
        self.searcher = searcher
        self.deadline = float("inf")
        # May be shared by the threads' searchers of one index state (search/searchers.py):
        # a plain dict, whose get and set are atomic.
        self._known = {} if known is None else known

    def __call__(self, fieldname: str, text: str):
        key = (fieldname, text)
        found = self._known.get(key)
        if found is None:
            # The scorer's own constants (search/bm25.py), without building a Whoosh
            # scorer: its maximum-quality pass reads the term's info in every segment.
            found = self.searcher.weighting.constants(self.searcher, fieldname, text)
            if len(self._known) >= self.MAX:
                self._known.clear()  # a bound, not an LRU
            self._known[key] = found
        return found


@dataclass
class Matches:
    """Every document a query matches: top-level docnums, ascending, and their scores."""

    docnums: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docnums)

    def top(self, limit: int, keys: np.ndarray | None = None) -> list[tuple[float, int]]:
        """The best `limit` as (score, docnum): higher score first, then lower key
        (`keys[docnum]`, search/columns.py's id hash, when given), then lower docnum."""
        scores, docnums = self.scores, self.docnums
        if limit <= 0 or not len(docnums):
            return []
        if limit < len(scores):
            # Everything tied with the limit-th best score stays in: the docnum
            # tie-break below must see all of them.
            kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            keep = scores >= kth
            scores, docnums = scores[keep], docnums[keep]
        order = np.lexsort((docnums, -scores) if keys is None else (docnums, keys[docnums], -scores))[:limit]
        return [(float(scores[i]), int(docnums[i])) for i in order]


def union(parts: list[Matches]) -> Matches:
    """The matches of an OR of queries, from each one's matches."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Matches(_EMPTY_IDS, _EMPTY_SCORES)
    if len(parts) == 1:
        return parts[0]
    return Matches(*_sum_union([(p.docnums, p.scores) for p in parts]))


def match(searcher, q: wq.Query, stats: TermStats, grouped: bool = True) -> Matches:
    """All matches of `q` (see `supports`) with Whoosh's scores, deleted documents left out.
    `grouped`: runs of small segments searched as one (search/segment_group.py)."""
    docnums, scores = [], []
    reader = searcher.reader()
    for leaf, offset in segment_group.runs_of(reader) if grouped else reader.leaf_readers():
        ids, s = _eval(q, leaf, stats)
        live = leaf.live_mask() if type(leaf) is View else postings.live_mask(leaf)
        if live is not None and len(ids):
            keep = live[ids]
            ids, s = ids[keep], s[keep]
        docnums.append(ids + offset)
        scores.append(s)
    if not docnums:
        return Matches(_EMPTY_IDS, _EMPTY_SCORES)
    return Matches(np.concatenate(docnums), np.concatenate(scores))


def _eval(q: wq.Query, leaf, stats: TermStats) -> tuple[np.ndarray, np.ndarray]:
    """(segment docnums ascending, scores) of `q` in one segment."""
    if type(q) is wq.Term:
        return _term(q, leaf, stats)
    if type(q) is wq.Phrase:
        return _phrase(q, leaf, stats)
    if isinstance(q, wq.AndNot):
        ids, s = _eval(q.a, leaf, stats)
        if len(ids):
            out, _ = _eval(q.b, leaf, stats)
            keep = ~np.isin(ids, out, assume_unique=True)
            ids, s = ids[keep], s[keep]
        return ids, s
    subs = q.subqueries
    if len(subs) == 1:
        return _eval(subs[0], leaf, stats)  # Whoosh ignores a lone child's parent boost too
    if isinstance(q, MaxOf):
        ids, s = _max_union([_eval(sub, leaf, stats) for sub in subs])
    elif isinstance(q, wq.Or):
        ids, s = _sum_union([_eval(sub, leaf, stats) for sub in subs])
    else:  # And
        ids, s = _eval(subs[0], leaf, stats)
        for sub in subs[1:]:
            if not len(ids):
                break
            ids2, s2 = _eval(sub, leaf, stats)
            ids, i1, i2 = np.intersect1d(ids, ids2, assume_unique=True, return_indices=True)
            s = s[i1] + s2[i2]
    if q.boost != 1.0:
        s = s * q.boost
    return ids, s


def _term(q: wq.Term, leaf, stats: TermStats):
    if time.perf_counter() > stats.deadline:
        return _EMPTY_IDS, _EMPTY_SCORES
    if type(leaf) is View and not leaf.covers(q.fieldname):
        return leaf.each(lambda one: _term(q, one, stats))
    plist = _postings(leaf, q.fieldname, q.text)
    if plist is None:
        return _EMPTY_IDS, _EMPTY_SCORES
    s = _bm25(plist, slice(None), leaf, q.fieldname, q.text, stats)
    if q.boost != 1.0:
        s = s * q.boost
    return plist.ids.astype(np.int64), s


def _phrase(q: wq.Phrase, leaf, stats: TermStats):
    """Documents with the words at consecutive positions; score: the words' BM25 summed.

    As Whoosh's phrase (a SpanNear2 around the words' intersection): every word
    scores on its full frequency in the document, not on the phrase's.
    """
    if time.perf_counter() > stats.deadline:
        return _EMPTY_IDS, _EMPTY_SCORES
    if type(leaf) is View and not leaf.covers(q.fieldname):
        return leaf.each(lambda one: _phrase(q, one, stats))
    plists = [_postings(leaf, q.fieldname, w) for w in q.words]
    if not plists or any(p is None for p in plists):
        return _EMPTY_IDS, _EMPTY_SCORES
    ids = plists[0].ids
    for p in plists[1:]:
        ids = np.intersect1d(ids, p.ids, assume_unique=True)
        if not len(ids):
            return _EMPTY_IDS, _EMPTY_SCORES
    where = [np.searchsorted(p.ids, ids) for p in plists]
    # A phrase starts at s in a document when word i is at s + i for every i: per
    # word, the (candidate, s) pairs it allows, intersected over the words.
    starts = None
    n = len(plists)
    for i, (p, w) in enumerate(zip(plists, where)):
        if time.perf_counter() > stats.deadline:
            starts = None
            break
        owner, pos = postings.positions_of(leaf, q.fieldname, p, w)
        pairs = np.unique(owner * _POSITIONS + (pos - i + n))
        starts = pairs if starts is None else np.intersect1d(starts, pairs, assume_unique=True)
        if not len(starts):
            break
    keep = np.zeros(len(ids), bool)
    if starts is not None and len(starts):
        keep[starts // _POSITIONS] = True
    ids = ids[keep]
    if not len(ids):
        return _EMPTY_IDS, _EMPTY_SCORES
    s = None
    for w, p, idx in zip(q.words, plists, where):
        term = _bm25(p, idx[keep], leaf, q.fieldname, w, stats)
        s = term if s is None else s + term
    if q.boost != 1.0:
        s = s * q.boost
    return ids.astype(np.int64), s


def _postings(leaf, fieldname: str, text: str):
    try:
        btext = leaf.schema[fieldname].to_bytes(text)
    except ValueError:
        return None
    plist = leaf.postings(fieldname, btext) if type(leaf) is View else postings.postings(leaf, fieldname, btext)
    return plist if plist is not None and len(plist.ids) else None


def _bm25(plist, index, leaf, fieldname: str, text: str, stats: TermStats) -> np.ndarray:
    """BM25+ of the postings `index` of a list: the very function Whoosh's path
    scores with (search.bm25), so that the floats come out identical."""
    idf, avgfl, B, K1, delta = stats(fieldname, text)
    tf = plist.tfs[index].astype(np.float64)
    ids = plist.ids[index]
    fl = leaf.lengths_of(fieldname, ids) if type(leaf) is View else postings.lengths_of(leaf, fieldname, ids)
    return bm25_plus(idf, tf, fl, avgfl, B, K1, delta)


def _concat(lists: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Every list's ids and scores end to end, for the unions below to combine per document."""
    return np.concatenate([i for i, _ in lists]), np.concatenate([s for _, s in lists])


def _sum_union(lists: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    lists = [(i, s) for i, s in lists if len(i)]
    if len(lists) <= 1:
        return lists[0] if lists else (_EMPTY_IDS, _EMPTY_SCORES)
    ids, scores = _concat(lists)
    span = int(ids.max()) + 1
    if span <= 8 * len(ids):  # dense enough: count straight into an array
        total = np.bincount(ids, weights=scores, minlength=span)
        hits = np.bincount(ids, minlength=span)
        found = np.flatnonzero(hits)
        return found, total[found]
    found, inverse = np.unique(ids, return_inverse=True)
    return found, np.bincount(inverse, weights=scores, minlength=len(found))


def _max_union(lists: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The union of match lists, each document scored by its best list (MaxOf)."""
    lists = [(i, s) for i, s in lists if len(i)]
    if len(lists) <= 1:
        return lists[0] if lists else (_EMPTY_IDS, _EMPTY_SCORES)
    ids, scores = _concat(lists)
    order = np.lexsort((-scores, ids))
    ids, scores = ids[order], scores[order]
    first = np.ones(len(ids), bool)
    first[1:] = ids[1:] != ids[:-1]
    return ids[first], scores[first]
