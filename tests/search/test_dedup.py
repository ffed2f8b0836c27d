"""Near-duplicates: a re-posted article joins its original's cluster, others do not,
whether the two arrive in one run, in two runs, or the copy is later edited away."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search import dedup
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest
from tests.web.reader_corpus import COPY_ID, reader_documents

ORIGINAL = "002_2e6686a3ccd039ae"


@pytest.fixture(scope="module")
def docs():
    return {d.id: d for d in reader_documents()}


def test_copy_is_similar_and_others_are_not(docs):
    assert dedup.similarity(docs[ORIGINAL].text, docs[COPY_ID].text) > 0.8
    others = [d for d in docs if d not in (ORIGINAL, COPY_ID)]
    assert all(dedup.similarity(docs[ORIGINAL].text, docs[o].text) < 0.3 for o in others)


def test_short_texts_are_never_clustered():
    assert dedup.signature("Iran dan Rusia") is None


def clusters(index_dir) -> dict[str, set[str]]:
    engine = Engine(index_dir)
    res = engine.search(SearchRequest(q="Rusia OR Iran OR ایران", per_page=50))
    return {h.id: {s["id"] for s in h.similar} for h in res.hits}


def test_one_run_folds_the_copy(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    found = clusters(tmp_path)
    assert {ORIGINAL, COPY_ID} & set(found) and len({ORIGINAL, COPY_ID} & set(found)) == 1
    shown = ORIGINAL if ORIGINAL in found else COPY_ID
    assert found[shown] == {ORIGINAL, COPY_ID} - {shown}
    assert all(not v for k, v in found.items() if k != shown)


def test_copy_indexed_in_a_later_run_joins_the_cluster(tmp_path, docs):
    Indexer(tmp_path).add_documents([d for k, d in docs.items() if k != COPY_ID])
    Indexer(tmp_path).add_documents([docs[COPY_ID]])
    res = Engine(tmp_path).search(SearchRequest(q="Rusia"))
    assert res.total == 3 and res.total_collapsed == 2


def test_an_edited_copy_leaves_the_cluster(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    fresh = " ".join(f"laporan{i} baru" for i in range(60))  # like no other document
    rewritten = replace(docs[COPY_ID], text=f"Rusia dan Indonesia {fresh}")
    Indexer(tmp_path).add_documents([rewritten])
    res = Engine(tmp_path).search(SearchRequest(q="Rusia"))
    assert res.total == 3 and res.total_collapsed == 3


def test_collapse_off_lists_every_copy(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    engine = Engine(tmp_path)
    on = engine.search(SearchRequest(q="Rusia"))
    off = engine.search(SearchRequest(q="Rusia", collapse=False))
    assert (on.total, on.total_collapsed, len(on.hits)) == (3, 2, 2)
    assert (off.total, off.total_collapsed, len(off.hits)) == (3, 3, 3)
    assert sum(h.similar_count for h in on.hits) == 1 and not any(h.similar_count for h in off.hits)
