"""Fit a parsed query to the index it is about to run on.

Building matchers was most of a query's cost (a term lookup per term, per field,
per segment, and again for each of a request's two passes), and much of it was
spent on terms the index does not hold: every word is parsed for every language's
fields, so a Persian word is also looked up in the Indonesian fields, where it
can never be. `prune` removes such terms once per request, with their existence
looked up once per searcher (`TermCache`), and turns every OR into a plain
streaming union. `confine` and `union` assemble the per-language parts.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh import query as wq

from .bm25 import doc_frequency
from .matchers import AndNot, MaxOf, StreamingOr
from .schema import field_lang

NULL = wq.NullQuery


class TermCache:
    """Which (field, term) pairs one searcher's index holds.

    One per thread and searcher (search/searchers.py); `known` may be shared by the
    threads' searchers of one index state (a plain dict: its get and set are atomic),
    and `carried` is the previous state's, when every segment of that state is still
    there: a term it held is held now (Whoosh's frequencies count deleted documents).
    """

    MAX = 200_000

    def __init__(self, reader, known: dict | None = None, carried: dict | None = None):
        self.reader = reader
        self.schema = reader.schema
        self.known = {} if known is None else known
        self.carried = carried

    def __call__(self, fieldname: str, text) -> bool:
        key = (fieldname, text)
        found = self.known.get(key)
        if found is None:
            if self.carried is not None and self.carried.get(key):
                found = True
            else:
                try:
                    btext = self.schema[fieldname].to_bytes(text)
                    # Each segment's answer remembered across searchers (a new one after every commit).
                    found = doc_frequency(self.reader, fieldname, btext) > 0
                except (KeyError, ValueError):  # not a field, or not a value of its type
                    found = False
            if len(self.known) >= self.MAX:
                self.known.clear()  # a bound, not an LRU
            self.known[key] = found
        return found


def prune(q: wq.Query, exists: Callable[[str, object], bool]) -> wq.Query:
    """`q` without what cannot match in this index; NullQuery if nothing can.

    Scores are unchanged: an absent term adds nothing to a union, and an
    intersection or phrase with an absent term matches nothing.
    """
    if isinstance(q, wq.Term):
        return q if exists(q.fieldname, q.text) else NULL
    if isinstance(q, wq.Phrase):
        return q if all(exists(q.fieldname, w) for w in q.words) else NULL
    if isinstance(q, MaxOf):
        subs = [s for s in (prune(s, exists) for s in q.subqueries) if s is not NULL]
        if len(subs) <= 1:
            return subs[0].with_boost(subs[0].boost * q.boost) if subs else NULL
        return MaxOf(subs, boost=q.boost)
    if isinstance(q, wq.Or):
        subs = [s for s in (prune(s, exists) for s in q.subqueries) if s is not NULL]
        if not subs:
            return NULL
        if len(subs) == 1:
            # Whoosh ignores the boost of a one-child OR: carry it down by hand.
            only = subs[0]
            return only if q.boost == 1.0 else only.with_boost(only.boost * q.boost)
        return StreamingOr(subs, boost=q.boost, minmatch=q.minmatch, scale=q.scale)
    if isinstance(q, wq.And):
        subs = [prune(s, exists) for s in q.subqueries]
        if any(s is NULL for s in subs):
            return NULL
        return wq.And(subs, boost=q.boost)
    if isinstance(q, wq.AndNot):
        positive = prune(q.a, exists)
        if positive is NULL:
            return NULL
        negative = prune(q.b, exists)
        return positive if negative is NULL else AndNot(positive, negative)
    # Prefixes, ranges, NOT, filters: left to Whoosh as they are.
    return q


def confine(q: wq.Query, lang: str) -> wq.Query:
    """`q` restricted to documents of `lang`, with a lang: clause only where needed.

    A query over `lang`'s own fields matches only its documents (the indexer fills
    just those); source:, id:, or a NOT alone would match other languages' too.
    """
    return q if _only_fields_of(q, lang) else wq.And([q, wq.Term("lang", lang)])


def _only_fields_of(q: wq.Query, lang: str) -> bool:
    if isinstance(q, wq.Not):
        return False
    if q.is_leaf():
        return field_lang(q.field() or "") == lang
    return all(_only_fields_of(child, lang) for child in q.children())


def union(parts: list[wq.Query]) -> wq.Query:
    if not parts:
        return NULL
    return parts[0] if len(parts) == 1 else StreamingOr(parts)
