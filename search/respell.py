"""Persian words typed without the space between them, searched as the two words.

Persian drops the space (or ZWNJ) between words often enough that question sets
are full of it («شترچیست», «برقرارکرد», «درچه»), and a word the index lacks in
every language adds nothing to a ranking: so such a word is also searched as the
two words the index knows that it splits into, the rarer of the two as frequent
as possible. The word itself stays in the query, its reading goes beside it, the
page says what was added, and the query with the reading in place of the word is
the "did you mean" suggestion.

Dev half, MRR@10 (bench/relevance.py), with BM25+: fa parsinlu 0.7222 -> 0.7273,
pqa 0.9268 -> 0.9292, pquad 0.9470 -> 0.9475, macro 0.8653 -> 0.8680. Indonesian
is not split (tried: tydi 0.675 -> 0.674).

Measured and left out: also searching an unknown word as the most frequent
index term one or two edits away (genngam -> genggam, propinsi -> provinsi):
fa macro 0.8704, id 0.7504 -> 0.7520 with the splits, but Whoosh's fuzzy term
walk takes 100-250 ms per word on a 100k-document index, and generating the
one-edit strings and looking each up is no faster across its ten segments.
Typos get that walk only in search/suggest.py, when a query finds next to nothing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache

from analyzers import analyzer_for

from .bm25 import doc_frequency
from .schema import body_field, title_field

# At most this many unknown words of one query are read: each try at a split
# analyzes both halves at every cut, and a pasted paragraph must stay fast.
MAX_TRIED = 4
MIN_PART = 2  # letters in each half of a split word
SPLIT_LANGS = ("fa",)

_EDGES = re.compile(r"^([(\W_]*?)([^\W_]+)([)\W_]*)$")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


@lru_cache(maxsize=50_000)  # every word of every query passes here: people repeat words
def term(lang: str, word: str) -> str | None:
    """The one index term `word` analyzes to in `lang`; None for a stop word or several terms."""
    tokens = [t.text for t in analyzer_for(lang)(word)]
    return tokens[0] if len(tokens) == 1 else None


def unknown(exists, word: str, langs) -> bool:
    """Whether no language's fields hold `word` (a stop word counts as known)."""
    for lang in langs:
        t = term(lang, word)
        if t is None or exists(body_field(lang), t) or exists(title_field(lang), t):
            return False
    return True


def split(reader, exists, word: str, lang: str) -> str | None:
    """`word` as two words the index knows ("a b"), the rarer half as frequent as possible."""
    best = None
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        halves = word[:i], word[i:]
        terms = [term(lang, h) for h in halves]
        words = [t for t in terms if t is not None]  # a stop word half needs no document
        if not words or not all(exists(body_field(lang), t) for t in words):
            continue
        rarest = min(doc_frequency(reader, body_field(lang), t) for t in words)
        if best is None or rarest > best[0]:
            best = (rarest, " ".join(halves))
    return best[1] if best else None


def reading(reader, exists, word: str, langs) -> str | None:
    """What an unknown `word` most likely stands for, as query text; None if nothing."""
    if word.isascii():
        return None  # not Persian script
    for lang in langs:
        if lang in SPLIT_LANGS:
            found = split(reader, exists, word, lang)
            if found:
                return found
    return None


@dataclass(frozen=True)
class Respelling:
    query: str  # what to search: each unknown word grouped with its reading
    readings: dict[str, str]  # {word: reading}, words lowercased
    suggestion: str | None  # "did you mean": the query with the readings instead of the words


def respell(searcher, exists, text: str, langs, deadline: float = float("inf")) -> Respelling:
    """`text` with each unknown plain word searched together with its reading.

    Only plain words outside quotes are touched: not phrases, field:values,
    prefixes* or operators.
    """
    found: dict[str, str] = {}
    tried = 0
    query, suggested = [], []
    for i, chunk in enumerate(text.split('"')):
        tokens = re.split(r"(\s+)", chunk)
        fixed = list(tokens)
        for j, token in enumerate(tokens if i % 2 == 0 else ()):  # odd chunks: inside a phrase
            m = _EDGES.match(token)
            if not m or ":" in token or "*" in token or m.group(2) in _OPERATORS:
                continue
            word = m.group(2).lower()
            alt = found.get(word)
            if alt is None:
                if tried >= MAX_TRIED or time.perf_counter() > deadline:
                    break
                if not unknown(exists, word, langs):
                    continue
                tried += 1
                alt = reading(searcher.reader(), exists, word, langs)
                if not alt or alt == word:
                    continue
                found[word] = alt
            tokens[j] = f"{m.group(1)}({m.group(2)} OR {alt}){m.group(3)}"
            fixed[j] = f"{m.group(1)}{alt}{m.group(3)}"
        query.append("".join(tokens))
        suggested.append("".join(fixed))
    return Respelling('"'.join(query), found, '"'.join(suggested) if found else None)
