"""Persian analysis: Hazm's lexicon-based lemmas over normalized, ZWNJ-aware tokens.

Chain: normalize characters (common) -> rejoin prefixes/suffixes written with a
space ("می شود" -> "می‌شود") -> split into words, ZWNJ kept inside a word ->
term: lemma (Hazm) -> fold spelling variants -> stop list.

Hazm's word and verb tables are loaded lazily, on the first Persian word, from a
cache that hazm_lexicon builds once: importing Hazm itself pulls in scikit-learn
and nltk, seconds of start-up that Latin-only work never needs. We lemmatize
with the lexicon (Hazm's Lemmatizer logic); Hazm's Stemmer alone over-stems
(ایران -> ایر, تهران -> تهر), so it only runs where the lexicon confirms its stem.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Analyzer

from .chain import NormalizingTokenizer, TermFilter
from .common import ZWNJ, fold_text, word_list

# Suffixes a ZWNJ attaches to the word before it: plural, comparative, ezafe,
# possessive and personal endings. Longest first.
_AFFIXES = ("هایشان|هایتان|هایمان|هایی|هایش|هایت|هایم|های|ها|ترین|تر|"
            "اند|ایم|اید|است|ای|ی|اش|ام|ات|مان|تان|شان")

# A word is a run of letters/digits. A ZWNJ keeps an affix on its word
# (کتاب‌ها, می‌رود: the lemma needs both halves) but separates the parts of a
# compound (آسمان‌خراش = آسمان + خراش), so a compound written with a ZWNJ
# matches the same compound written with a space: questions often space what
# articles join. (Written fully joined, آسمانخراش, it stays one word.)
WORD_PATTERN = (
    r"(?:(?<![^\W_])ن?می\u200c)?[^\W_]+"
    rf"(?:\u200c(?:{_AFFIXES})(?![^\W_]))*"
)

# Persian writes these verb prefixes and noun suffixes both attached, with ZWNJ,
# and (informally) with a space. Hazm's normalizer rejoins them with a ZWNJ; we do
# the same with a same-length substitution so that offsets stay exact.
_PREFIX_SPACE = re.compile(r"(?<![^\W_])(ن?می) (?=[^\W\d_])")
_SUFFIX_SPACE = re.compile(r"(?<=[^\W\d_]{2}) (?=(?:ها|های|هایی|تر|ترین|گری?)(?![^\W_]))")

# Suffixes that Hazm's lexicon only recognizes after a ZWNJ: "کتابها" is looked
# up again as "کتاب‌ها". Longest first.
# Not تر/ترین: دفتر and دختر would lose their last letters.
_JOINABLE_SUFFIXES = ("هایشان", "هایتان", "هایمان", "هایی", "هایش", "هایت", "هایم",
                      "های", "ها")
_VERB_PREFIXES = ("نمی", "می")

# Spelling variants folded only in the final term, after the lemma lookup (Hazm's
# lexicon is spelled with madda and hamza): آلودگی/الودگی, مسئله/مسیله,
# ۀ/ه, and ZWNJ compounds written joined or apart (کتاب‌ها/کتابها).
_TERM_FOLD = str.maketrans({
    "آ": "ا", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ی", "ة": "ه", "ۀ": "ه",
    "ء": None, ZWNJ: None,
})

_DATA = Path(__file__).parent / "data"
_lock = threading.Lock()
_lex = None


def prepare(text: str) -> str:
    """Rejoin space-separated affixes with ZWNJ (same length, so offsets hold)."""
    if " " not in text:
        return text
    text = _PREFIX_SPACE.sub(lambda m: m.group(1) + ZWNJ, text)
    return _SUFFIX_SPACE.sub(ZWNJ, text)


def _lexicon():
    global _lex
    if _lex is None:
        with _lock:
            if _lex is None:
                from . import hazm_lexicon

                _lex = hazm_lexicon.load()
    return _lex


def lemma(word: str) -> str:
    """Hazm's lemma of a normalized word; a verb gives its past stem (رفتند -> رفت).

    Hazm returns verbs as "past#present" ("رفت#رو"); every form of the verb then
    shares the past stem. Words Hazm doesn't know come back unchanged.
    """
    found = _lookup(_lexicon(), word)
    if found is None:
        return word
    if "#" in found:
        past, _, present = found.partition("#")
        return past or present  # "#است": the copula has no past stem in Hazm
    return found


def _attested(lem, word: str) -> bool:
    """Is `word` a word of Hazm's lexicon with a corpus frequency?

    Hazm 0.10's lexicon also lists ~166k informal spellings with frequency 0
    (میشود, کتابها): those must not stop the search for their standard form.
    """
    return lem.attested(word)


def _lookup(lem, word: str) -> str | None:
    # Order matters: an attested word wins (تنها is "alone", not تن + ها); then a
    # form written without its ZWNJ (کتابها, میشود); then the rest of the lexicon,
    # whose frequency-0 entries include real words (روی) as well as informal ones.
    if ZWNJ in word:
        head, _, tail = word.rpartition(ZWNJ)
        if tail in _JOINABLE_SUFFIXES:
            # A plural is its noun, whether or not Hazm lists the plural whole
            # (خانه‌ها) or knows the noun at all (بیوتیک‌ها).
            return _lookup(lem, head) or head
    attested, known, verb = lem.lookup(word)
    if attested:
        return word
    if ZWNJ not in word:
        found = _lookup_rejoined(lem, word)
        if found is not None:
            return found
    if known:
        return word
    if verb is not None:
        return verb
    stem = lem.stem(word)
    return stem if stem != word and _attested(lem, stem) else None


def _lookup_rejoined(lem, word: str) -> str | None:
    """Retry a word written without its ZWNJ: میشود -> می‌شود, کتابها -> کتاب‌ها."""
    for prefix in _VERB_PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 1:
            rejoined = prefix + ZWNJ + word[len(prefix):]
            verb = lem.verb(rejoined)
            if verb is not None:
                return verb
    for suffix in _JOINABLE_SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2 and _attested(lem, stem):
            return stem
    return None


def fold_term(word: str) -> str:
    """Fold the spelling variants Persian writers mix (see _TERM_FOLD)."""
    return word.translate(_TERM_FOLD)


def _is_persian(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop list, passed through the same lemma and fold as the text it filters."""
    return frozenset(fold_term(lemma(fold_text(word))) for word in word_list(_DATA / "stopwords_fa.txt"))


@lru_cache(maxsize=2**18)
def term_fa(word: str) -> str | None:
    """The index term of one normalized token, or None for a stop word."""
    if not _is_persian(word):
        # Latin names and numbers inside Persian text stay as normalized; this
        # also keeps Hazm unloaded for Latin-only queries.
        return word
    term = fold_term(lemma(word))
    # A lone hamza folds away to nothing: an empty term would match nothing useful.
    return None if not term or term in stop_words() else term


def surface_fa(word: str) -> str:
    """The surface term indexed beside the lemma (chain.TermFilter): spelling folded only."""
    return fold_term(word)


def PersianTokenizer() -> NormalizingTokenizer:
    return NormalizingTokenizer(WORD_PATTERN, prepare)


def PersianAnalyzer() -> Analyzer:
    return PersianTokenizer() | TermFilter(term_fa, surface_fa)
