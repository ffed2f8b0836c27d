"""English, the fallback analyzer: normalized words, Whoosh's stop list, Porter2 stems."""

import pytest

from analyzers import analyzer_for
from analyzers.english import term_en


def terms(text, **kwargs):
    return [t.text for t in analyzer_for("en")(text, **kwargs)]


ENGLISH_TERMS = [
    # lowercase + Porter plural
    ("Dogs", ["dog"]),
    # Whoosh's English stop list drops "the" and "and"
    ("the talks and the deal", ["talk", "deal"]),
    # Porter suffix stripping
    ("relational", ["relat"]),
    # Persian digits fold to ASCII in the English analyzer too
    ("۱۴۰۱", ["1401"]),
    # Arabic-Indic digits fold to ASCII
    ("١٤٠١", ["1401"]),
    # Porter2: "running" and "run" share a stem (Whoosh's Porter port gives "runn")
    ("running run", ["run", "run"]),
    # ASCII digits unchanged, not stemmed
    ("1401", ["1401"]),
    # accents stripped (shared normalize_chars)
    ("Café", ["cafe"]),
    # an apostrophe keeps the word whole; not alphabetic, so not stemmed
    ("Tehran's", ["tehran's"]),
    # a number glued to letters is not stemmed
    ("covid19", ["covid19"]),
]


@pytest.mark.parametrize("text, expected", ENGLISH_TERMS)
def test_english_terms(text, expected):
    got = terms(text)
    assert got == expected, f"help: analyzer_for('en')({text!r}) gave {got!r}, expected {expected!r}"


@pytest.mark.parametrize("variants", [("۱۴۰۱", "١٤٠١", "1401")])
def test_english_digit_scripts_share_terms(variants):
    assert len({tuple(terms(v)) for v in variants}) == 1


def test_term_en_alone():
    assert term_en("the") is None
    assert term_en("dogs") == "dog"


def test_offsets_point_into_original():
    text = "The Café opened"
    got = [text[t.startchar:t.endchar] for t in analyzer_for("en")(text, chars=True)]
    assert got == ["Café", "opened"]


def test_positions_renumbered_over_stop_words():
    got = [(t.text, t.pos) for t in analyzer_for("en")("talks and deals", positions=True)]
    assert got == [("talk", 0), ("deal", 1)]
