"""How close a Latin spelling is to a Persian one: sound units, a coarse key, a cost.

Persian does not write short vowels, and Latin spellings of one name differ
(Tehran/Teheran, Bagheri/Baqeri), so neither side is transliterated into the
other. Both are cut into sound units instead: consonant classes, Persian's
vowel letters (ا و ی, final ه), Latin vowels. The coarse key, the consonants
alone with near classes merged (S=Z=Š, K=Q=G, H=X), finds the candidates; a
weighted edit distance over the units, normalised by the Latin word's
consonants, ranks them: a Persian vowel letter matches the Latin vowel it
stands for at no cost, a Latin short vowel that Persian leaves unwritten costs
little, a consonant of another class costs a whole unit.
Scheme and costs: ../shared/research/NOTES.md §1.3; thresholds in search/xscript.py.

    >>> round(cost(latin_units("Tehran")[0], fa_units("تهران")), 3)
    0.025
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Persian letters -> unit. Vowel letters are lowercase-free single symbols:
# A (ا آ), O (و), I (ی), E (final ه), ? (ع ء ئ, a glottal stop Latin rarely writes).
_FA = {
    "ب": "B", "پ": "P", "ت": "T", "ط": "T", "ث": "S", "س": "S", "ص": "S",
    "ج": "J", "ژ": "J", "چ": "C", "ح": "H", "ه": "H", "خ": "X", "د": "D",
    "ذ": "Z", "ز": "Z", "ض": "Z", "ظ": "Z", "ر": "R", "ش": "Š", "غ": "Q", "ق": "Q",
    "ف": "F", "ک": "K", "ك": "K", "گ": "G", "ل": "L", "م": "M", "ن": "N",
    "ا": "A", "آ": "A", "أ": "A", "إ": "A", "ٱ": "A", "و": "O", "ؤ": "O",
    "ی": "I", "ي": "I", "ى": "I", "ئ": "?", "ع": "?", "ء": "?", "ة": "E", "ۀ": "E",
}
VOWEL_LETTERS = frozenset("AOIE?")

# Latin consonant units; vowels stay as the letters a e i o u.
_LATIN_DIGRAPHS = {"kh": "X", "gh": "Q", "ch": "C", "sh": "Š", "zh": "J", "dh": "Z",
                   "ph": "F", "nh": "N", "th": "T"}
_LATIN_ONE = {"b": "B", "p": "P", "t": "T", "s": "S", "j": "J", "h": "H", "d": "D",
              "z": "Z", "r": "R", "q": "Q", "f": "F", "k": "K", "g": "G", "l": "L",
              "m": "M", "n": "N", "c": "K", "v": "V", "w": "W"}
LATIN_VOWELS = frozenset("aeiou")
# Latin units that Persian writes with a vowel letter (و for v/w, ی for y): not
# consonants of the key, but counted as the Latin word's consonants for the cost.
_SEMI = frozenset("VWY")

# Coarse classes: near consonants share a key, so a K/Q or S/Z spelling
# difference still finds its candidate (the cost then tells them apart).
_COARSE = {"Z": "S", "Š": "S", "Q": "K", "G": "K", "X": "H"}

# Substitution costs of a Latin unit (key) for a Persian unit.
_NEAR = {
    ("S", "Z"): 0.3, ("Z", "S"): 0.3, ("K", "Q"): 0.4, ("Q", "K"): 0.4,
    ("G", "Q"): 0.3, ("Q", "G"): 0.4, ("J", "Š"): 0.4, ("Š", "J"): 0.4,
    ("G", "K"): 0.5, ("K", "G"): 0.5, ("H", "X"): 0.4, ("X", "H"): 0.4,
    ("K", "X"): 0.4, ("S", "Š"): 0.5, ("Z", "J"): 0.5, ("V", "F"): 0.3,
    ("W", "O"): 0.0, ("V", "O"): 0.0, ("Y", "I"): 0.0,
    ("a", "A"): 0.0, ("e", "A"): 0.3, ("o", "A"): 0.3, ("u", "A"): 0.3,
    ("o", "O"): 0.0, ("u", "O"): 0.0,
    ("i", "I"): 0.0, ("e", "I"): 0.0, ("i", "A"): 0.3,
    ("e", "E"): 0.0, ("a", "E"): 0.0, ("H", "E"): 0.0,
    ("a", "?"): 0.0, ("e", "?"): 0.0, ("i", "?"): 0.0, ("o", "?"): 0.0, ("u", "?"): 0.0,
}
# A Latin unit left unmatched: short vowels Persian does not write are cheap.
_LATIN_DROP = {"a": 0.1, "e": 0.1, "o": 0.15, "i": 0.4, "u": 0.4, "H": 0.5, "Y": 0.2}
# A Persian unit left unmatched: a vowel letter Latin did not write; a glottal stop.
_FA_DROP = {"A": 0.4, "O": 0.4, "I": 0.4, "E": 0.4, "?": 0.0}


def is_persian(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


def is_plain_persian(word: str) -> bool:
    """Persian letters only: no digits, diacritics, ZWNJ suffixes or other scripts' letters."""
    return bool(word) and all(c in _FA for c in word)


