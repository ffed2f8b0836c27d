"""search/searchers.py on a real index: the stale-searcher retry and the refresh."""

from __future__ import annotations

import pytest

from search import searchers
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer


def doc(i: int) -> Document:
    return Document(id=f"d{i}", title=f"judul {i}", text=f"kabar nomor {i} tentang hubungan", lang="id")


@pytest.fixture()
def indexed(tmp_path):
    indexer = Indexer(tmp_path)
    indexer.add_documents([doc(0), doc(1)])
    return indexer, Engine(tmp_path)


def test_a_stale_searcher_that_fails_is_retried_once_on_the_new_index(indexed, monkeypatch):
    # No timed refresh in between: on a loaded machine the commit below can outlast
    # REFRESH_EVERY, and the pool would then hand out the new searcher before `work` fails.
    monkeypatch.setattr(searchers, "REFRESH_EVERY", 3600.0)
    indexer, engine = indexed
    pool = engine.searchers
    old = pool.searcher()
    indexer.add_documents([doc(2)])  # another commit: `old` is no longer up to date
    assert not old.up_to_date()
    seen = []

    def work(searcher):
        seen.append(searcher)
        if len(seen) == 1:
            raise OSError("segment file merged away")  # what Whoosh raises from a stale segment
        return searcher.doc_count()

    assert pool.retrying(work) == 3
    assert seen[0] is old and seen[1] is not old and seen[1].up_to_date()
    assert pool.searcher() is seen[1]  # the thread keeps the new searcher


def test_a_current_searcher_that_fails_is_not_retried(indexed):
    _indexer, engine = indexed
    calls = []

    def work(searcher):
        calls.append(searcher)
        raise ValueError("a real bug")

    with pytest.raises(ValueError, match="a real bug"):
        engine.searchers.retrying(work)
    assert len(calls) == 1


def test_a_stale_searcher_that_fails_twice_raises_the_second_error(indexed):
    indexer, engine = indexed
    engine.searchers.searcher()
    indexer.add_documents([doc(2)])
    calls = []

    def work(searcher):
        calls.append(searcher)
        raise IndexError(f"call {len(calls)}")

    with pytest.raises(IndexError, match="call 2"):
        engine.searchers.retrying(work)


def test_a_thread_behind_the_newest_generation_refreshes_at_once(indexed):
    import threading

    indexer, engine = indexed
    pool = engine.searchers
    pool.searcher()  # this thread: the first generation
    indexer.add_documents([doc(2)])
    other = []
    thread = threading.Thread(target=lambda: other.append(pool.searcher().doc_count()))
    thread.start()
    thread.join()
    assert other == [3]
    # No wait for REFRESH_EVERY: another thread has opened a newer generation.
    assert pool.searcher().doc_count() == 3
