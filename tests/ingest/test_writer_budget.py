"""The writer's commit budget (search/writer.py): a batch is taken as late as the
latency budget allows, so ops posted within it share one commit."""

from __future__ import annotations

import time

from search import storage
from search.documents import Document
from search.indexer import Indexer
from search.queue import Op, WriteQueue
from search.writer import COMMIT_BUDGET, WriterThread


def _op(i: int) -> Op:
    return Op("put", f"w{i}", Document(id=f"w{i}", lang="id", title="Kabar", text=f"Hujan turun pada hari ke-{i}."))


def test_ops_posted_within_the_budget_share_one_commit_and_none_waits_much_longer(tmp_path):
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Awal", text="Berita pertama hari ini.")])
    before = storage.open_index(tmp_path).latest_generation()
    queue = WriteQueue(tmp_path)
    thread = WriterThread(tmp_path).start()
    try:
        time.sleep(0.5)  # the thread holds the lock and waits for work
        posted = time.monotonic()
        queue.enqueue([_op(1)])
        time.sleep(0.3 * COMMIT_BUDGET)
        last = queue.enqueue([_op(2), _op(3)])
        while queue.status(last)["status"] != "indexed":
            assert time.monotonic() - posted < COMMIT_BUDGET + 10, "not indexed"
            time.sleep(0.01)
        waited = time.monotonic() - posted
    finally:
        thread.stop()
    ix = storage.open_index(tmp_path)
    assert ix.latest_generation() == before + 1  # one commit for the three documents
    with ix.searcher() as s:
        assert s.doc_count() == 4
    # The first op waited for the budget (the later ones joined it), not much past it.
    assert 0.3 * COMMIT_BUDGET < waited < COMMIT_BUDGET + 5
