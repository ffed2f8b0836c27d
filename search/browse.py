"""From every match of a query to one results page: filters, facets, timeline, order, folding.

The engine hands over every matching document per language (docnums and
scores: search/vectorized.py computes them, or search/collect.py steps Whoosh's
matchers for what it cannot), and everything a reader can change on the page
is then arithmetic on arrays (search/columns.py):

- filters: a date range and a source, as masks;
- facets: per language (other languages stay countable when one is chosen) and
  per source (other sources stay countable when one is chosen);
- the timeline: the matches' dates in buckets (search/histogram.py);
- order: relevance, newest or oldest (undated documents last either way);
- folding: near-duplicates (search/dedup.py) become one result, the best
  placed of them, with the others attached as its similar articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import columns
from . import histogram as hist
from .vectorized import Matches, union

MAX_SOURCES = 20
MAX_SIMILAR = 20  # listed under a result; the count covers them all


@dataclass
class Refined:
    lang_counts: dict[str, int]
    source_counts: dict[str, int]
    total: int
    total_collapsed: int
    histogram: hist.Histogram | None
    # (score, docnum, docnums of its near-duplicates that also match, how many there are)
    page: list[tuple[float, int, list[int], int]] = field(default_factory=list)


def _keep(m: Matches, mask: np.ndarray) -> Matches:
    return Matches(m.docnums[mask], m.scores[mask])


def refine(searcher, matched: dict[str, Matches], req, langs) -> Refined:
    cols = columns.for_reader(searcher.reader())
    day_ok = None
    if req.date_from or req.date_to:
        lo = req.date_from.toordinal() if req.date_from else 1
        hi = req.date_to.toordinal() if req.date_to else np.iinfo(np.int32).max
        day_ok = (cols.day >= lo) & (cols.day <= hi)
    source_ok = None
    if req.source:
        code = columns.SOURCES.code(req.source)
        source_ok = cols.source == code if code is not None else np.zeros(len(cols.source), bool)

    def filtered(m: Matches, with_source: bool = True) -> Matches:
        mask = np.ones(len(m), bool)
        if day_ok is not None:
            mask &= day_ok[m.docnums]
        if with_source and source_ok is not None:
            mask &= source_ok[m.docnums]
        return m if mask.all() else _keep(m, mask)

    per_lang = {lang: filtered(m) for lang, m in matched.items()}
    lang_counts = {lang: len(m) for lang, m in sorted(per_lang.items()) if len(m)}
    chosen = union([per_lang[lang] for lang in langs if lang in per_lang])
    if req.source:
        unsourced = union([filtered(matched[lang], with_source=False) for lang in langs if lang in matched])
    else:
        unsourced = chosen
    source_counts = _source_counts(cols.source[unsourced.docnums], req.source)
    histogram = None
    if req.histogram:
        histogram = hist.histogram(cols.day[chosen.docnums], req.histogram)

    fold = req.collapse and cols.has_dups and len(chosen) > 1
    clusters = cols.dup[chosen.docnums] if fold else None
    total_collapsed = len(chosen)
    if fold:
        total_collapsed = len(np.unique(clusters))

    start, stop = (req.page - 1) * req.per_page, req.page * req.per_page
    if req.sort == "relevance" and not fold:
        top = chosen.top(stop, cols.key)[start:]
        page = [(score, docnum, [], 0) for score, docnum in top]
    else:
        ties = cols.key[chosen.docnums]
        order, reps = _representatives(chosen, cols.day[chosen.docnums], ties, clusters, req.sort, stop)
        page = []
        rank = None
        for i in reps[start:stop].tolist():
            similar_ids: list[int] = []
            count = 0
            if fold:
                same = np.flatnonzero(clusters == clusters[i])
                same = same[same != i]
                count = len(same)
                if count > 1:
                    if rank is None:
                        rank = _ranks(chosen, cols.day[chosen.docnums], ties, req.sort)
                    same = same[np.argsort(rank[same], kind="stable")]
                similar_ids = chosen.docnums[same[:MAX_SIMILAR]].tolist()
            page.append((float(chosen.scores[i]), int(chosen.docnums[i]), similar_ids, count))
    return Refined(lang_counts=lang_counts, source_counts=source_counts, total=len(chosen),
                   total_collapsed=total_collapsed, histogram=histogram, page=page)


def _keys(m: Matches, days: np.ndarray, ties: np.ndarray, sort: str) -> tuple:
    """np.lexsort keys, last one first: by score, or by date with score breaking ties;
    then by the documents' id keys (columns.Columns.key)."""
    if sort == "relevance":
        return (m.docnums, ties, -m.scores)
    undated = days == columns.NO_DATE
    if sort == "oldest":
        key = np.where(undated, np.iinfo(np.int32).max, days)
    else:  # newest ("date" is its older name); undated last either way
        key = np.where(undated, 0, -days.astype(np.int64))
    return (m.docnums, ties, -m.scores, key)


def _ranks(m: Matches, days: np.ndarray, ties: np.ndarray, sort: str) -> np.ndarray:
    order = np.lexsort(_keys(m, days, ties, sort))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _representatives(m: Matches, days: np.ndarray, ties: np.ndarray, clusters, sort: str, needed: int):
    """(order, reps): positions into `m` best first, and those that head their cluster.

    By relevance, only a growing head of the order is sorted (np.partition), until it
    holds `needed` clusters: the first member of a cluster within the head is its
    first member overall. Dates sort everything; a date is one integer compare.
    """
    n = len(m)
    if sort == "relevance" and clusters is not None:
        k = min(n, max(needed * 2, 32))
        while True:
            if k < n:
                kth = np.partition(m.scores, n - k)[n - k]
                head = np.flatnonzero(m.scores >= kth)  # ties with the k-th stay in
            else:
                head = np.arange(n)
            order = head[np.lexsort((m.docnums[head], ties[head], -m.scores[head]))]
            _, first = np.unique(clusters[order], return_index=True)
            if len(first) >= needed or len(head) >= n:
                return order, order[np.sort(first)]
            k = min(n, k * 4)
    order = np.lexsort(_keys(m, days, ties, sort))
    if clusters is None:
        return order, order
    _, first = np.unique(clusters[order], return_index=True)
    return order, order[np.sort(first)]


def _source_counts(codes: np.ndarray, chosen: str | None) -> dict[str, int]:
    codes = codes[codes != columns.NO_CODE]
    if not len(codes):
        return {}
    found, counts = np.unique(codes, return_counts=True)
    best = np.lexsort((found, -counts))[:MAX_SOURCES]
    out = {columns.SOURCES.name(int(found[i])): int(counts[i]) for i in best}
    if chosen and chosen not in out:
        code = columns.SOURCES.code(chosen)
        hit = np.flatnonzero(found == code) if code is not None else []
        out[chosen] = int(counts[hit[0]]) if len(hit) else 0
    return out
