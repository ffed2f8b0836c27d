"""Is a Latin word a common word of Indonesian or English? The gate before transliteration.

A lowercase query word that is a dictionary word ("dari", "bank") is not read as
a name: without this gate 74 % of the 200 most frequent Indonesian words found a
Persian look-alike (../shared/research/NOTES.md §1.2). Indonesian: Sastrawi's own
root list (kata-dasar, 29,932 roots) and any word Sastrawi reduces to one of them;
English: the lowercase entries of the english-words package's web2 list
(Webster's 2nd, 210,768; its capitalized entries are names and stay out).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources

_lock = threading.Lock()
_words: frozenset[str] | None = None


def _load() -> frozenset[str]:
    from english_words import get_english_words_set

    english = get_english_words_set(["web2"], lower=False, alpha=True)
    words = {w for w in english if w.islower()}
    roots = resources.files("Sastrawi.Stemmer").joinpath("data", "kata-dasar.txt")
    words.update(line.strip() for line in roots.read_text(encoding="utf-8").splitlines() if line.strip())
    return frozenset(words)


def words() -> frozenset[str]:
    global _words
    if _words is None:
        with _lock:
            if _words is None:
                _words = _load()
    return _words


@lru_cache(maxsize=50_000)
def is_dictionary_word(word: str, stemmed: bool = False) -> bool:
    """Whether `word` is an Indonesian or English word (inflected forms too).

    `stemmed`: the word is already Sastrawi's output (an index term), so it is not
    stemmed again (Sastrawi is slow on words it does not know, such as names).
    """
    w = word.lower()
    if w in words() or (w.endswith("s") and w[:-1] in words()):
        return True
    if stemmed:
        return False
    from .indonesian import stem_id

    return stem_id(w) != w
