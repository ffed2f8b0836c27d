"""SearchRequest: one validated search, as the CLI and the web layer build it.

Validation lives here, not in the callers, so that every entry point enforces the
same limits and says the same thing about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analyzers import LANGS

from .errors import BadRequest

# "date" is the older name of "newest", kept for the CLI and old links.
SORTS = ("relevance", "newest", "oldest", "date")
HISTOGRAMS = ("auto", "day", "week", "month", "year")
# hybrid: words and meaning fused; lexical: words only (BM25F); semantic: meaning only.
# None: hybrid when the index has vectors and the model loads, else lexical.
MODES = ("hybrid", "lexical", "semantic")
MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
# Deep pages cost a full top-(page*per_page) collection; nobody reads result 10,001.
MAX_RESULT_WINDOW = 10_000


@dataclass(frozen=True)
class SearchRequest:
    q: str
    lang: str | None = None
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    snippets: bool = True
    # Fold near-duplicates into one result (search/dedup.py); False lists every copy.
    collapse: bool = True
    # None: no timeline; "auto" picks the interval by the span (search/histogram.py).
    histogram: str | None = None
    mode: str | None = None
    # Names also searched in the other script (search/xscript.py); off: only as typed.
    xscript: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.q, str) or not self.q.strip():
            raise BadRequest("the query is empty: give some words to search for, e.g. q=hubungan")
        if len(self.q) > MAX_QUERY_CHARS:
            raise BadRequest(
                f"the query is {len(self.q)} characters long; the limit is {MAX_QUERY_CHARS}: "
                "shorten it to the words that matter"
            )
        if self.lang is not None and self.lang not in LANGS:
            raise BadRequest(f"unknown language {_clip(self.lang)}: use one of {', '.join(LANGS)}")
        if self.sort not in SORTS:
            raise BadRequest(f"unknown sort {_clip(self.sort)}: use one of {', '.join(SORTS)}")
        if self.histogram is not None and self.histogram not in HISTOGRAMS:
            raise BadRequest(f"unknown histogram {_clip(self.histogram)}: use one of {', '.join(HISTOGRAMS)}")
        if self.mode is not None and self.mode not in MODES:
            raise BadRequest(f"unknown mode {_clip(self.mode)}: use one of {', '.join(MODES)}")
        if not isinstance(self.page, int) or self.page < 1:
            raise BadRequest(f"page must be a whole number >= 1, not {self.page!r}")
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise BadRequest(f"per_page must be between 1 and {MAX_PER_PAGE}, not {self.per_page!r}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise BadRequest(
                f"page {self.page} is too deep: page * per_page may be at most {MAX_RESULT_WINDOW}; "
                "narrow the query or filter by lang, source or date instead"
            )
        if self.source is not None and not self.source.strip():
            # An empty source= (a blank form field) means no filter, as in the web
            # API, not "documents whose source is empty".
            object.__setattr__(self, "source", None)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadRequest(f"from ({self.date_from}) is after to ({self.date_to})")


def _clip(value, limit: int = 40) -> str:
    """A user's value, quoted and cut short: error messages must not echo 16 KB back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
