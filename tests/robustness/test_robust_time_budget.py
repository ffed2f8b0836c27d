"""The engine's time budget is what bounds a slow query, not luck: a query whose
matching is made artificially slow (20 ms a document, ~8 s for the whole index) comes
back within the budget with partial results, instead of holding the thread."""

from __future__ import annotations

import time

import pytest
from whoosh.matching import WrappingMatcher
from whoosh.query import Every
from whoosh.query.wrappers import WrappingQuery

from rb_helpers import write_jsonl
from search import engine as engine_module
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest

DOCS = 400
DELAY = 0.02


class _SlowMatcher(WrappingMatcher):
    def next(self):
        time.sleep(DELAY)
        return self.child.next()

    def all_ids(self):
        for docnum in self.child.all_ids():
            time.sleep(DELAY)
            yield docnum

    def _replacement(self, newchild):
        return _SlowMatcher(newchild)


class _SlowQuery(WrappingQuery):
    def matcher(self, searcher, context=None):
        return _SlowMatcher(self.child.matcher(searcher, context))


@pytest.fixture(scope="module")
def index_400(tmp_path_factory):
    path = tmp_path_factory.mktemp("budget")
    Indexer(path / "ix").index_paths([write_jsonl(path / "d.jsonl", range(DOCS))])
    return path / "ix"


@pytest.mark.parametrize("lang", [None, "id"])
def test_slow_query_is_cut_at_the_budget(index_400, monkeypatch, lang):
    monkeypatch.setattr(engine_module, "parse", lambda parser, text: _SlowQuery(Every()))
    budget = 0.5
    engine = Engine(index_400, time_limit=budget)
    started = time.perf_counter()
    results = engine.search(SearchRequest(q="anything", lang=lang, snippets=False))
    elapsed = time.perf_counter() - started
    unbounded = DOCS * DELAY
    # With lang=, the facet counts run a second collection with its own budget.
    collections = 2 if lang else 1
    assert elapsed < collections * budget + 1.5, f"{elapsed:.1f}s: the budget did not stop it"
    assert elapsed < unbounded / 2
    assert 0 < results.total < DOCS  # partial: what was collected before the budget ran out
