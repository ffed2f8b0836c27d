"""Indonesian analysis: Sastrawi's dictionary stemmer over normalized words.

Chain: normalize characters (common) -> split into words, keeping hyphenated
words whole (negara-negara) -> term: reduplication -> stop list -> Sastrawi stem.

We call Sastrawi's `Stemmer.stem_word` directly behind our own bounded cache.
Its `CachedStemmer.stem()` re-runs a regex clean-up on every call before the
cache lookup (the hot spot), keeps an unbounded dict, and replaces every
character outside [a-z0-9 -] with a space, which splits accented or foreign
words (shōgatsu -> "sh gatsu"): we only hand it plain [a-z] words.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Analyzer

from .chain import NormalizingTokenizer, TermFilter
from .common import word_list

# Words may carry hyphens (negara-negara, sebaik-baiknya, Azerbaijan-Iran).
WORD_PATTERN = r"[^\W_]+(?:-[^\W_]+)*"

_STEMMABLE = re.compile(r"[a-z]+(?:-[a-z]+)*")
# Words this short are roots or function words; Sastrawi would only mangle them.
MIN_STEM_LEN = 4

_DATA = Path(__file__).parent / "data"
_lock = threading.Lock()
_stemmer = None


def _sastrawi():
    global _stemmer
    if _stemmer is None:
        with _lock:
            if _stemmer is None:
                from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

                from . import sastrawi_speedups

                _stemmer = StemmerFactory().create_stemmer().delegatedStemmer
                sastrawi_speedups.install(_stemmer)
    return _stemmer


def stem_id(word: str) -> str:
    """Sastrawi's stem of one lowercase word (berhubungan -> hubung)."""
    if len(word) < MIN_STEM_LEN or not _STEMMABLE.fullmatch(word):
        return word
    return _sastrawi().stem_word(word) or word


def unreduplicate(word: str) -> str:
    """negara-negara -> negara; other hyphenated words are left to the stemmer.

    Sastrawi handles affixed reduplication itself (sebaik-baiknya -> baik,
    kebarat-baratan -> barat) but keeps compounds of different words
    (Tehran-Baku) whole; those we split in term_id.
    """
    head, sep, tail = word.partition("-")
    return head if sep and head and head == tail else word  # "-" alone stays "-"


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(word_list(_DATA / "stopwords_id.txt"))


@lru_cache(maxsize=2**18)
def term_id(word: str) -> str | None:
    """The index term of one normalized token, or None for a stop word."""
    word = unreduplicate(word)
    if word in stop_words():
        return None
    return stem_id(word)


def _split_compounds(text: str) -> str:
    """Break hyphenated compounds of different words (Tehran-Baku) apart.

    A same-length rewrite (hyphen -> space), so offsets stay exact; true
    reduplication and affixed reduplication stay one word for Sastrawi.
    """
    if "-" not in text:
        return text
    return _HYPHENATED.sub(_split_if_compound, text)


# A word of WORD_PATTERN with at least one hyphen: the same matches where the text has
# them (a scan starts each at its word's first letter), without a Python call for every
# other word of the text (tests/analyzers/test_indonesian.py).
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def _split_if_compound(match: re.Match) -> str:
    word = match.group()
    if "-" not in word:
        return word
    parts = word.split("-")
    if len(parts) == 2 and (parts[0] == parts[1] or parts[0] in parts[1] or parts[1] in parts[0]):
        return word  # negara-negara, sebaik-baiknya, kebarat-baratan, berhubung-hubungan
    if len(parts) == 2 and _STEMMABLE.fullmatch(word) and stem_id(word).count("-") == 0:
        return word  # Sastrawi resolves it to one hyphen-free stem
    return word.replace("-", " ")


def IndonesianTokenizer() -> NormalizingTokenizer:
    return NormalizingTokenizer(WORD_PATTERN, _split_compounds)


def IndonesianAnalyzer() -> Analyzer:
    # No surface terms beside the stems (chain.TermFilter's `surface`): measured on
    # the dev half, tydi MRR@10 0.673 -> 0.674 at weight 0.15, 0.668 at 0.35, 0.624
    # at 1: question words' inflections (didirikan, terletak) are rare and outweigh
    # the topic.
    return IndonesianTokenizer() | TermFilter(term_id)
