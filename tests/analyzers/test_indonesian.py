"""Indonesian analysis: each step alone (unreduplicate, stem_id, term_id, the
tokenizer) and the whole chain (analyzer_for("id")), one table row per rule."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers import analyzer_for
from analyzers.indonesian import (
    MIN_STEM_LEN,
    IndonesianTokenizer,
    stem_id,
    stop_words,
    term_id,
    unreduplicate,
)


def terms(text, **kwargs):
    return [t.text for t in analyzer_for("id")(text, **kwargs)]


# ---------------------------------------------------------------- the whole chain

# (text, expected terms) through analyzer_for("id").
INDONESIAN_TERMS = [
    # lowercase
    ("Negara", ["negara"]),
    # lowercase, all caps
    ("NEGARA", ["negara"]),
    # reduplicated plural = the base word
    ("negara-negara", ["negara"]),
    # reduplication with a capitalised head
    ("Negara-Negara", ["negara"]),
    # reduplication of a short word
    ("anak-anak", ["anak"]),
    # reduplication of a content word that is also a stop-list neighbour
    ("orang-orang", ["orang"]),
    # affixed reduplication: Sastrawi handles it (sebaik-baiknya -> baik)
    ("sebaik-baiknya", ["baik"]),
    # affixed reduplication with ke-...-an
    ("kebarat-baratan", ["barat"]),
    # reduplication with a possessive clitic
    ("anak-anaknya", ["anak"]),
    # Sastrawi: ber-...-an
    ("berhubungan", ["hubung"]),
    # Sastrawi: -an
    ("hubungan", ["hubung"]),
    # Sastrawi: meng-...-kan
    ("menghubungkan", ["hubung"]),
    # Sastrawi: pe-, the dictionary stem of pemerintah is perintah
    ("pemerintah", ["perintah"]),
    # Sastrawi: pe-...-an, same stem as pemerintah
    ("pemerintahan", ["perintah"]),
    # Sastrawi: ke-...-an
    ("keamanan", ["aman"]),
    # Sastrawi: per-...-an
    ("pertemuan", ["temu"]),
    # Sastrawi: meN- + -kan on a root starting with t
    ("meningkatkan", ["tingkat"]),
    # Sastrawi: memper-...-kan
    ("memperingatkan", ["ingat"]),
    # Sastrawi: ke-...-an around a root that keeps its prefix-like start
    ("kementerian", ["menteri"]),
    # content word baru ("new") is NOT a stop word
    ("baru", ["baru"]),
    # content word hari ("day") is NOT a stop word
    ("hari", ["hari"]),
    # content word orang ("person") is NOT a stop word
    ("orang", ["orang"]),
    # function word yang removed
    ("yang", []),
    # question word apakah removed
    ("apakah", []),
    # question word siapakah removed
    ("siapakah", []),
    # question word bagaimana removed
    ("bagaimana", []),
    # conjunction and preposition removed, content words kept
    ("Iran dan Rusia di Moskow", ["iran", "rusia", "moskow"]),
    # accented name is one token, accent stripped
    ("Shōgatsu", ["shogatsu"]),
    # other accented loanwords: one token each
    ("Café naïve", ["cafe", "naive"]),
    # compound of two different words splits into two terms
    ("Tehran-Baku", ["tehran", "baku"]),
    # compound of two names from the seeds
    ("Azerbaijan-Iran", ["azerbaijan", "iran"]),
    # hyphenated code and number split
    ("COVID-19", ["covid", "19"]),
    # short words (< MIN_STEM_LEN) are not stemmed
    ("ibu", ["ibu"]),
    # short word that Sastrawi would read as an affix is untouched
    ("abc", ["abc"]),
    # root words stay as they are
    ("presiden", ["presiden"]),
    # Persian digits fold to ASCII in the Indonesian analyzer too
    ("۱۴۰۱", ["1401"]),
    # Arabic-Indic digits fold to ASCII
    ("١٤٠١", ["1401"]),
    # ASCII digits unchanged
    ("1401", ["1401"]),
    # full-width letters fold (NFKC) before stemming
    ("Ｊａｋａｒｔａ", ["jakarta"]),
    # fi ligature folds (NFKC)
    ("\ufb01nal", ["final"]),
    # a zero-width space between words separates them
    ("Iran\u200bRusia", ["iran", "rusia"]),
]


@pytest.mark.parametrize("text, expected", INDONESIAN_TERMS)
def test_indonesian_terms(text, expected):
    got = terms(text)
    assert got == expected, f"help: analyzer_for('id')({text!r}) gave {got!r}, expected {expected!r}"


# Forms that must index the same terms (a query in one matches a text in another).
INDONESIAN_SAME_TERMS = [
    # reduplication = base word
    ("negara-negara", "negara", "Negara"),
    # one root, three affixations
    ("berhubungan", "hubungan", "menghubungkan"),
    # query pemerintah matches text pemerintah (same stem whatever it is) and pemerintahan
    ("pemerintah", "PEMERINTAH", "pemerintahan"),
    # accented and plain spellings of a name
    ("Shōgatsu", "shogatsu"),
    # digits of three scripts
    ("۱۴۰۱", "١٤٠١", "1401"),
]


@pytest.mark.parametrize("variants", INDONESIAN_SAME_TERMS)
def test_indonesian_forms_share_terms(variants):
    got = {v: terms(v) for v in variants}
    assert len({tuple(t) for t in got.values()}) == 1, f"help: forms disagree: {got!r}"
    assert all(got.values()), f"help: a form was stopped entirely: {got!r}"


@pytest.mark.parametrize("word", ["baru", "hari", "orang"])
def test_content_words_not_in_stop_list(word):
    # news asks for "tahun baru", "hari ini", "orang tua"
    assert word not in stop_words()
    assert term_id(word) is not None


@pytest.mark.parametrize("word", ["yang", "apakah", "siapakah", "dan", "di", "ke", "dari"])
def test_function_words_in_stop_list(word):
    assert word in stop_words()
    assert term_id(word) is None


# ---------------------------------------------------------------- offsets and positions

# (text, the original surface of each kept token, in order)
INDONESIAN_SURFACES = [
    # a reduplicated word is one token spanning both halves
    ("negara-negara berkembang", ["negara-negara", "berkembang"]),
    # a split compound gives two spans, hyphen excluded
    ("Hubungan Tehran-Baku", ["Hubungan", "Tehran", "Baku"]),
    # accented name: the span is the accented original
    ("Tahun Baru Shōgatsu", ["Tahun", "Baru", "Shōgatsu"]),
    # ligature: the span is the one stored char
    ("\ufb01nal", ["\ufb01nal"]),
    # soft hyphen inside a word stays inside the span
    ("ne\u00adgara", ["ne\u00adgara"]),
    # a stop word in between is skipped
    ("Iran dan Rusia", ["Iran", "Rusia"]),
]


@pytest.mark.parametrize("text, surfaces", INDONESIAN_SURFACES)
def test_indonesian_offsets_point_into_original(text, surfaces):
    tokens = [(t.startchar, t.endchar) for t in analyzer_for("id")(text, chars=True)]
    got = [text[s:e] for s, e in tokens]
    assert got == surfaces, f"help: offsets {tokens!r} of {text!r} don't land on the stored words"


def test_positions_renumbered_over_stop_words():
    got = [(t.text, t.pos) for t in analyzer_for("id")("Iran dan Rusia", positions=True)]
    assert got == [("iran", 0), ("rusia", 1)]


def test_split_compound_takes_two_positions():
    got = [(t.text, t.pos) for t in analyzer_for("id")("Tehran-Baku", positions=True)]
    assert got == [("tehran", 0), ("baku", 1)]


def test_stop_words_flagged_not_dropped_when_removestops_false():
    got = [(t.text, t.stopped) for t in analyzer_for("id")("negara yang baru", removestops=False)]
    assert got == [("negara", False), ("yang", True), ("baru", False)]


def test_removestops_false_keeps_kept_tokens_identical():
    text = "Negara-negara yang berhubungan dengan Iran"
    ana = analyzer_for("id")
    kept = [(t.text, t.pos) for t in ana(text, positions=True)]
    flagged = [(t.text, t.pos) for t in ana(text, positions=True, removestops=False) if not t.stopped]
    assert flagged == kept


# ---------------------------------------------------------------- each step alone

UNREDUPLICATE = [
    # true reduplication -> base
    ("negara-negara", "negara"),
    # no hyphen: unchanged
    ("negara", "negara"),
    # affixed reduplication is left to Sastrawi
    ("sebaik-baiknya", "sebaik-baiknya"),
    # compound of different words: unchanged here (split by the tokenizer)
    ("tehran-baku", "tehran-baku"),
    # a lone hyphen (a prefix query "-*") is not the reduplication of nothing
    ("-", "-"),
]


@pytest.mark.parametrize("word, expected", UNREDUPLICATE)
def test_unreduplicate(word, expected):
    assert unreduplicate(word) == expected


STEM_ID = [
    # ber-...-an
    ("berhubungan", "hubung"),
    # meN- on a root starting with t
    ("menulis", "tulis"),
    # -an
    ("tahunan", "tahun"),
    # shorter than MIN_STEM_LEN: untouched
    ("ada", "ada"),
    # not plain [a-z]: never handed to Sastrawi (which would split it)
    ("shōgatsu", "shōgatsu"),
    # uppercase is not plain [a-z] either: the tokenizer lowercases first
    ("Berhubungan", "Berhubungan"),
    # digits: untouched
    ("2024", "2024"),
]


@pytest.mark.parametrize("word, expected", STEM_ID)
def test_stem_id(word, expected):
    assert stem_id(word) == expected


def test_min_stem_len_is_what_the_table_assumes():
    assert MIN_STEM_LEN == 4


TERM_ID = [
    # reduplication, then stem
    ("negara-negara", "negara"),
    # stop word -> None
    ("yang", None),
    # reduplicated stop word -> None
    ("para-para", None),
    # stem
    ("pertemuan", "temu"),
]


@pytest.mark.parametrize("word, expected", TERM_ID)
def test_term_id(word, expected):
    assert term_id(word) == expected


TOKENIZER = [
    # hyphenated reduplication stays one token for term_id
    ("Negara-negara", ["negara-negara"]),
    # compound of different words splits into two tokens
    ("Tehran-Baku", ["tehran", "baku"]),
    # affixed reduplication stays one token for Sastrawi
    ("sebaik-baiknya", ["sebaik-baiknya"]),
    # accented name is one token, accent stripped
    ("Shōgatsu", ["shogatsu"]),
    # stop words are still tokens here: the stop list lives in term_id
    ("yang baru", ["yang", "baru"]),
    # punctuation separates
    ("Iran, Rusia.", ["iran", "rusia"]),
]


@pytest.mark.parametrize("text, expected", TOKENIZER)
def test_tokenizer_alone(text, expected):
    assert [t.text for t in IndonesianTokenizer()(text)] == expected


def test_tokenizer_single_term_when_tokenize_false():
    toks = [(t.text, t.startchar, t.endchar) for t in IndonesianTokenizer()(" Berhubungan ", tokenize=False, chars=True)]
    assert toks == [("berhubungan", 0, 13)]


def test_chain_single_term_when_tokenize_false():
    # prefix/wildcard terms: normalized and stemmed as one word
    assert terms("Berhubungan", tokenize=False) == ["hubung"]


def test_chain_single_stop_term_flagged_when_tokenize_false_and_removestops_false():
    got = [(t.text, t.stopped) for t in analyzer_for("id")("yang", tokenize=False, removestops=False)]
    assert got == [("yang", True)]


def test_chain_single_stop_term_dropped_when_tokenize_false():
    assert terms("yang", tokenize=False) == []


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abkn-_' .Éé1\u200c", max_size=40) | st.text(max_size=40))
def test_compounds_split_as_a_scan_of_every_word_would(text):
    """_HYPHENATED visits only hyphenated words: the same text as calling the check on every word."""
    import re

    from analyzers.indonesian import WORD_PATTERN, _split_compounds, _split_if_compound

    every_word = re.sub(WORD_PATTERN, _split_if_compound, text)
    assert _split_compounds(text) == every_word
