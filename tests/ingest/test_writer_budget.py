"""The writer's commit budget (search/writer.py): a batch is taken as late as the
latency budget allows, so ops posted within it share one commit."""

from __future__ import annotations

import time

import pytest

from search import storage
from search.documents import Document
from search.indexer import Indexer
from search.queue import Op, WriteQueue
from search.writer import COMMIT_BUDGET_DEFAULT, COMMIT_BUDGET_MAX, COMMIT_BUDGET_MIN, WriterThread, commit_budget

COMMIT_BUDGET = commit_budget()


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


def test_a_longer_refresh_interval_makes_the_first_op_wait_for_it(tmp_path, monkeypatch):
    """`lintas serve --refresh-interval 2.5` (LINTAS_REFRESH_INTERVAL): the writer commits
    about that often, so one posted op is indexed about 2.5 s after it came, not 1 s."""
    monkeypatch.setenv("LINTAS_REFRESH_INTERVAL", "2.5")
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Awal", text="Berita pertama hari ini.")])
    queue = WriteQueue(tmp_path)
    thread = WriterThread(tmp_path).start()
    try:
        time.sleep(0.5)
        posted = time.monotonic()
        seq = queue.enqueue([_op(1)])
        while queue.status(seq)["status"] != "indexed":
            assert time.monotonic() - posted < 15, "not indexed"
            time.sleep(0.01)
        waited = time.monotonic() - posted
    finally:
        thread.stop()
    assert thread.writer.budget == 2.5
    assert 2.0 < waited < 2.5 + 5


@pytest.mark.parametrize("value, expected", [
    (None, COMMIT_BUDGET_DEFAULT), ("0.5", 0.5), ("30", 30.0), ("0", COMMIT_BUDGET_DEFAULT),
    ("-1", COMMIT_BUDGET_DEFAULT), ("600", COMMIT_BUDGET_DEFAULT), ("soon", COMMIT_BUDGET_DEFAULT)])
def test_the_refresh_interval_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("LINTAS_REFRESH_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("LINTAS_REFRESH_INTERVAL", value)
    assert commit_budget() == expected


def test_serve_explains_the_refresh_interval_and_refuses_a_bad_one():
    import click

    from web.cli import serve

    (option,) = [p for p in serve.params if p.name == "refresh_interval"]
    assert isinstance(option.type, click.FloatRange)
    assert (option.type.min, option.type.max) == (COMMIT_BUDGET_MIN, COMMIT_BUDGET_MAX)

    from click.testing import CliRunner

    from web.cli import cli

    runner = CliRunner()
    assert "--refresh-interval" in runner.invoke(cli, ["serve", "--help"]).output
    bad = runner.invoke(cli, ["serve", "--refresh-interval", "0"])
    assert bad.exit_code == 2 and "--refresh-interval" in bad.output and "Traceback" not in bad.output
