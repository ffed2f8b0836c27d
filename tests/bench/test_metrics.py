"""Ranking metrics against examples worked out by hand (the arithmetic is in the comments)."""

import math

import pytest

from bench import metrics
from bench.relevance import source_of


def test_first_relevant_at_rank_3_gives_rr_one_third():
    assert metrics.reciprocal_rank(["x", "y", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(1 / 3)


def test_first_relevant_at_rank_1_gives_rr_1():
    assert metrics.reciprocal_rank(["a", "x"], {"a": 1}) == 1.0


def test_no_relevant_in_top_10_scores_zero_on_rr_and_ndcg_but_counts_for_recall():
    ranking = [f"x{i}" for i in range(10)] + ["a"]  # the answer sits at rank 11
    qrels = {"a": 1}
    assert metrics.reciprocal_rank(ranking, qrels, k=10) == 0.0
    assert metrics.ndcg(ranking, qrels, k=10) == 0.0
    assert metrics.recall(ranking, qrels, k=100) == 1.0
    assert metrics.first_relevant_rank(ranking, qrels) == 11


def test_judged_not_relevant_is_not_relevant():
    # grade 0 is a judgement that the document does not answer the question
    assert metrics.reciprocal_rank(["n", "a"], {"n": 0, "a": 1}) == 0.5


def test_ndcg_two_relevant_binary_by_hand():
    # relevant at ranks 1 and 3: DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    # ideal: ranks 1 and 2: IDCG = 1 + 1/log2(3) = 1.63093
    got = metrics.ndcg(["a", "x", "b", "y"], {"a": 1, "b": 1}, k=10)
    assert got == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert got == pytest.approx(0.91972, abs=1e-5)


def test_ndcg_graded_gain_is_the_grade():
    # grades a=2, b=1, ranked b, a: DCG = 1/1 + 2/log2(3) = 2.26186
    # ideal a, b: IDCG = 2/1 + 1/log2(3) = 2.63093 -> 0.85972
    assert metrics.ndcg(["b", "a"], {"a": 2, "b": 1}) == pytest.approx(0.85972, abs=1e-5)


def test_ndcg_ideal_counts_relevant_docs_that_were_not_retrieved():
    # only a is retrieved, at rank 1; b is relevant but missing: 1 / (1 + 1/log2(3))
    assert metrics.ndcg(["a"], {"a": 1, "b": 1}) == pytest.approx(0.61315, abs=1e-5)


def test_ndcg_perfect_ranking_is_1():
    assert metrics.ndcg(["a", "b", "x"], {"a": 1, "b": 1}) == pytest.approx(1.0)


def test_recall_counts_only_the_top_k_and_each_document_once():
    qrels = {"a": 1, "b": 1, "c": 1}
    ranking = ["a", "a", "x", "b"] + [f"x{i}" for i in range(96)] + ["c"]  # c at rank 101
    assert metrics.recall(ranking, qrels, k=100) == pytest.approx(2 / 3)
    assert metrics.recall(ranking, qrels, k=101) == 1.0


def test_empty_ranking_scores_zero_everywhere():
    assert metrics.score_query([], {"a": 1}) == {"MRR@10": 0.0, "nDCG@10": 0.0, "R@100": 0.0}


def test_macro_average_weights_sources_not_queries():
    per_query = {
        "tydi-1": metrics.score_query(["a"], {"a": 1}),  # RR 1
        "tydi-2": metrics.score_query(["x"], {"a": 1}),  # RR 0
        "facqa-1": metrics.score_query(["x", "y", "z", "a"], {"a": 1}),  # RR 1/4
    }
    by_source = metrics.per_source_means(per_query, source_of)
    assert by_source["tydi"]["MRR@10"] == pytest.approx(0.5)
    assert by_source["facqa"]["MRR@10"] == pytest.approx(0.25)
    # macro (0.5 + 0.25) / 2 = 0.375, where the mean over queries would be 1.25 / 3 = 0.4167
    assert metrics.macro_average(by_source)["MRR@10"] == pytest.approx(0.375)


def test_source_is_the_qid_prefix():
    assert source_of("parsinlu-dev-0002") == "parsinlu"
    assert source_of("pquad-7") == "pquad"
