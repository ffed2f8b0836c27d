"""One Whoosh searcher per thread, replaced when another process commits to the index.

A re-index then shows up without a restart, and a searcher that a commit broke
mid-query gets one retry on the new index. What a thread derives from its
searcher (the languages present, which terms exist, BM25 constants) is kept
beside it and rebuilt with it.
"""

from __future__ import annotations

import threading
import time

from whoosh.searching import Searcher

from analyzers import LANGS

from . import codec, vectorized
from .bm25 import doc_frequency, leaf_segment_ids
from .plan import TermCache
from .ranking import weighting
from .shards import ShardedIndex

REFRESH_EVERY = 0.2  # seconds between checks for a newer index generation
STATES = 3  # index states whose shared caches are kept (a thread may lag behind the others)

# What a searcher of an index whose files a commit removed raises, deep inside
# Whoosh (a None reader, a closed file, a short read).
STALE_ERRORS = (TypeError, AttributeError, OSError, ValueError, IndexError)


class SearcherPool:
    def __init__(self, ix):
        self._ix = ix
        self._local = threading.local()
        # The newest index generation any thread has opened: a thread holding an older
        # one refreshes at once, so a client whose requests land on different threads
        # never sees the index go back in time (a count drop, a document gone and back).
        self._newest = 0
        self._newest_lock = threading.Lock()
        # What the threads derive from one index state (a set of segments), shared by
        # their searchers of it: after a commit each thread would otherwise look every
        # query word up again (existence in every segment, BM25 constants).
        self._states: dict[tuple, dict] = {}
        self._states_lock = threading.Lock()

    def searcher(self):
        """This thread's searcher, refreshed if the index has a newer generation."""
        local = self._local
        searcher = getattr(local, "searcher", None)
        now = time.monotonic()
        if searcher is None:
            local.searcher, local.checked = self._open(), now
            self._state(local.searcher)  # its reader carries the state's shared totals (search/bm25.py)
        elif now - local.checked > REFRESH_EVERY or generation(searcher) < self._newest:
            local.checked = now
            if not searcher.up_to_date():
                # Not searcher.refresh(): Whoosh compares segments by id only, so deletions
                # in an old segment (updates, deletes) would stay invisible (codec.reopen).
                local.searcher = self._reopen(searcher)
                self._state(local.searcher)
        opened = generation(local.searcher)
        if opened > self._newest:
            with self._newest_lock:
                self._newest = max(self._newest, opened)
        return local.searcher

    def _open(self):
        return self._ix.searcher(weighting=weighting())

    def _reopen(self, old):
        """A searcher of the newest generation that keeps `old`'s readers of unchanged
        segments (and what hangs on them: open columns, sidecars, lengths), then closes
        the rest. A commit adds one small segment: the thread reopens only that one."""
        reuse = {leaf.segment().segment_id(): leaf for leaf, _ in old.reader().leaf_readers()
                 if leaf.segment() is not None}
        if isinstance(self._ix, ShardedIndex):
            reader = self._ix.reader(reuse)
        else:
            reader = codec.reopen(self._ix, reuse)
        for leaf in reuse.values():
            leaf.close()
        return Searcher(reader, fromindex=self._ix, weighting=weighting())

    def retrying(self, work):
        """Run `work(searcher)`; once more on a fresh searcher if a commit broke it.

        Whoosh opens some per-document files of a segment lazily, on first use. When
        another process's commit merges that segment away in between, its files are
        gone and the old searcher fails deep inside Whoosh (a None reader). A
        searcher that is no longer up to date gets one retry on the new index.
        """
        searcher = self.searcher()
        try:
            return work(searcher)
        except STALE_ERRORS:
            if searcher.up_to_date():
                raise  # not a stale index: a real bug, let it show
            self._local.searcher = None
            return work(self.searcher())

    def present_langs(self, searcher) -> tuple[str, ...]:
        """The languages the searcher's index holds documents of (all if it is empty)."""
        local = self._local.__dict__
        if local.get("present_for") is not searcher:
            local["present_for"] = searcher
            local["present"] = tuple(
                lang for lang in LANGS if doc_frequency(searcher, "lang", lang)) or LANGS
        return local["present"]

    def terms(self, searcher) -> TermCache:
        cache = self._local.__dict__.get("terms")
        if cache is None or cache.reader is not searcher.reader():
            state = self._state(searcher)
            cache = self._local.terms = TermCache(searcher.reader(), state["terms"], state["carried"])
        return cache

    def term_stats(self, searcher) -> vectorized.TermStats:
        stats = self._local.__dict__.get("stats")
        if stats is None or stats.searcher is not searcher:
            stats = self._local.stats = vectorized.TermStats(searcher, self._state(searcher)["stats"])
        return stats

    def _state(self, searcher) -> dict:
        """The caches shared by every thread's searcher of this searcher's segments.
        Keyed by segment ids: what they hold (document frequencies, field lengths,
        document counts) counts deleted documents as Whoosh does, so deletions in a
        segment change none of it."""
        key = state_key(searcher)
        found = self._states.get(key)
        if found is None:
            with self._states_lock:
                found = self._states.get(key)
                if found is None:
                    newest = next(reversed(self._states.values()), None)
                    carried = carried_df = None
                    if newest is not None and set(newest["key"]) <= set(key):
                        # A term the previous state held is still held if all its segments
                        # are, and its document frequency grows by the added segments' only.
                        carried = newest["terms"]
                        carried_df = (newest["df"], frozenset(key) - frozenset(newest["key"]))
                    found = {"key": key, "terms": {}, "stats": {}, "carried": carried,
                             "df": {}, "df_carry": carried_df}
                    while len(self._states) >= STATES:
                        del self._states[next(iter(self._states))]
                    self._states[key] = found
        reader = searcher.reader()
        if "_lintas_df" not in reader.__dict__:
            reader._lintas_df = (found["df"], found["df_carry"])
        return found


def state_key(searcher) -> tuple:
    """The segment ids a searcher reads, remembered on the searcher (a sharded
    index's segments carry their shard's directory)."""
    key = getattr(searcher, "_lintas_state", None)
    if key is None:
        reader = searcher.reader()
        key = tuple(f"?{id(leaf)}" if sid is None else sid for leaf, sid in leaf_segment_ids(reader)) \
            if reader.generation() is not None else ()
        searcher._lintas_state = key
    return key


def generation(searcher) -> int:
    """The index generation a searcher reads; an index with no segments yet has none."""
    found = searcher.reader().generation()
    return -1 if found is None else found
