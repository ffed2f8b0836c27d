"""A query's matching and scoring fanned out to shard searchers held by Dask workers.

The coordinator (the Engine of `lintas serve --scheduler`) parses and prunes the
query against every shard's terms, gathers the global statistics its terms need
(search/shard_stats.py) and sends both to every shard in one round trip. A
worker keeps one searcher per shard it has been sent (worker state, refreshed
when the shard commits), scores its shard with the global statistics, and
returns every match as (docnums, scores): the coordinator offsets them into its
own view of all shards, so filters, facets, the timeline, paging, folding and
snippets are then the code that serves one index (search/browse.py).

A shard that has not answered when the query's time budget runs out, whose
worker died, or that cannot be opened is left out: the answer is partial and
names it (`shards_failed`), never an error.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from whoosh.searching import Searcher

from . import cluster, collect, shard_stats, storage, vectorized
from .vectorized import Matches

# Worker state: shard directory -> (index, searcher of its newest generation).
_HELD: dict[str, tuple] = {}
_HELD_LOCK = threading.Lock()
WORKERS_REFRESH = 1.0  # seconds


class DaskFanout:
    def __init__(self, scheduler: str):
        self.client = cluster.connect(scheduler)
        self.scheduler = scheduler
        self._addresses: tuple[float, list[str]] = (0.0, [])

    def _workers(self) -> list[str]:
        """The cluster's workers, asked again at most once a second (one round trip each)."""
        when, found = self._addresses
        if time.monotonic() - when > WORKERS_REFRESH:
            found = cluster.worker_addresses(self.client)
            self._addresses = (time.monotonic(), found)
        return found

    def close(self) -> None:
        self.client.close()

    def match(self, searcher, parts: dict, spans, dirs: list[Path], deadline: float,
              vectorize: bool = True) -> tuple[dict[str, Matches], dict[int, str]]:
        """Every shard's matches of `parts` ({lang: query}), offset into `searcher`'s docnums;
        and the shards left out, with why."""
        stats = shard_stats.gather(searcher, parts.values())
        addresses = self._workers()
        futures = {}
        for span in spans:
            budget = deadline - time.perf_counter()
            futures[span] = self.client.submit(
                match_shard, str(dirs[span.shard]), parts, stats, budget, vectorize, pure=False,
                **cluster.placement(addresses, span.shard))
        done, late = cluster.wait(list(futures.values()), timeout=deadline - time.perf_counter())
        failed: dict[int, str] = {}
        per_lang: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {lang: [] for lang in parts}
        for span, future in futures.items():
            if future not in done:
                failed[span.shard] = "no answer within the time budget"
                future.cancel()
                continue
            try:
                complete, size, found = future.result()
            except Exception as e:  # noqa: BLE001 - a dead worker, an unreadable shard: partial
                failed[span.shard] = f"{type(e).__name__}: {e}"
                continue
            if not complete:  # its matching stopped at the deadline: what it has is not all
                failed[span.shard] = "ran past the time budget"
                continue
            if size != span.stop - span.start:
                failed[span.shard] = "the shard changed during the query (a commit): try again"
                continue
            for lang, (ids, scores) in found.items():
                per_lang[lang].append((ids.astype(np.int64) + span.start, scores))
        del late
        matched = {}
        for lang, lists in per_lang.items():
            if lists:
                matched[lang] = Matches(np.concatenate([i for i, _ in lists]), np.concatenate([s for _, s in lists]))
            else:
                matched[lang] = Matches(np.zeros(0, np.int64), np.zeros(0, np.float64))
        return matched, failed


def match_shard(shard_dir: str, parts: dict, stats: shard_stats.GlobalStats, budget: float,
                vectorize: bool = True):
    """A Dask task: (finished within the budget, documents incl. deleted, {lang: (docnums, scores)})
    of one shard."""
    deadline = time.perf_counter() + max(budget, 0.0)
    ix, held = _held(shard_dir)
    # A searcher of its own per task over the held reader: the weighting carries this
    # query's statistics, and a worker with several threads runs several queries.
    searcher = Searcher(held.reader(), weighting=shard_stats.GlobalBM25F(stats), fromindex=ix)
    found = {}
    for lang, q in parts.items():
        if vectorize and vectorized.supports(q, searcher.schema):
            term_stats = vectorized.TermStats(searcher)  # per query: the stats travel with it
            term_stats.deadline = deadline
            m = vectorized.match(searcher, q, term_stats)
        else:
            m = collect.matches(searcher, q, deadline)
        found[lang] = (m.docnums.astype(np.int32), m.scores)
    return time.perf_counter() <= deadline, searcher.reader().doc_count_all(), found


def _held(shard_dir: str):
    """This worker's searcher of the shard, reopened when the shard has a newer commit."""
    with _HELD_LOCK:
        held = _HELD.get(shard_dir)
        if held is None:
            ix = storage.open_index(shard_dir)
            held = _HELD[shard_dir] = (ix, ix.searcher())
        ix, searcher = held
        if not searcher.up_to_date():
            searcher = ix.searcher()
            _HELD[shard_dir] = (ix, searcher)
        return ix, searcher
