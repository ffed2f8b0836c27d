"""analyzers.common alone: normalize_chars (text + offset map), fold_text.

Every language chain runs normalize_chars before it tokenizes, so a wrong row here
shows up in all three analyzers; these tables say which character rule broke.
"""

import pytest

from analyzers.common import fold_text, normalize_chars

# (input, normalized text, offsets). offsets None = identity (the fast path);
# otherwise offsets[i] is the index in the input of normalized char i, plus len(input).
NORMALIZE_CHARS = [
    # identity fast path: nothing to change, no offset map
    ("abc", "abc", None),
    # empty input: still the fast path
    ("", "", None),
    # lowercasing keeps the length: fast path
    ("IRAN", "iran", None),
    # Arabic kaf (ك) and yeh (ي) fold to Persian keheh/yeh one-to-one: fast path
    ("كتابي", "کتابی", None),
    # alef maksura (ى) folds to Farsi yeh (ی)
    ("موسى", "موسی", None),
    # Persian digits fold to ASCII, one-to-one
    ("۱۴۰۱", "1401", None),
    # Arabic-Indic digits fold to ASCII, one-to-one
    ("١٤٠١", "1401", None),
    # ZWNJ is kept: it is part of Persian spelling (the tokenizer keeps it inside words)
    ("a\u200cb", "a\u200cb", None),
    # tab and newline are control characters we keep (they separate words)
    ("a\tb\nc", "a\tb\nc", None),
    # superscript two is a digit after NFKC
    ("\u00b2", "2", None),
    # fatha removed: the length changes, so an offset map skips index 1
    ("کَرد", "کرد", [0, 2, 3, 4]),
    # fatha, damma, shadda, tanvin all removed
    ("مُحَمَّدٌ", "محمد", [0, 2, 4, 7, 9]),
    # tatweel (kashida) removed
    ("کـــرد", "کرد", [0, 4, 5, 6]),
    # a lone tatweel vanishes entirely; the map still ends with len(input)
    ("\u0640", "", [1]),
    # Arabic presentation forms (NFKC) fold to base letters, kaf to keheh
    ("ﻛﺘﺎﺏ", "کتاب", [0, 1, 2, 3, 4]),
    # expansion: the Allah ligature is four letters, all pointing at input char 0
    ("\ufdf2", "الله", [0, 0, 0, 0, 1]),
    # expansion: the fi ligature becomes two letters
    ("\ufb01", "fi", [0, 0, 1]),
    # expansion: Roman numeral twelve becomes three letters
    ("\u216b", "xii", [0, 0, 0, 1]),
    # Latin accents stripped (names are spelled both ways in news)
    ("Shōgatsu", "shogatsu", [0, 1, 2, 3, 4, 5, 6, 7, 8]),
    # dotted capital I lowercases to i + combining dot; the dot is dropped
    ("\u0130", "i", [0, 1]),
    # full-width Latin folds to ASCII (NFKC)
    ("Ｊａｋａｒｔａ", "jakarta", [0, 1, 2, 3, 4, 5, 6, 7]),
    # zero-width joiner removed
    ("a\u200db", "ab", [0, 2, 3]),
    # right-to-left mark becomes a space (it may sit between two words): same length
    ("x\u200fy", "x y", None),
    # bidi embedding and pop around a Persian word become spaces
    ("\u202bسلام\u202c", " سلام ", None),
    # a bidi override between two words must not glue them into one
    ("abc\u202edef", "abc def", None),
    # zero-width space separates words
    ("a\u200bb", "a b", None),
    # byte-order mark becomes a space (slow path, as U+FEFF sits in the presentation-form block)
    ("\ufeffabc", " abc", [0, 1, 2, 3, 4]),
    # soft hyphen removed (copied from hyphenated web text)
    ("ne\u00adgara", "negara", [0, 1, 3, 4, 5, 6, 7]),
    # NUL and other C0 controls become a space
    ("x\x00y", "x y", None),
    # C1 controls too
    ("x\x85y", "x y", None),
]


@pytest.mark.parametrize("text, normalized, offsets", NORMALIZE_CHARS)
def test_normalize_chars(text, normalized, offsets):
    got = normalize_chars(text)
    assert got == (normalized, offsets), (
        f"help: normalize_chars({text!r}) = {got!r}; check _REMOVED, _FOLD and "
        "_LENGTH_CHANGING in analyzers/common.py"
    )


@pytest.mark.parametrize("text, normalized, offsets", NORMALIZE_CHARS)
def test_fold_text_is_normalize_chars_without_offsets(text, normalized, offsets):
    assert fold_text(text) == normalized


@pytest.mark.parametrize("text, normalized, offsets", NORMALIZE_CHARS)
def test_offset_map_shape(text, normalized, offsets):
    if offsets is None:
        assert len(normalized) == len(text)
        return
    assert len(offsets) == len(normalized) + 1
    assert offsets[-1] == len(text)
    assert offsets == sorted(offsets)
