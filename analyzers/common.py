"""Character clean-up every language chain shares, with an offset map.

Whoosh has no char-filter stage, so each of our tokenizers runs `normalize_chars`
first and tokenizes the result. Normalization may change the text's length
(diacritics and tatweel vanish, a presentation-form ligature becomes two letters),
so it also returns, for every character of the normalized text, the index of the
character of the original text it came from: highlights then land on the stored
text, not on our normalized copy.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"

ARABIC_YEH = "\u064a"  # ي
ALEF_MAKSURA = "\u0649"  # ى
ARABIC_KAF = "\u0643"  # ك
FARSI_YEH = "\u06cc"  # ی
KEHEH = "\u06a9"  # ک
TATWEEL = "\u0640"

# Removed outright: Arabic harakat (fatha, kasra, damma, tanvin, shadda, sukun, ...),
# superscript alef, tatweel, and invisible characters that live inside words
# (ZWJ, word joiner, soft hyphen).
_REMOVED = (
    set(map(chr, range(0x064B, 0x0660)))
    | {"\u0670", TATWEEL, "\u200d", "\u2060", "\u00ad"}
)

# Invisible characters that sit between words (bidi marks, embeddings, overrides
# and isolates, zero-width space, BOM) and control characters become a space:
# removing them would glue two words into one ("abc\u202edef").
_SPACED = (
    {"\u200b", "\u200e", "\u200f", "\ufeff"}
    | set(map(chr, range(0x202A, 0x202F)))
    | set(map(chr, range(0x2066, 0x206A)))
)

# One-to-one folds applied after NFKC. Persian letters win over Arabic ones
# (Hazm's direction), so Arabic-typed text matches Persian-typed text.
_FOLD = {ARABIC_YEH: FARSI_YEH, ALEF_MAKSURA: FARSI_YEH, ARABIC_KAF: KEHEH}

# Characters whose clean-up changes the text's length. If none occurs, the fast
# path (str.translate, offsets = identity) is exact.
_LENGTH_CHANGING = re.compile(
    "[\u064b-\u065f\u0670\u0640\u200d\u2060\u00ad"
    "\ufb00-\ufdff\ufe70-\ufeff\uff00-\uffef\u0130\u00c0-\u024f\u1e00-\u1eff]"
)


def _fold_char(ch: str) -> str:
    """The clean-up of one character: may be '', one char or several."""
    if ch in _REMOVED:
        return ""
    if ch in _SPACED or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"):
        return " "
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        if c in _REMOVED or "\u0300" <= c <= "\u036f":  # lone combining accents (İ.lower())
            continue
        if "\u00c0" <= c <= "\u024f" or "\u1e00" <= c <= "\u1eff":
            # Latin letters lose their accents (shōgatsu -> shogatsu), as
            # unicode61's remove_diacritics does: news spells names both ways.
            c = "".join(d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d))
        elif c in _FOLD:
            c = _FOLD[c]
        else:
            digit = unicodedata.decimal(c, None)
            if digit is not None:
                c = str(digit)  # ۱۴۰۱ and ١٤٠١ both become 1401
        out.append(c)
    return "".join(out)


class _FoldTable(dict):
    """A str.translate table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_TABLE = _FoldTable()


def normalize_chars(text: str) -> tuple[str, list[int] | None]:
    """Return (normalized text, offsets); offsets is None when it is the identity.

    offsets[i] is the index in `text` of the character that produced normalized
    character i; offsets[len(normalized)] == len(text).
    """
    if not _LENGTH_CHANGING.search(text):
        folded = text.translate(_TABLE)
        if len(folded) == len(text):
            return folded, None
    parts: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = _TABLE[ord(ch)]
        if folded:
            parts.append(folded)
            offsets.extend([i] * len(folded))
    offsets.append(len(text))
    return "".join(parts), offsets


def fold_text(text: str) -> str:
    """normalize_chars without the offsets: for terms, stop lists and queries."""
    return text.translate(_TABLE)


def word_list(path) -> list[str]:
    """The words of a data file, one a line; `#` starts a comment (the source and licence header)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]
