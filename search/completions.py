"""Completions while typing: the index's own surface words that start with a prefix.

The words come from the `words` field (surface forms, analyzers/words.py), so
`hubung` completes to `hubungan`, never to the stem `hubung`, and «آذرب» to
«آذربایجان». They are ranked by how many documents hold them.

The field's terms are read once per segment into one sorted list and an array
of document frequencies, merged once per index generation and shared by every
thread of the process: a prefix is then two binary searches and a partial sort
of the slice between them, instead of Whoosh walking its term dictionary per
keystroke (bench/suggest.py measures both). The lists are packed (_Words): a
server worker at 100k documents kept 900k bytes objects, 38 MB of its private
memory, for them.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from analyzers.words import MAX_CHARS, fold_prefix

FIELD = "words"
MAX_LIMIT = 20


@dataclass(frozen=True)
class Completion:
    text: str  # the whole query with its last word completed
    word: str
    documents: int


class _Words:
    """Byte strings end to end in one bytes object, indexable like a list (bisect
    searches it): about a third of the memory of a list of bytes objects."""

    __slots__ = ("blob", "ends")

    def __init__(self, words: Iterable[bytes]):
        words = list(words)
        self.blob = b"".join(words)
        ends = np.cumsum([len(w) for w in words], dtype=np.uint64)
        # 4 bytes an end while the words fit in 4 GiB (a million-document index's are ~100 MB)
        narrow = not len(ends) or ends[-1] < 2**32
        self.ends = array("I" if narrow else "Q", ends.astype(np.uint32 if narrow else np.uint64).tobytes())

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        if i < 0:
            i += len(self.ends)
        return self.blob[self.ends[i - 1] if i else 0:self.ends[i]]

    def __iter__(self):
        start = 0
        for end in self.ends:
            yield self.blob[start:end]
            start = end


class _Table:
    """Surface words in byte order (Whoosh's term order) and their document frequencies."""

    def __init__(self, terms: Iterable[bytes], freqs: np.ndarray):
        self.terms = _Words(terms)
        self.freqs = freqs

    @classmethod
    def of_segment(cls, leaf) -> _Table:
        terms, freqs = [], []
        if FIELD in leaf.schema:
            for btext, info in leaf.iter_field(FIELD):
                terms.append(btext)
                freqs.append(info.doc_frequency())
        return cls(terms, np.asarray(freqs, dtype=np.int32))

    @classmethod
    def merged(cls, tables: list[_Table]) -> _Table:
        if len(tables) == 1:
            return tables[0]
        # Summed per word in a dict: Whoosh's own multi-segment term walk (a heap
        # merge in Python, term infos added up) took 15 times as long.
        total: dict[bytes, int] = {}
        for table in tables:
            for term, n in zip(table.terms, table.freqs.tolist()):
                total[term] = total.get(term, 0) + n
        terms = sorted(total)
        return cls(terms, np.fromiter((total[t] for t in terms), dtype=np.int64, count=len(terms)))  # sums

    def span(self, prefix: bytes) -> tuple[int, int]:
        """Where the words that start with `prefix` are."""
        lo = bisect.bisect_left(self.terms, prefix)
        return lo, bisect.bisect_left(self.terms, prefix + b"\xff", lo)  # 0xff never occurs in UTF-8

    def count(self, word: bytes, lo: int, hi: int) -> int:
        """Documents holding `word`, looked for between lo and hi (0 if absent)."""
        i = bisect.bisect_left(self.terms, word, lo, hi)
        return int(self.freqs[i]) if i < hi and self.terms[i] == word else 0

    def best(self, prefix: bytes, limit: int) -> list[tuple[bytes, int]]:
        """The `limit` words with the prefix held by most documents, in no order."""
        lo, hi = self.span(prefix)
        if hi <= lo:
            return []
        freqs = self.freqs[lo:hi]
        picked = np.argpartition(-freqs, limit - 1)[:limit] if hi - lo > limit else np.arange(hi - lo)
        return [(self.terms[lo + i], int(freqs[i])) for i in picked.tolist()]

    def top(self, prefix: bytes, limit: int) -> list[tuple[str, int]]:
        return _ranked(self.best(prefix, limit), limit)


def _ranked(found, limit: int) -> list[tuple[str, int]]:
    # Most documents first; alphabetical among equals so the list is stable.
    return [(w.decode("utf-8"), n) for w, n in sorted(found, key=lambda x: (-x[1], x[0]))[:limit]]


class _Split:
    """The table of a generation as its big segments' (kept while they are) and the
    small recent ones' (merged again at each commit, which only they change).

    A word's count is the sum of its counts in both. The top `limit` are found
    exactly from both tables' own top `limit` (counts completed from the other
    table), which give a threshold, and the recent words that could still pass it:
    a word outside the base's top counts at most the base's limit-th count there.
    """

    def __init__(self, base: _Table, recent: _Table):
        self.base, self.recent = base, recent

    def top(self, prefix: bytes, limit: int) -> list[tuple[str, int]]:
        base, recent = self.base, self.recent
        rlo, rhi = recent.span(prefix)
        if rhi <= rlo:
            return base.top(prefix, limit)
        blo, bhi = base.span(prefix)
        best_base = base.best(prefix, limit)
        counts = {w: n + recent.count(w, rlo, rhi) for w, n in best_base}
        for w, n in recent.best(prefix, limit):
            if w not in counts:
                counts[w] = n + base.count(w, blo, bhi)
        ranked = sorted(counts.values(), reverse=True)
        threshold = ranked[limit - 1] if len(ranked) >= limit else 0
        # Outside best_base a word counts at most `cap` in the base.
        cap = min(n for _w, n in best_base) if len(best_base) >= limit else 0
        freqs = recent.freqs[rlo:rhi]
        for i in np.flatnonzero(freqs + cap >= threshold).tolist():
            w = recent.terms[rlo + i]
            if w not in counts:
                counts[w] = int(freqs[i]) + base.count(w, blo, bhi)
        return _ranked(counts.items(), limit)


# A segment never changes once written: its table is kept by segment id, and a
# new generation only merges (deleted documents still count in a segment's
# frequencies, as in Whoosh's own doc_frequency, until a merge drops them).
_SEGMENTS: LRUCache = LRUCache(maxsize=64)
_TABLES: LRUCache = LRUCache(maxsize=2)
_BASES: LRUCache = LRUCache(maxsize=2)
# Segments of at least this many documents form the base table: bulk ones (`lintas
# index` commits ~10k documents a process) and what the writer's merges make past
# its tiers (search/writer.py TIER_CEILING).
BASE_DOCS = 8_000
_LOCK = threading.Lock()


def _leaves(reader) -> list:
    if not hasattr(reader, "leaf_readers"):
        return [reader]
    # An index a rebuild of nothing emptied has no segment (Whoosh's EmptyReader): no words.
    return [leaf for leaf, _base in reader.leaf_readers() if leaf.segment() is not None]


def table(reader) -> _Table | _Split:
    """The completion table of a reader's segments, built once per set of segments.

    A live index gets a new generation at every commit of the server's writer, and
    merging every segment's words again took 0.32 CPU s at 100k documents in each
    worker, at the first keystroke after each commit. The big segments' merged
    table is kept while they are (search/writer.py merges only smaller ones), and
    only the small ones' is merged again.
    """
    leaves = _leaves(reader)
    key = tuple(leaf.segment().segment_id() for leaf in leaves)
    found = _TABLES.get(key)
    if found is None:
        with _LOCK:
            found = _TABLES.get(key)
            if found is None:
                big = [leaf for leaf in leaves if leaf.doc_count_all() >= BASE_DOCS]
                small = [leaf for leaf in leaves if leaf.doc_count_all() < BASE_DOCS]
                if not big or not small:
                    found = _Table.merged([_part(leaf) for leaf in leaves])
                else:
                    base_key = tuple(leaf.segment().segment_id() for leaf in big)
                    base = _BASES.get(base_key)
                    if base is None:
                        base = _BASES[base_key] = _Table.merged([_part(leaf) for leaf in big])
                    found = _Split(base, _Table.merged([_part(leaf) for leaf in small]))
                _TABLES[key] = found
    return found


def _part(leaf) -> _Table:
    seg = leaf.segment().segment_id()
    part = _SEGMENTS.get(seg)
    if part is None:
        part = _SEGMENTS[seg] = _Table.of_segment(leaf)
    return part


def complete(reader, text: str, limit: int = 8) -> list[Completion]:
    """Completions of the last word of `text`, the words before it kept as typed."""
    limit = max(1, min(limit, MAX_LIMIT))
    head, _, last = text.rstrip().rpartition(" ") if not text.endswith(" ") else (text, "", "")
    prefix = fold_prefix(last)
    if not prefix or len(prefix) > MAX_CHARS:
        return []
    lead = f"{head.strip()} " if head.strip() else ""
    return [Completion(text=lead + word, word=word, documents=n)
            for word, n in table(reader).top(prefix.encode("utf-8"), limit)]
