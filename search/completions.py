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

    def top(self, prefix: bytes, limit: int) -> list[tuple[str, int]]:
        lo = bisect.bisect_left(self.terms, prefix)
        hi = bisect.bisect_left(self.terms, prefix + b"\xff", lo)  # 0xff never occurs in UTF-8
        if hi <= lo:
            return []
        freqs = self.freqs[lo:hi]
        if hi - lo > limit:
            best = np.argpartition(-freqs, limit - 1)[:limit]
        else:
            best = np.arange(hi - lo)
        # Most documents first; alphabetical among equals so the list is stable.
        ranked = sorted(best.tolist(), key=lambda i: (-int(freqs[i]), self.terms[lo + i]))
        return [(self.terms[lo + i].decode("utf-8"), int(freqs[i])) for i in ranked]


# A segment never changes once written: its table is kept by segment id, and a
# new generation only merges (deleted documents still count in a segment's
# frequencies, as in Whoosh's own doc_frequency, until a merge drops them).
_SEGMENTS: LRUCache = LRUCache(maxsize=64)
_TABLES: LRUCache = LRUCache(maxsize=2)
_LOCK = threading.Lock()


def _leaves(reader) -> list:
    if not hasattr(reader, "leaf_readers"):
        return [reader]
    # An index a rebuild of nothing emptied has no segment (Whoosh's EmptyReader): no words.
    return [leaf for leaf, _base in reader.leaf_readers() if leaf.segment() is not None]


def table(reader) -> _Table:
    """The completion table of a reader's segments, built once per set of segments."""
    leaves = _leaves(reader)
    key = tuple(leaf.segment().segment_id() for leaf in leaves)
    found = _TABLES.get(key)
    if found is None:
        with _LOCK:
            found = _TABLES.get(key)
            if found is None:
                parts = []
                for leaf in leaves:
                    seg = leaf.segment().segment_id()
                    part = _SEGMENTS.get(seg)
                    if part is None:
                        part = _SEGMENTS[seg] = _Table.of_segment(leaf)
                    parts.append(part)
                found = _TABLES[key] = _Table.merged(parts)
    return found


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
