"""search.bm25: BM25's idf in Whoosh's BM25F."""

from math import isclose, log

from whoosh import fields, scoring
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Term

from search.bm25 import BM25F, bm25_idf, bm25_plus


def test_idf_matches_lucene_formula():
    # Lucene BM25Similarity.idf(docFreq, docCount)
    assert isclose(bm25_idf(1000, 1), log(1 + 999.5 / 1.5))
    assert isclose(bm25_idf(1000, 500), log(1 + 500.5 / 500.5))


def test_idf_stays_positive_for_a_word_in_every_document():
    assert 0 < bm25_idf(10, 10) < 0.1


def test_common_words_weigh_less_than_under_whoosh_idf():
    # ratio rare/common: the point of the change
    whoosh = lambda n, df: 1 + log(n / (df + 1))  # noqa: E731
    assert bm25_idf(1000, 1) / bm25_idf(1000, 500) > 2 * whoosh(1000, 1) / whoosh(1000, 500)


def _searcher(weighting):
    ix = RamStorage().create_index(fields.Schema(body=fields.TEXT))
    w = ix.writer()
    for text in ["common rare", "common", "common", "common"]:
        w.add_document(body=text)
    w.commit()
    return ix.searcher(weighting=weighting)


def test_searcher_uses_bm25_idf_and_keeps_field_b():
    w = BM25F(B=0.75, K1=1.2, body_B=0.3)
    assert isinstance(w, scoring.BM25F)
    with _searcher(w) as s:
        assert isclose(s.idf("body", "rare"), bm25_idf(4, 1))
        assert isclose(s.idf("body", "common"), bm25_idf(4, 4))
        assert w.scorer(s, "body", "rare").B == 0.3
        hits = s.search(Term("body", "rare") | Term("body", "common"))
        assert hits.docnum(0) == 0  # the document with the rare word first


def test_n_is_the_documents_of_the_fields_language(engine):
    # Seeds: 1 Persian and 4 Indonesian documents. A Persian word's idf counts
    # Persian documents only, as Lucene's docCount counts documents with the field.
    from search.ranking import weighting

    with engine._ix.searcher(weighting=weighting()) as s:
        n_fa, n_id = s.doc_frequency("lang", "fa"), s.doc_frequency("lang", "id")
        assert (n_fa, n_id) == (1, 4)
        df = s.doc_frequency("body_fa", "ایران")
        assert df == 1
        assert isclose(s.idf("body_fa", "ایران"), bm25_idf(n_fa, df))
        assert isclose(s.idf("body_id", "hubung"), bm25_idf(n_id, s.doc_frequency("body_id", "hubung")))


def test_average_length_is_over_the_fields_language(engine):
    # Whoosh divides a field's total length by every document of the index: with
    # 1 Persian and 4 Indonesian seeds, the Persian article looked 5x longer than
    # the Persian average. Over the field's own documents it is exactly average.
    from search.ranking import weighting

    with engine._ix.searcher(weighting=weighting()) as s:
        total = s.reader().field_length("body_fa")
        scorer = s.weighting.scorer(s, "body_fa", "ایران")
        assert isclose(scorer.avgfl, total / 1)
        assert isclose(s.avg_field_length("body_fa"), total / 5)  # Whoosh's own figure
        id_scorer = s.weighting.scorer(s, "body_id", "hubung")
        assert isclose(id_scorer.avgfl, s.reader().field_length("body_id") / 4)


def test_bm25_plus_gives_every_matched_word_a_floor():
    # However long the document, a word it matches adds at least delta * idf.
    assert bm25_plus(2.0, 1, 10**6, 100, 0.75, 1.2, 0.5) > 2.0 * 0.5
    assert bm25_plus(2.0, 1, 10**6, 100, 0.75, 1.2, 0.0) < 0.01
    assert isclose(bm25_plus(2.0, 3, 50, 100, 0.75, 1.2, 0.0), scoring.bm25(2.0, 3, 50, 100, 0.75, 1.2))


def _long_and_short(weighting):
    # A long document matching both words, and a short one repeating just one.
    ix = RamStorage().create_index(fields.Schema(body=fields.TEXT))
    w = ix.writer()
    w.add_document(body="alpha beta " + " ".join(f"w{i}" for i in range(400)))
    w.add_document(body="alpha alpha")
    w.add_document(body="gamma")
    w.commit()
    with ix.searcher(weighting=weighting) as s:
        return [h.docnum for h in s.search(Term("body", "alpha") | Term("body", "beta"))]


def test_delta_lets_the_document_matching_more_words_win_despite_its_length():
    assert _long_and_short(BM25F(B=0.75, K1=1.2))[0] == 1  # plain BM25: length wins
    assert _long_and_short(BM25F(B=0.75, K1=1.2, delta=0.5))[0] == 0


def test_delta_is_kept_by_the_scorer_and_its_upper_bound():
    w = BM25F(B=0.75, K1=1.2, delta=0.5)
    with _searcher(w) as s:
        scorer = w.scorer(s, "body", "rare")
        assert scorer.delta == 0.5
        # block-max pruning must never skip a document: its bound covers the floor
        plain = BM25F(B=0.75, K1=1.2).scorer(s, "body", "rare").max_quality()
        assert isclose(scorer.max_quality(), plain + 0.5 * s.idf("body", "rare"))
        assert scorer.max_quality() >= s.search(Term("body", "rare"))[0].score
