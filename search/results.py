"""What a search returns: plain dataclasses, JSON-ready through to_dict()."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    lang: str
    score: float
    snippet: str  # HTML: everything escaped except <mark>...</mark>
    date: str | None = None  # ISO 8601 date
    source: str | None = None
    url: str | None = None
    author: str | None = None  # the byline, names joined by "; "
    # Near-duplicates folded into this result (search/dedup.py): how many also
    # match, and the first of them as {"id", "title", "source", "date"}.
    similar_count: int = 0
    similar: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        # dataclasses.asdict deep-copies every value: 7% of a /search request's CPU at 100k.
        out = {f.name: getattr(self, f.name) for f in _HIT_FIELDS}
        out["similar"] = [dict(s) for s in self.similar]
        return out


_HIT_FIELDS = fields(Hit)


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    # Words no document contains, each also searched as its likely reading (search/respell.py).
    respelled: dict[str, str] = field(default_factory=dict)
    # Results once near-duplicates are folded (== total with collapse off).
    total_collapsed: int | None = None
    histogram: dict | None = None  # search.histogram.Histogram.to_dict(), when asked for
    mode: str = "lexical"  # how the results were ranked (search/hybrid.py)
    # Query words also searched in the other script, as the documents write them (search/xscript.py).
    also_searched: dict[str, list[str]] = field(default_factory=dict)
    # A sharded index: the shards that did not answer (search/shards.py); None unsharded.
    shards_failed: list[int] | None = None

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "total_collapsed": self.total if self.total_collapsed is None else self.total_collapsed,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 3),
            "results": [h.to_dict() for h in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
            "respelled": self.respelled,
            "histogram": self.histogram,
            "mode": self.mode,
            "also_searched": self.also_searched,
            **({} if self.shards_failed is None else
               {"partial": bool(self.shards_failed), "shards_failed": self.shards_failed}),
        }
