"""The Whoosh path: counting and ranking with Whoosh's own matchers and collectors.

Queries search/vectorized.py cannot score (prefixes, source:/date filters, sort
by date) come here. Counting and ranking are two passes: an unscored count per
language (the total and the facets), so that the scored pass can keep just the
top page*per_page with Whoosh's block-max pruning instead of scoring every match.
Both passes stop at the request's deadline and return what they have.
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as dtime

from whoosh import query as wq
from whoosh import sorting
from whoosh.collectors import TimeLimit, TimeLimitCollector

from .request import SearchRequest

MIN_BUDGET = 0.05  # seconds a collection gets even when the deadline has passed


def filters(req: SearchRequest) -> list[wq.Query]:
    """The request's source: and date filters as Whoosh queries."""
    found = []
    if req.source:
        found.append(wq.Term("source", req.source))
    if req.date_from or req.date_to:
        found.append(wq.DateRange("date", _day(req.date_from), _day(req.date_to, end=True)))
    return found


def filtered(q: wq.Query, filters: list[wq.Query]) -> wq.Query:
    """`q` restricted by `filters`, which add nothing to its scores.

    Filters join the query as zero-score clauses rather than the collector's
    filter=: TimeLimitCollector collects around FilterCollector's check, so a
    filter passed there is silently ignored.
    """
    if not filters:
        return q
    return wq.And([q, *(wq.ConstantScoreQuery(f, 0.0) for f in filters)])


def top(searcher, q: wq.Query, filters: list[wq.Query], req: SearchRequest, deadline: float):
    """Whoosh's top page*per_page hits of `q`, by score or by date."""
    sortedby = sorting.FieldFacet("date", reverse=True) if req.sort == "date" else None
    collector = searcher.collector(limit=req.page * req.per_page, sortedby=sortedby)
    budget = max(MIN_BUDGET, deadline - time.perf_counter())
    limited = TimeLimitCollector(collector, timelimit=budget, use_alarm=False)
    try:
        searcher.search_with_collector(filtered(q, filters), limited)
    except TimeLimit:
        pass  # partial results are better than none; took_ms tells the tale
    return limited.results()


def lang_counts(searcher, parts: dict[str, wq.Query], filters: list[wq.Query],
                deadline: float) -> dict[str, int]:
    """Matches per language, counted straight off the matchers.

    Each language's part matches only documents of that language (Engine._parts),
    so no per-document language lookup is needed: Whoosh's grouping collector
    read the lang column for every match.
    """
    counts = {}
    for lang, part in parts.items():
        n = count(searcher, filtered(part, filters), deadline)
        if n:
            counts[lang] = n
    return dict(sorted(counts.items()))


def count(searcher, q: wq.Query, deadline: float) -> int:
    """Documents matching `q` (deleted ones excluded by the segment readers)."""
    n = 0
    clock = time.perf_counter
    for sub, _offset in searcher.leaf_searchers():
        m = q.matcher(sub, sub.boolean_context())
        # Step by step, not all_ids(): an intersection's all_ids() reads both
        # sides whole before it yields, out of reach of the time budget.
        while m.is_active():
            n += 1
            if clock() > deadline:  # ~50 ns a match: cheap next to Whoosh's next()
                return n  # a lower bound beats a timeout
            m.next()
    return n


def _day(d, end: bool = False):
    if d is None:
        return None
    return datetime.combine(d, dtime.max if end else dtime.min)
