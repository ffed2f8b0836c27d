"""SQLite FTS5 as the reference line: the stock tokenizer, BM25, nothing language-aware.

If Lintas, with Hazm and Sastrawi behind it, cannot beat `unicode61` + `bm25()`, the
analyzers are not earning their keep. The set-up matches the peer table in
`shared/data/README.md`: title and text in one FTS5 table, top 100 by `bm25()`. The title
column matters: without it fa parsinlu drops from 0.664 to 0.638 MRR@10.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def match_expression(question: str) -> str | None:
    """The question's whitespace-separated words, each double-quoted, joined by OR.

    Quoting keeps FTS5 syntax (AND, NOT, -, *, ^, column filters) in a question inert; a quoted
    punctuation-only word is an empty phrase, which matches nothing and breaks nothing. A word
    that unicode61 splits (at ZWNJ or a combining mark: "بازی‌های") stays one quoted phrase.
    That is what the peer table in shared/data/README.md did: this construction reproduces it
    to the third decimal on every source. Splitting into unicode61 tokens instead (each OR'ed
    alone, deduplicated) scores +0.003 MRR@10 on pqa and +0.002 on tydi: noise, not a finding.
    Returns None for an empty question.
    """
    words = question.split()
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


class Fts5Index:
    """An in-memory FTS5 table over (id, title, text), queried with OR'ed words."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2')"
        )

    def add(self, docs: Iterable[tuple[str, str, str]]) -> None:
        """Add (id, title, text) rows."""
        with self.db:
            self.db.executemany("INSERT INTO docs (id, title, text) VALUES (?, ?, ?)", docs)

    def search(self, question: str, limit: int = 100) -> list[str]:
        """Ids of the best `limit` documents; bm25() is lower-is-better, hence ascending."""
        expr = match_expression(question)
        if expr is None:
            return []
        rows = self.db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (expr, limit)
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        self.db.close()
