"""Small segments searched as one (search/segment_group.py) score and count exactly as
searched one by one: the same docnums, the same float scores, deletions left out."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_vectorized import _queries, _seed_documents, build_multi_segment_index

from search import segment_group, sidecar, vectorized, xtables
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest
from search.segment_group import View


def _parts(engine: Engine, searcher, text: str):
    present = engine.searchers.present_langs(searcher)
    parts = engine._parts(present, text, engine.searchers.terms(searcher))
    return [p for p in parts.values() if vectorized.supports(p, searcher.schema)]


def _assert_grouped_equals_alone(engine: Engine, queries) -> int:
    searcher = engine.searchers.searcher()
    stats = engine.searchers.term_stats(searcher)
    matched = 0
    for text in queries:
        for q in _parts(engine, searcher, text):
            grouped = vectorized.match(searcher, q, stats)
            alone = vectorized.match(searcher, q, stats, grouped=False)
            assert grouped.docnums.tolist() == alone.docnums.tolist(), text
            assert np.array_equal(grouped.scores, alone.scores), text  # bit for bit
            matched += len(alone) > 0
    return matched


@pytest.fixture()
def live(tmp_path):
    segment_group.forget()
    index_dir = tmp_path / "index"
    docs = build_multi_segment_index(index_dir)
    yield index_dir, docs
    segment_group.forget()


def test_a_run_of_small_segments_is_one_view(live):
    index_dir, _docs = live
    engine = Engine(index_dir)
    leaves = engine.searchers.searcher().reader().leaf_readers()
    assert len(leaves) >= 4
    runs = segment_group.runs(leaves)
    assert len(runs) == 1 and type(runs[0][0]) is View and runs[0][1] == 0
    assert runs[0][0].group.doc_count == sum(leaf.doc_count_all() for leaf, _ in leaves)


def test_grouped_matches_equal_segment_by_segment_with_deletions(live):
    index_dir, _docs = live
    engine = Engine(index_dir)
    assert engine.searchers.searcher().reader().has_deletions()
    assert _assert_grouped_equals_alone(engine, _queries(engine)) > 100


def test_a_commit_extends_the_previous_group(live):
    index_dir, docs = live
    engine = Engine(index_dir)
    queries = _queries(engine)
    _assert_grouped_equals_alone(engine, queries)
    before = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())[0][0].group
    Indexer(index_dir).add_documents([Document(id=f"extra-{i}", title="", text=d.text)
                                      for i, d in enumerate(docs[:30])])
    engine.searchers._local.searcher = None  # this thread's next searcher sees the commit
    view = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())[0][0]
    assert view.group is not before and view.group.key[:len(before.key)] == before.key
    assert view.group._prev is not None and view.group._prev[2] == len(before.key)
    assert _assert_grouped_equals_alone(engine, queries) > 100


def test_a_deletion_keeps_the_group_and_hides_the_document(live):
    index_dir, docs = live
    engine = Engine(index_dir)
    word = "Iran"
    hits = engine.search(SearchRequest(q=word, per_page=100, collapse=False))
    assert hits.total >= 2
    gone = hits.hits[0].id
    group = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())[0][0].group
    assert Indexer(index_dir).delete([gone]) == 1
    engine.searchers._local.searcher = None
    view = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())[0][0]
    assert view.group is group  # same segments, same postings: only the live mask changed
    after = engine.search(SearchRequest(q=word, per_page=100, collapse=False))
    assert gone not in [h.id for h in after.hits] and after.total == hits.total - 1
    _assert_grouped_equals_alone(engine, [word, f'"{word}"'])


def test_a_segment_without_its_sidecar_is_searched_alone(live):
    index_dir, _docs = live
    engine = Engine(index_dir)
    leaves = engine.searchers.searcher().reader().leaf_readers()
    victim = leaves[1][0]
    sidecar.path_for(index_dir, victim.segment().segment_id()).unlink()
    sidecar.forget()
    engine.searchers._local.searcher = None
    runs = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())
    kinds = [type(leaf) is View for leaf, _ in runs]
    assert kinds == [False, False, True] or kinds.count(True) == 1 and len(runs) == 3
    assert _assert_grouped_equals_alone(engine, _queries(engine)) > 100


def test_a_full_group_empties_and_still_answers(live, monkeypatch):
    index_dir, _docs = live
    monkeypatch.setattr(segment_group, "HELD", 50)  # emptied every few lists
    assert _assert_grouped_equals_alone(Engine(index_dir), _queries(Engine(index_dir))) > 100


def test_threads_share_one_states_caches_and_carry_what_exists(live):
    index_dir, docs = live
    engine = Engine(index_dir)
    pool = engine.searchers
    mine = pool.searcher()
    box = {}

    def other():
        s = pool.searcher()
        box["terms"], box["stats"] = pool.terms(s).known, pool.term_stats(s)._known

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert box["terms"] is pool.terms(mine).known and box["stats"] is pool.term_stats(mine)._known
    exists = pool.terms(mine)
    held = next(t.decode() for t in mine.reader().lexicon("body_id") if len(t) > 4)
    assert exists("body_id", held) and not exists("body_id", "zzzunheardof")
    Indexer(index_dir).add_documents([Document(id="new-1", title="", text="Kapal zzzunheardof berlabuh.", lang="id")])
    pool._local.searcher = None
    fresh = pool.terms(pool.searcher())
    assert fresh.known is not exists.known and fresh.carried is exists.known  # only segments added
    assert fresh("body_id", held) and fresh("body_id", "zzzunheardof")  # a False is asked again
    searcher = pool.searcher()
    assert pool.term_stats(searcher)("body_id", held) == searcher.weighting.constants(searcher, "body_id", held)


def test_body_frequencies_from_sidecars_equal_whooshs(live):
    index_dir, _docs = live
    reader = Engine(index_dir).searchers.searcher().reader()
    checked = 0
    for leaf, _ in reader.leaf_readers():
        for fieldname in ("body_id", "body_fa"):
            for btext in list(leaf.lexicon(fieldname))[:80]:
                term = btext.decode("utf-8")
                assert xtables._frequency(leaf, fieldname, term) == leaf.frequency(fieldname, btext)
                checked += 1
        assert xtables._frequency(leaf, "body_id", "zzzunheardof") == 0.0
    assert checked > 200 and len(_seed_documents()) > 100


def test_fields_the_group_does_not_hold_are_searched_segment_by_segment(live, monkeypatch):
    index_dir, _docs = live
    # As for an index whose title fields have no sidecar arrays: their words (and
    # phrases) are matched in each grouped segment and shifted to the group's docnums.
    monkeypatch.setattr(segment_group, "sidecar_fields", lambda schema: ["body_fa", "body_id", "body_en"])
    engine = Engine(index_dir)
    view = segment_group.runs(engine.searchers.searcher().reader().leaf_readers())[0][0]
    assert not view.covers("title_id") and view.covers("body_id")
    assert _assert_grouped_equals_alone(engine, _queries(engine)) > 100


def test_document_frequencies_carried_across_commits_equal_whooshs(live):
    from search.bm25 import doc_frequency

    index_dir, docs = live
    engine = Engine(index_dir)
    pool = engine.searchers
    terms = sorted({t for leaf, _ in pool.searcher().reader().leaf_readers()
                    for t in list(leaf.lexicon("body_id"))[:150]})
    for t in terms:  # the first state's totals, summed over every segment
        doc_frequency(pool.searcher(), "body_id", t)
    for round_ in range(2):
        Indexer(index_dir).add_documents([Document(id=f"more-{round_}-{i}", title="", text=d.text, lang="id")
                                          for i, d in enumerate(docs[40:70])])
        pool._local.searcher = None
        searcher = pool.searcher()
        reader = searcher.reader()
        totals, carry = reader._lintas_df
        assert carry is not None and len(carry[1]) == 1  # one segment added to the previous state
        for t in terms:
            assert doc_frequency(searcher, "body_id", t) == sum(
                leaf.doc_frequency("body_id", t) for leaf, _ in reader.leaf_readers()), t
        assert all(("body_id", t) in totals for t in terms)
