"""What a search returns: plain dataclasses, JSON-ready through to_dict()."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 3),
            "results": [asdict(h) for h in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
            "respelled": self.respelled,
        }
