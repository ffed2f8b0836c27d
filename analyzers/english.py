"""English, the fallback language: normalized words, Whoosh's stop list, Porter2 stems.

Porter2, not Whoosh's Porter port: that one leaves "running" as "runn", so a
query for "run" would miss it (pinned in tests/analyzers/test_quirks.py).
"""

from __future__ import annotations

from functools import lru_cache

from whoosh.analysis import Analyzer
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter2 import stem

from .chain import NormalizingTokenizer, TermFilter

WORD_PATTERN = r"[^\W_]+(?:'[^\W_]+)?"


@lru_cache(maxsize=2**17)
def term_en(word: str) -> str | None:
    if word in STOP_WORDS:
        return None
    return stem(word) if word.isalpha() else word


def EnglishAnalyzer() -> Analyzer:
    return NormalizingTokenizer(WORD_PATTERN) | TermFilter(term_en)
