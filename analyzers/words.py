"""Surface words as a reader types them: the completion vocabulary of /suggest.

Not a search analyzer: no stems, lemmas or stop lists, only the character
clean-up every chain shares (analyzers.common), so that «آذربایجان» typed with
an Arabic yeh or `Hubungan` typed in capitals finds the word as documents write it.
ZWNJ stays inside a word («می‌کند»): it is part of how Persian is spelled.
"""

from __future__ import annotations

import re

from whoosh.analysis import Token, Tokenizer

from .common import ZWNJ, fold_text

MIN_CHARS = 2
MAX_CHARS = 40  # longer runs are URLs, hashes, glued text: nobody types them
_WORD = re.compile(rf"[^\W\d_](?:[^\W_]|{ZWNJ}(?=[^\W\d_]))*")


def surface_words(text: str) -> list[str]:
    r"""The words of `text`, folded, as they would be offered while typing.

    >>> surface_words("Hubungan 2024 آذربايجان‌ها x")
    ['hubungan', 'آذربایجان‌ها']
    """
    return [w for w in _WORD.findall(fold_text(text)) if MIN_CHARS <= len(w) <= MAX_CHARS]


def fold_prefix(prefix: str) -> str:
    """A typed prefix, folded as surface_words folds the text it completes."""
    return fold_text(prefix).strip()


class SurfaceWordsTokenizer(Tokenizer):
    """Whoosh tokenizer over surface_words; a module-level class so the schema pickles."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(surface_words(value)):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            yield token
