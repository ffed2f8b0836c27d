"""Ranking metrics: MRR@k, nDCG@k, Recall@k and the macro average over sources.

Plain functions over a ranked list of document ids and a qrels dict {docid: grade}, so each
can be checked by hand. Conventions follow trec_eval: a grade > 0 is relevant, nDCG uses the
grade itself as the gain with a log2(rank + 1) discount, and the ideal ranking is built from
*all* judged documents, not only the retrieved ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, int]  # docid -> grade; grade <= 0 means judged not relevant


def first_relevant_rank(ranking: Sequence[str], qrels: Qrels) -> int | None:
    """1-based rank of the first relevant document, or None if none was retrieved."""
    for rank, docid in enumerate(ranking, start=1):
        if qrels.get(docid, 0) > 0:
            return rank
    return None


def reciprocal_rank(ranking: Sequence[str], qrels: Qrels, k: int = 10) -> float:
    """1/rank of the first relevant document within the top k, else 0.

    >>> reciprocal_rank(["a", "b", "c"], {"c": 1})
    0.3333333333333333
    """
    rank = first_relevant_rank(ranking[:k], qrels)
    return 0.0 if rank is None else 1.0 / rank


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains listed in rank order (rank 1 first)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1) if g > 0)


def ndcg(ranking: Sequence[str], qrels: Qrels, k: int = 10) -> float:
    """nDCG@k with graded gains; 0 for a query without any relevant judgement."""
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([max(qrels.get(d, 0), 0) for d in ranking[:k]]) / ideal


def recall(ranking: Sequence[str], qrels: Qrels, k: int = 100) -> float:
    """Share of the relevant documents found in the top k; 0 if nothing is relevant."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    # set(): an engine that returns a document twice must not count it twice
    return len(relevant & set(ranking[:k])) / len(relevant)


METRICS = {
    "MRR@10": lambda ranking, qrels: reciprocal_rank(ranking, qrels, 10),
    "nDCG@10": lambda ranking, qrels: ndcg(ranking, qrels, 10),
    "R@100": lambda ranking, qrels: recall(ranking, qrels, 100),
}


def score_query(ranking: Sequence[str], qrels: Qrels) -> dict[str, float]:
    """Every metric of METRICS for one query."""
    return {name: fn(ranking, qrels) for name, fn in METRICS.items()}


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def per_source_means(
    per_query: Mapping[str, Mapping[str, float]], source_of
) -> dict[str, dict[str, float]]:
    """Average each metric over the queries of each source: {source: {metric: mean}}.

    `per_query` is {qid: {metric: value}}; `source_of(qid)` names the query's source.
    """
    grouped: dict[str, list[Mapping[str, float]]] = {}
    for qid, scores in per_query.items():
        grouped.setdefault(source_of(qid), []).append(scores)
    return {
        source: {m: mean([s[m] for s in rows]) for m in rows[0]}
        for source, rows in sorted(grouped.items())
    }


def macro_average(by_source: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Unweighted mean over sources, so a big easy source (PQuAD) cannot hide a hard one."""
    if not by_source:
        return {}
    metrics = next(iter(by_source.values())).keys()
    return {m: mean([scores[m] for scores in by_source.values()]) for m in metrics}
