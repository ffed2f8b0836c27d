"""The Whoosh path: every match of a query with Whoosh's own matchers and scores.

Queries search/vectorized.py cannot score (prefixes, wildcards, ranges) come
here. The result has the same shape as vectorized.match's (docnums and scores
of every match), so that filters, facets, the timeline, the order and folding
(search/browse.py) are one piece of code for both paths. Stepping stops at the
request's deadline and returns what it has.
"""

from __future__ import annotations

import time

import numpy as np
from whoosh import query as wq

from .vectorized import Matches


def matches(searcher, q: wq.Query, deadline: float) -> Matches:
    """Every match of `q` (deleted documents excluded) with the score Whoosh gives it."""
    ids: list[int] = []
    scores: list[float] = []
    context = searcher.context()
    clock = time.perf_counter
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, context)
        # Step by step, not all_ids(): an intersection's all_ids() reads both
        # sides whole before it yields, out of reach of the time budget.
        while m.is_active():
            ids.append(offset + m.id())
            scores.append(m.score())
            if clock() > deadline:  # a partial answer beats a timeout; took_ms tells the tale
                return _matches(ids, scores)
            m.next()
    return _matches(ids, scores)


def _matches(ids: list[int], scores: list[float]) -> Matches:
    docnums = np.asarray(ids, dtype=np.int64)
    order = np.argsort(docnums, kind="stable")  # leaves come in docnum order; kept safe anyway
    return Matches(docnums[order], np.asarray(scores, dtype=np.float64)[order])
