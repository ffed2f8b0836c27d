"""Ordering and folding on arrays: the partial sort by relevance picks the same
representatives as sorting every match; dates put undated documents last."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.browse import _keys, _representatives
from search.vectorized import Matches


def full(m, days, ties, clusters, sort):
    order = np.lexsort(_keys(m, days, ties, sort))
    _, first = np.unique(clusters[order], return_index=True)
    return order[np.sort(first)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12)), min_size=1, max_size=300),
       st.integers(1, 60))
def test_partial_sort_finds_the_same_representatives(rows, needed):
    scores = np.asarray([s / 2 for s, _c in rows], dtype=np.float64)  # many ties
    clusters = np.asarray([c for _s, c in rows], dtype=np.int32)
    m = Matches(np.arange(len(rows), dtype=np.int64) * 3, scores)
    days = np.zeros(len(rows), np.int32)
    ties = (np.arange(len(rows), dtype=np.int64) * 7919) % 101  # id keys: not in docnum order
    _order, reps = _representatives(m, days, ties, clusters, "relevance", needed)
    expected = full(m, days, ties, clusters, "relevance")
    assert reps[:needed].tolist() == expected[:needed].tolist()


def test_dates_order_with_undated_last():
    m = Matches(np.arange(4, dtype=np.int64), np.asarray([1.0, 3.0, 2.0, 5.0]))
    days = np.asarray([738900, 0, 738950, 738900], dtype=np.int32)
    ties = np.zeros(4, np.int64)
    newest = np.lexsort(_keys(m, days, ties, "newest")).tolist()
    oldest = np.lexsort(_keys(m, days, ties, "oldest")).tolist()
    assert newest == [2, 3, 0, 1]  # equal dates: the better score first
    assert oldest == [3, 0, 2, 1]


def test_equal_scores_order_by_the_id_key_not_the_docnum():
    m = Matches(np.arange(4, dtype=np.int64), np.asarray([2.0, 2.0, 2.0, 1.0]))
    ties = np.asarray([30, -5, 10, -100], dtype=np.int64)
    assert np.lexsort(_keys(m, np.zeros(4, np.int32), ties, "relevance")).tolist() == [1, 2, 0, 3]
    assert [d for _s, d in m.top(2, ties)] == [1, 2]
