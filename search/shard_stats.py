"""Statistics of a sharded index: each shard's published at every commit, and the
global ones a shard scores with.

Published (`<shard>/stats.json`, replaced atomically after each commit): the
shard's generation, documents (live and with deleted ones), documents per
language and total field lengths per field. `lintas stats` and /health read them
without opening the shards' segments.

`GlobalStats` is what a shard held by a Dask worker needs to score exactly as one
index: per-language N, the fields' total lengths, and the document frequency of
every term of the query (prefixes expanded), summed over all shards. The
coordinator reads them from its view of all shards' segments, the same sums a
single index's reader computes, so the floats of BM25F come out identical
(search/bm25.py's expressions, fed the same integers). They travel with the
query: one round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import query as wq

from analyzers import LANGS

from . import files
from .bm25 import BM25F, bm25_idf, doc_frequency
from .ranking import BM25_B, BM25_DELTA, BM25_K1
from .schema import field_lang

STATS = "stats.json"


def publish(shard_dir: str | Path, ix) -> dict:
    """Write the shard's statistics of its newest generation; returns them."""
    with ix.reader() as reader:
        gen = reader.generation()
        fields = [name for name, f in ix.schema.items() if f.scorable]
        info = {
            "generation": -1 if gen is None else gen,
            "documents": reader.doc_count(),
            "documents_all": reader.doc_count_all(),
            "by_lang": {lang: reader.doc_frequency("lang", lang) for lang in LANGS},
            "field_lengths": {name: reader.field_length(name) for name in fields},
        }
    path = Path(shard_dir) / STATS
    with files.atomic_write(path, "w") as f:
        f.write(json.dumps(info) + "\n")
    return info


def read(shard_dir: str | Path) -> dict | None:
    try:
        return json.loads((Path(shard_dir) / STATS).read_text())
    except (OSError, ValueError):
        return None


@dataclass
class GlobalStats:
    doc_count_all: int
    by_lang: dict[str, int]
    field_lengths: dict[str, int]
    df: dict[tuple[str, bytes], int] = field(default_factory=dict)

    def docs_with_field(self, fieldname: str) -> int:
        """search/bm25.py's _docs_with_field, over every shard."""
        lang = field_lang(fieldname)
        n = self.by_lang.get(lang, 0) if lang else 0
        return n or self.doc_count_all


def gather(searcher, queries) -> GlobalStats:
    """The global statistics `queries` need, from a searcher over every shard."""
    reader = searcher.reader()
    schema = searcher.schema
    stats = GlobalStats(
        doc_count_all=reader.doc_count_all(),
        by_lang={lang: reader.doc_frequency("lang", lang) for lang in LANGS},
        field_lengths={name: reader.field_length(name) for name, f in schema.items() if f.scorable},
    )
    for q in queries:
        for leaf in _leaves(q):
            # Each leaf's own expanded_terms, not Query.existing_terms(): that one skips
            # the leaves of every field after the first (NOTES.md §5.2).
            for fieldname, text in leaf.expanded_terms(reader):
                if fieldname not in schema or not schema[fieldname].scorable:
                    continue
                key = (fieldname, _bytes(schema, fieldname, text))
                if key not in stats.df:
                    stats.df[key] = doc_frequency(reader, *key)
    return stats


def _leaves(q: wq.Query):
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _leaves(child)


def _bytes(schema, fieldname: str, text) -> bytes:
    return text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)


class GlobalBM25F(BM25F):
    """The project's BM25F (search/ranking.py's constants) with idf and average field
    lengths from `GlobalStats` instead of the shard's own reader."""

    def __init__(self, stats: GlobalStats):
        super().__init__(B=BM25_B, K1=BM25_K1, delta=BM25_DELTA)
        self.stats = stats

    def idf(self, searcher, fieldname, text):
        return _idf(self.stats, searcher, fieldname, text)

    def constants(self, searcher, fieldname, text):
        stats = self.stats
        avgfl = stats.field_lengths.get(fieldname, 0) / stats.docs_with_field(fieldname) or 1
        return self.idf(searcher, fieldname, text), avgfl, self._field_B.get(fieldname, self.B), self.K1, self.delta


def _idf(stats: GlobalStats, searcher, fieldname, text) -> float:
    key = (fieldname, _bytes(searcher.schema, fieldname, text))
    df = stats.df.get(key)
    if df is None:
        # A term the coordinator did not extract (it cannot score here anyway, like
        # Elasticsearch's fallback): the shard's own count.
        df = searcher.get_parent().doc_frequency(*key)
    return bm25_idf(max(stats.docs_with_field(fieldname), df), df)
