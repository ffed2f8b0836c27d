"""Text to tokens, per language. Knows nothing of search/ or web/.

    >>> [t.text for t in analyzer_for("id")("Negara-negara berhubungan")]
    ['negara', 'hubung']
"""

from __future__ import annotations

from whoosh.analysis import Analyzer

from .chain import PairFilter
from .detect import detect_lang
from .english import EnglishAnalyzer
from .indonesian import IndonesianAnalyzer
from .persian import PersianAnalyzer

LANGS = ("fa", "id", "en")

_FACTORIES = {"fa": PersianAnalyzer, "id": IndonesianAnalyzer, "en": EnglishAnalyzer}
_BUILT: dict[str, Analyzer] = {}


class UnknownLanguage(ValueError):
    """No analyzer for that language code."""


def analyzer_for(lang: str) -> Analyzer:
    """The analyzer of a language, built once and shared."""
    if lang not in _FACTORIES:
        raise UnknownLanguage(f"no analyzer for language {lang!r}; known: {', '.join(LANGS)}")
    if lang not in _BUILT:
        _BUILT[lang] = _FACTORIES[lang]()
    return _BUILT[lang]


def pairs_analyzer_for(lang: str) -> Analyzer:
    """Adjacent-term pairs of a language's terms (chain.PairFilter), built once and shared."""
    key = f"{lang}:pairs"
    if key not in _BUILT:
        _BUILT[key] = analyzer_for(lang) | PairFilter()
    return _BUILT[key]


__all__ = ["LANGS", "UnknownLanguage", "analyzer_for", "detect_lang", "pairs_analyzer_for"]
