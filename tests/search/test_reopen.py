"""A server thread's searcher after a commit keeps the readers of unchanged segments
(search/codec/read.py `reopen`, search/searchers.py), and answers exactly as a
searcher opened fresh: new documents, deletions and updates in old segments, merges."""

from __future__ import annotations

import dataclasses

import pytest
from whoosh import index as whoosh_index

from analyzers import detect_lang
from search import searchers, shards
from search.engine import Engine
from search.errors import DocumentNotFound
from search.indexer import Indexer, content_hash, to_fields
from search.request import SearchRequest
from tests.search.test_vectorized import _seed_documents


@pytest.fixture(autouse=True)
def _refresh_at_once(monkeypatch):
    monkeypatch.setattr(searchers, "REFRESH_EVERY", -1.0)  # every call looks for a newer generation


def _leaves(searcher) -> dict:
    return {leaf.segment().segment_id(): leaf for leaf, _offset in searcher.reader().leaf_readers()}


def _answers(engine: Engine, queries: list[str]) -> list:
    out = []
    for q in queries:
        r = engine.search(SearchRequest(q=q, per_page=20))
        out.append((r.total, [(h.id, round(h.score, 9), h.snippet) for h in r.hits], r.facets))
    return out


QUERIES = ["hubungan", "ایران", "pemerintah ekonomi", "روسیه OR آمریکا", '"presiden jokowi"', "title:indonesia"]


def _commit(path, docs) -> None:
    """One new segment, no merge (as the server's writer commits)."""
    w = whoosh_index.open_dir(str(path)).writer(compound=False)
    for doc in docs:
        lang = detect_lang(doc.title + " " + doc.text)
        w.update_document(**to_fields(doc, lang, content_hash(doc, lang)))
    w.commit(merge=False)


@pytest.fixture()
def live(tmp_path):
    docs = _seed_documents()
    indexer = Indexer(tmp_path / "ix")
    indexer.add_documents(docs[:40])
    for start in range(40, 120, 40):
        _commit(tmp_path / "ix", docs[start:start + 40])
    return indexer, docs, tmp_path / "ix"


def test_a_commit_reopens_only_the_new_segment_and_answers_as_a_fresh_searcher(live):
    indexer, docs, path = live
    engine = Engine(path)
    before = _leaves(engine.searchers.searcher())
    assert len(before) == 3
    _answers(engine, QUERIES)  # columns, sidecars and lengths opened on the old leaves
    _commit(path, docs[120:])
    after = _leaves(engine.searchers.searcher())
    assert len(after) == 4
    assert all(after[segid] is leaf for segid, leaf in before.items())
    assert _answers(engine, QUERIES) == _answers(Engine(path), QUERIES)
    assert engine.count() == 150


def test_a_deletion_or_update_in_an_old_segment_is_seen(live):
    indexer, docs, path = live
    engine = Engine(path)
    old = _leaves(engine.searchers.searcher())
    target = docs[7]
    owner = next(segid for segid, leaf in old.items()
                 if leaf.doc_frequency("id", target.id) or leaf.doc_frequency("id", target.id.encode()))
    assert engine.document(target.id) is not None
    assert indexer.delete([target.id, docs[60].id]) == 2
    with pytest.raises(DocumentNotFound):
        engine.document(target.id)
    assert engine.count() == 118
    after = _leaves(engine.searchers.searcher())
    assert after[owner] is not old[owner] and old[owner].is_closed  # its deletions changed
    untouched = [segid for segid in old if segid not in (owner,) and old[segid] is after.get(segid)]
    assert untouched  # the third segment had no deletion: kept
    # An update: the old copy goes from its segment, the new one is in a new segment.
    changed = dataclasses.replace(docs[100], text=docs[100].text + " zzkwantor")
    _commit(path, [changed])
    hits = engine.search(SearchRequest(q="zzkwantor")).hits
    assert [h.id for h in hits] == [changed.id]
    assert engine.count() == 118
    assert _answers(engine, QUERIES) == _answers(Engine(path), QUERIES)


def test_after_a_merge_no_removed_segment_is_searched(live):
    _indexer, docs, path = live
    engine = Engine(path)
    old = _leaves(engine.searchers.searcher())
    _answers(engine, QUERIES)
    whoosh_index.open_dir(str(path)).writer(compound=False).commit(optimize=True)
    after = _leaves(engine.searchers.searcher())
    assert len(after) == 1 and not set(after) & set(old)
    assert all(leaf.is_closed for leaf in old.values())
    assert engine.count() == 120
    assert _answers(engine, QUERIES) == _answers(Engine(path), QUERIES)


def test_a_sharded_index_reopens_only_the_shard_that_changed(tmp_path):
    docs = _seed_documents()
    root = tmp_path / "sharded"
    first, second = shards.create(root, 2)
    _commit(first, docs[:50])
    _commit(second, docs[50:100])
    engine = Engine(root)
    before = _leaves(engine.searchers.searcher())
    assert len(before) == 2
    _answers(engine, QUERIES)
    _commit(second, docs[100:])
    after = _leaves(engine.searchers.searcher())
    assert len(after) == 3 and all(after[segid] is leaf for segid, leaf in before.items())
    assert engine.count() == 150
    assert _answers(engine, QUERIES) == _answers(Engine(root), QUERIES)
