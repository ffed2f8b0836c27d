"""Completions while typing: the index's own surface words that start with a prefix.

The words come from the `words` field (surface forms, analyzers/words.py), so
`hubung` completes to `hubungan`, never to the stem `hubung`, and «آذرب» to
«آذربایجان». They are ranked by how many documents hold them.

The field's terms are read once per index generation into one sorted list and
an array of document frequencies, shared by every thread of the process: a
prefix is then two binary searches and a partial sort of the slice between
them, instead of Whoosh walking its term dictionary per keystroke.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

import numpy as np

from analyzers.words import MAX_CHARS, fold_prefix

FIELD = "words"
MAX_LIMIT = 20


@dataclass(frozen=True)
class Completion:
    text: str  # the whole query with its last word completed
    word: str
    documents: int


class _Table:
    def __init__(self, reader):
        terms, freqs = [], []
        if FIELD in reader.schema:
            for btext, info in reader.iter_field(FIELD):
                terms.append(btext)
                freqs.append(info.doc_frequency())
        self.terms = terms  # UTF-8 bytes, in byte order (Whoosh's term order)
        self.freqs = np.asarray(freqs, dtype=np.int64)

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


_TABLES: dict[tuple, _Table] = {}
_LOCK = threading.Lock()


def _key(reader) -> tuple:
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    return tuple(leaf.segment().segment_id() for leaf, _base in leaves)


def _table(reader) -> _Table:
    key = _key(reader)
    table = _TABLES.get(key)
    if table is None:
        with _LOCK:
            table = _TABLES.get(key)
            if table is None:
                table = _Table(reader)
                _TABLES.clear()  # one generation at a time: the newest
                _TABLES[key] = table
    return table


def complete(reader, text: str, limit: int = 8) -> list[Completion]:
    """Completions of the last word of `text`, the words before it kept as typed."""
    limit = max(1, min(limit, MAX_LIMIT))
    head, _, last = text.rstrip().rpartition(" ") if not text.endswith(" ") else (text, "", "")
    prefix = fold_prefix(last)
    if not prefix or len(prefix) > MAX_CHARS:
        return []
    lead = f"{head.strip()} " if head.strip() else ""
    return [Completion(text=lead + word, word=word, documents=n)
            for word, n in _table(reader).top(prefix.encode("utf-8"), limit)]
