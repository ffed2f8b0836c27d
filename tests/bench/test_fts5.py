"""The FTS5 reference: a question's words can never be read as FTS5 syntax."""

import pytest

from bench.fts5 import SPEED_TOKENIZER, Fts5Index, match_expression, syntax_expression


@pytest.fixture
def index():
    idx = Fts5Index()
    idx.add([
        ("d1", "", "Siapa pelatih ganda putra bulu tangkis?"),
        ("d2", "کتاب", "بازی‌های المپیک تابستانی در ریو برگزار شد"),
        ("d3", "", "pelatih sepak bola"),
    ])
    yield idx
    idx.close()


def test_words_are_quoted_and_ored():
    assert match_expression("Siapa  pelatih?") == '"Siapa" OR "pelatih?"'


def test_a_double_quote_in_the_question_is_escaped():
    assert match_expression('kata "asing') == '"kata" OR """asing"'


@pytest.mark.parametrize("question", [
    'NOT pelatih AND',  # boolean operators
    'pelatih* -bola ^ganda',  # prefix, negation, initial-token syntax
    'text: pelatih',  # a column filter
    '"unclosed',
    '؟',  # punctuation only: an empty phrase, matches nothing
    '( ) { } :',
])
def test_fts5_syntax_in_a_question_never_raises(index, question):
    index.search(question)


def test_ranks_the_document_sharing_more_words_first(index):
    assert index.search("pelatih ganda putra")[0] == "d1"


def test_searches_the_title_too(index):
    assert index.search("کتاب") == ["d2"]


def test_empty_question_returns_nothing(index):
    assert index.search("   ") == []


@pytest.mark.parametrize("query, expression", [
    ("hubungan", '"hubungan"'),
    ("covid-19 AND vaksin", '"covid-19" AND "vaksin"'),     # barewords would reject the hyphen
    ('"kerja sama"', '"kerja sama"'),                       # a phrase stays one phrase
    ('"a ""b"', '"a """"b"'),                               # quotes inside are doubled
])
def test_the_speed_benchmarks_syntax_maps_onto_fts5(query, expression):
    assert syntax_expression(query) == expression


def test_the_speed_benchmarks_table_on_disk_snippets(tmp_path):
    idx = Fts5Index(tmp_path / "f.sqlite", tokenizer=SPEED_TOKENIZER)
    idx.add([("a", "judul", "kabar kerja sama dagang", "id")])
    assert idx.match(syntax_expression('"kerja sama"'), 10, snippets=True) == [
        ("a", "kabar <mark>kerja sama</mark> dagang")]  # FTS5 marks a phrase as one
    idx.close()