@lru_cache(maxsize=100_000)
def fa_units(word: str) -> tuple[str, ...]:
    """The sound units of a Persian word (diacritics, ZWNJ and tatweel ignored)."""
    letters = [c for c in word if c in _FA or c == "\u200c"]
    units: list[str] = []
    for i, c in enumerate(letters):
        if c == "\u200c":
            continue
        u = _FA[c]
        if c == "ه" and i > 0 and (i == len(letters) - 1 or letters[i + 1] == "\u200c"):
            u = "E"  # final ه, or before a ZWNJ: a vowel (خامنه‌ای, نامه)
        if i == 1 and units == ["A"] and u in ("I", "O"):
            units[0] = u  # initial ای / او: one vowel (ایران, اوکراین)
            continue
        if units and units[-1] == u:
            continue  # doubled letters (shadda is not written either)
        units.append(u)
    return tuple(units)


def _ascii(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if "a" <= c <= "z")


@lru_cache(maxsize=100_000)
def latin_units(word: str) -> tuple[tuple[str, ...], ...]:
    """The sound-unit readings of a Latin word: more than one where a letter is ambiguous.

    A soft c (before e/i/y) is read as K and as S; a final h also without it.
    """
    w = _ascii(word)
    readings = [[]]
    i = 0
    while i < len(w):
        two = w[i:i + 2]
        nxt = w[i + 1] if i + 1 < len(w) else ""
        if two == "sy" and i + 2 < len(w) and w[i + 2] in LATIN_VOWELS:
            options, step = ["Š"], 2  # Indonesian sy: Syria/Suriah, Syiah
        elif two in _LATIN_DIGRAPHS:
            options, step = [_LATIN_DIGRAPHS[two]], 2
        elif w[i] == "c" and nxt in ("e", "i", "y"):
            options, step = ["K", "S"], 1
        elif w[i] == "x":
            options, step = ["KS"], 1
        elif w[i] == "y" and w[i + 1:] in ("ev", "ov"):
            options, step = [("Y", w[i + 1]), ("A",)], 2  # Aliyev: علی‌اف as often as علیی‌یف
        elif w[i] == "y":
            options, step = ["Y" if nxt in LATIN_VOWELS else "i"], 1
        elif w[i] == "v" and i == len(w) - 1:
            options, step = ["F"], 1  # -ov, -ev: Russian names end in ف in Persian
        elif w[i] in LATIN_VOWELS:
            options, step = [w[i]], 1
        elif w[i] in _LATIN_ONE:
            options, step = [_LATIN_ONE[w[i]]], 1
        else:
            options, step = [], 1
        if options:
            readings = [r + list(o) if isinstance(o, tuple) or (len(o) > 1 and o.isupper()) else r + [o]
                        for r in readings for o in options]
        i += step
    out = []
    for r in readings:
        collapsed: list[str] = []
        for u in r:
            if not collapsed or collapsed[-1] != u:
                collapsed.append(u)
        out.append(tuple(collapsed))
        if len(collapsed) > 1 and collapsed[-1] == "H":
            out.append(tuple(collapsed[:-1]))  # Allah/الله, but also Shah/شاه: both
    return tuple(dict.fromkeys(out))


def consonants(units: tuple[str, ...]) -> int:
    """The consonant units of a unit sequence (the cost's denominator)."""
    return sum(1 for u in units if u not in VOWEL_LETTERS and u not in LATIN_VOWELS)


def coarse_key(units: tuple[str, ...]) -> str:
    """The consonants of a unit sequence, near classes merged: the candidate key."""
    key = []
    for u in units:
        if u in VOWEL_LETTERS or u in LATIN_VOWELS or u in _SEMI:
            continue
        c = _COARSE.get(u, u)
        if not key or key[-1] != c:
            key.append(c)
    return "".join(key)


def _sub(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return _NEAR.get((a, b), 1.0)


def cost(latin: tuple[str, ...], fa: tuple[str, ...], limit: float = float("inf")) -> float:
    """Weighted edit distance of a Latin reading to a Persian word, per Latin consonant.

    Past `limit` the answer is only "more than limit" (inf): a row of the table
    whose every cell is over it cannot lead back under.
    """
    n, m = len(latin), len(fa)
    per = max(1, consonants(latin))
    bound = limit * per
    prev = [0.0] * (m + 1)
    for j in range(1, m + 1):
        prev[j] = prev[j - 1] + _FA_DROP.get(fa[j - 1], 1.0)
    for i in range(1, n + 1):
        a = latin[i - 1]
        drop_a = _LATIN_DROP.get(a, 1.0)
        cur = [prev[0] + drop_a] + [0.0] * m
        for j in range(1, m + 1):
            b = fa[j - 1]
            cur[j] = min(prev[j - 1] + _sub(a, b), prev[j] + drop_a,
                         cur[j - 1] + _FA_DROP.get(b, 1.0))
        if min(cur) > bound:
            return float("inf")
        prev = cur
    return prev[m] / per


def best_cost(latin_word: str, fa_word: str) -> float:
    """The lowest cost over the Latin word's readings."""
    fa = fa_units(fa_word)
    return min((cost(r, fa) for r in latin_units(latin_word)), default=float("inf"))
