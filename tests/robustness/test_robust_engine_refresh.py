"""An Engine that is already serving sees updates and deletes made by another writer.

Regression: Engine refreshed with Whoosh's searcher.refresh(), which reuses the readers
of segments it already holds and compares segments by id only, so deletions in an old
segment stayed invisible: an updated document was counted (and found) twice, a deleted
one stayed. `lintas serve` showed 500 documents for an index of 300 after 200 updates.
"""

from __future__ import annotations

import time

import pytest

from rb_helpers import doc_token, write_jsonl
from search import searchers
from search.engine import Engine
from search.errors import DocumentNotFound
from search.indexer import Indexer
from search.request import SearchRequest


def test_running_engine_sees_updates_and_deletes(tmp_path):
    index = tmp_path / "ix"
    Indexer(index).index_paths([write_jsonl(tmp_path / "a.jsonl", range(20))])
    engine = Engine(index)
    assert engine.count() == 20 and engine.search(SearchRequest(q="hubungan")).total == 20

    Indexer(index).index_paths([write_jsonl(tmp_path / "b.jsonl", range(10), text="Versi baru {tok} hubungan.")])
    time.sleep(searchers.REFRESH_EVERY + 0.05)
    assert engine.count() == 20
    assert engine.search(SearchRequest(q="hubungan")).total == 20
    assert engine.search(SearchRequest(q="baru")).total == 10
    assert [h.id for h in engine.search(SearchRequest(q=doc_token(3))).hits] == ["doc3"]

    Indexer(index).delete(["doc15", "doc16"])
    time.sleep(searchers.REFRESH_EVERY + 0.05)
    assert engine.count() == 18
    with pytest.raises(DocumentNotFound):
        engine.document("doc15")
    assert engine.search(SearchRequest(q=doc_token(15))).total == 0


def test_threads_never_go_back_in_time(tmp_path, monkeypatch):
    """Once one thread has seen a commit, another thread's next call sees it too, however
    recently that thread last checked (a client's requests land on any server thread)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(searchers, "REFRESH_EVERY", 3600.0)  # no periodic check at all
    index = tmp_path / "ix"
    Indexer(index).index_paths([write_jsonl(tmp_path / "a.jsonl", range(10))])
    engine = Engine(index)
    with ThreadPoolExecutor(1) as a, ThreadPoolExecutor(1) as b, ThreadPoolExecutor(1) as c:
        assert a.submit(engine.count).result() == 10  # thread A holds generation N
        Indexer(index).index_paths([write_jsonl(tmp_path / "b.jsonl", range(10, 15))])
        assert b.submit(engine.count).result() == 15  # thread B, new, opens N+1
        assert a.submit(engine.count).result() == 15  # A must not answer from N
        Indexer(index).delete(["doc0"])
        assert c.submit(engine.count).result() == 14
        assert b.submit(engine.count).result() == 14
        assert a.submit(engine.count).result() == 14
