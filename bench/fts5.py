"""SQLite FTS5, the reference line of both benchmarks: the stock tokenizer, BM25,
nothing language-aware.

Relevance (bench/relevance.py): if Lintas, with Hazm and Sastrawi behind it, cannot beat
`unicode61` + `bm25()`, the analyzers are not earning their keep. The set-up matches the
peer table in `shared/data/README.md`: title and text in one FTS5 table, top 100 by
`bm25()`, questions as OR'ed words (`match_expression`). The title column matters:
without it fa parsinlu drops from 0.664 to 0.638 MRR@10.

Speed (bench/perf.py, bench/peers.py): the same table on disk, plain `unicode61`, queries
in Lintas's syntax (`syntax_expression`), with or without FTS5's snippet().
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path


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


def syntax_expression(query_text: str) -> str:
    """A query in Lintas's syntax (bench/corpus.py: `t`, `t1 AND t2`, `"t1 t2"`) as FTS5 MATCH.

    `t1 AND t2` stays AND, `"t1 t2"` stays a phrase. Each bare term is quoted
    too: FTS5 barewords reject ASCII punctuation (`covid-19`), and a quoted
    single term means the same thing.
    """
    q = query_text.strip()
    if q.startswith('"') and q.endswith('"') and len(q) > 1:
        return '"' + q[1:-1].replace('"', '""') + '"'
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in q.split(" AND "))


# The relevance set-up folds diacritics, as the peer table's run did; the speed
# benchmark keeps FTS5's plain default.
RELEVANCE_TOKENIZER = "unicode61 remove_diacritics 2"
SPEED_TOKENIZER = "unicode61"


class Fts5Index:
    """An FTS5 table over (id, title, text, lang), in memory unless given a file."""

    def __init__(self, path: str | Path = ":memory:", tokenizer: str = RELEVANCE_TOKENIZER) -> None:
        # Threads of the speed benchmark share one read-only connection.
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
            f"id UNINDEXED, title, text, lang UNINDEXED, tokenize = '{tokenizer}')"
        )

    def add(self, docs: Iterable[tuple]) -> None:
        """Add (id, title, text) or (id, title, text, lang) rows, in one transaction."""
        with self.db:
            self.db.executemany("INSERT INTO docs (id, title, text, lang) VALUES (?, ?, ?, ?)",
                                ((*d, None) if len(d) == 3 else d for d in docs))

    def search(self, question: str, limit: int = 100) -> list[str]:
        """Ids of the best `limit` documents for a question; bm25() is lower-is-better."""
        expr = match_expression(question)
        if expr is None:
            return []
        return [doc_id for doc_id, _snippet in self.match(expr, limit)]

    def match(self, expression: str, limit: int, snippets: bool = False) -> list[tuple[str, str]]:
        """(id, snippet or '') of the best `limit` documents for a MATCH expression."""
        shown = "snippet(docs, 2, '<mark>', '</mark>', '…', 24)" if snippets else "''"
        sql = f"SELECT id, {shown} FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?"
        return self.db.execute(sql, (expression, limit)).fetchall()

    def close(self) -> None:
        self.db.close()
