"""Is a Latin word a common word of Indonesian or English? The gate before transliteration.

A lowercase query word that is a dictionary word ("dari", "bank") is not read as
a name: without this gate 74 % of the 200 most frequent Indonesian words found a
Persian look-alike (../shared/research/NOTES.md §1.2). Indonesian: Sastrawi's own
root list (kata-dasar, 29,932 roots) and any word Sastrawi reduces to one of them;
English: the lowercase entries of the english-words package's web2 list
(Webster's 2nd, 210,768; its capitalized entries are names and stay out).

The 240k words are kept as one sorted run of fixed-width bytes per word length
(`Words`, 2.3 MB) rather than a frozenset of str (46 MB of resident memory per
process, measured): every server worker holds it. Its bytes pickle as they are, so
the index's key tables carry a copy (search/xtables.py) and a server worker need
not load the word lists at all.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from functools import lru_cache
from importlib import resources

_lock = threading.Lock()
_words: Words | None = None


class _Run:
    """The words of one length, sorted, concatenated: a sequence for bisect."""

    __slots__ = ("blob", "width")

    def __init__(self, blob: bytes, width: int):
        self.blob, self.width = blob, width

    def __len__(self) -> int:
        return len(self.blob) // self.width

    def __getitem__(self, i: int) -> bytes:
        return self.blob[i * self.width:(i + 1) * self.width]


class Words:
    """A set of ASCII words, compact: membership by binary search in its length's run."""

    def __init__(self, words=()):
        by_len: dict[int, set[bytes]] = {}
        for w in words:
            if w.isascii():
                by_len.setdefault(len(w), set()).add(w.encode("ascii"))
        self.runs = {n: b"".join(sorted(ws)) for n, ws in by_len.items()}

    def __getstate__(self):
        return self.runs

    def __setstate__(self, runs):
        self.runs = runs

    def __len__(self) -> int:
        return sum(len(blob) // n for n, blob in self.runs.items())

    def __contains__(self, word: str) -> bool:
        blob = self.runs.get(len(word))
        if blob is None or not word.isascii():
            return False
        b = word.encode("ascii")
        run = _Run(blob, len(b))
        i = bisect_left(run, b)
        return i < len(run) and run[i] == b


def _load() -> Words:
    from english_words import get_english_words_set

    english = get_english_words_set(["web2"], lower=False, alpha=True)
    roots = resources.files("Sastrawi.Stemmer").joinpath("data", "kata-dasar.txt")
    indonesian = (line.strip() for line in roots.read_text(encoding="utf-8").splitlines())
    return Words([*(w for w in english if w.islower()), *(w for w in indonesian if w)])


def words() -> Words:
    global _words
    if _words is None:
        with _lock:
            if _words is None:
                _words = _load()
    return _words


def adopt(stored: Words) -> None:
    """Use a copy stored with the index instead of loading the word lists (if not loaded yet)."""
    global _words
    if _words is None and isinstance(stored, Words) and len(stored.runs):
        with _lock:
            if _words is None:
                _words = stored


@lru_cache(maxsize=50_000)
def is_dictionary_word(word: str, stemmed: bool = False) -> bool:
    """Whether `word` is an Indonesian or English word (inflected forms too).

    `stemmed`: the word is already Sastrawi's output (an index term), so it is not
    stemmed again (Sastrawi is slow on words it does not know, such as names).

    >>> is_dictionary_word("bank"), is_dictionary_word("berhubungan"), is_dictionary_word("lavrov")
    (True, True, False)
    """
    w = word.lower()
    known = words()
    if w in known or (w.endswith("s") and w[:-1] in known):
        return True
    if stemmed:
        return False
    from .indonesian import stem_id

    return stem_id(w) != w
