"""Which Latin words a text writes as names: capitalized in the middle of a sentence.

Index terms are lowercased, so whether a word is a name (Putin, Teheran) or a
common word (bank, yang) must be read off the original text when it is indexed.
This tokenizer yields the index term of each capitalized word that does not
start a sentence or a line; the index's `names_<lang>` field keeps their counts,
and search/xscript.py compares them with the word's count in the body. Measured
in ../shared/research/NOTES.md §1.3: putin 0.89 of its mid-sentence uses are
capitalized, lavrov 1.0, teheran 0.85, against baku 0.10 ("standard"), yang 0.

Only terms that could ever be offered as a name are kept (`name_term`): a name's
shape, not a dictionary word. Whoosh's cost of a field is per distinct term of a
segment, and the capitalized dictionary words (Presiden, Kota) and acronyms are
half the distinct terms and two thirds of the tokens: dropping them here halved
the field's build cost, and the key tables would drop them anyway.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer

from .dictionary import is_dictionary_word
from .translit import LATIN_VOWELS

# A word starting with a capital A-Z (names in Latin news: accents come later),
# after spaces on the same line that follow a letter, digit or comma: not at the
# start of a sentence, a line, a quotation or a bracket.
_MID_CAPITALIZED = re.compile(r"(?<=[^\W_]|,)[ \t]+([A-Z][^\W_]*(?:-[^\W_]+)*)")


MIN_LETTERS = 4  # Latin names this short are mostly acronyms (dpr, cnn, kpk)


def name_shaped(word: str, min_letters: int = MIN_LETTERS) -> bool:
    """Plain Latin letters, long enough, with a vowel: what a name offered across scripts looks like."""
    return (word.isascii() and word.isalpha() and len(word) >= min_letters
            and any(c in LATIN_VOWELS for c in word.lower()))


@lru_cache(maxsize=2**16)
def name_term(term: str) -> bool:
    """Whether an index term may be a name: name-shaped and no Indonesian or English word."""
    return name_shaped(term) and not is_dictionary_word(term, stemmed=True)


@lru_cache(maxsize=2**16)
def _terms(lang: str, word: str) -> tuple[str, ...]:
    from . import analyzer_for  # the package imports this module's neighbours first

    return tuple(t.text for t in analyzer_for(lang)(word))


def mid_sentence_capitalized(text: str):
    """The capitalized words of `text` that neither start a sentence nor a line."""
    return _MID_CAPITALIZED.findall(text)


class NameTokenizer(Tokenizer):
    """Index terms (in `lang`'s analysis) of the words a text capitalizes mid-sentence."""

    def __init__(self, lang: str):
        self.lang = lang

    def __eq__(self, other):
        return type(self) is type(other) and self.lang == other.lang

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.text = value
            t.boost = 1.0
            yield t
            return
        # One token per distinct term, its count as the boost: the field's weights
        # are the counts, and Whoosh's indexing loop runs once per name, not per use.
        counts = Counter(mid_sentence_capitalized(value))
        terms: Counter[str] = Counter()
        lang = self.lang
        for word, n in counts.items():
            for term in _terms(lang, word):
                if name_term(term):
                    terms[term] += n
        for term, n in terms.items():
            t.text = term
            t.boost = float(n)
            yield t
