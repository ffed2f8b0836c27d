"""search.respell: Persian words typed without their space, also searched split."""

import pytest

from search import respell as rs
from search.request import SearchRequest

D003 = "003_b8878e3335182e53"


def _respell(engine, text, langs=("fa", "id")):
    searcher = engine.searchers.searcher()
    return rs.respell(searcher, engine.searchers.terms(searcher), text, langs)


def test_persian_words_typed_without_their_space_are_split(engine):
    results = engine.search(SearchRequest(q="روابطایران"))
    assert results.respelled == {"روابطایران": "روابط ایران"}
    assert [h.id for h in results.hits] == [D003]
    assert results.suggestion == "روابط ایران"


@pytest.mark.parametrize("q", ["روابط ایران", "Iran hubungan", "dan yang", "1401", "از"])
def test_known_words_and_stop_words_are_left_alone(engine, q):
    r = _respell(engine, q)
    assert (r.query, r.readings, r.suggestion) == (q, {}, None)


@pytest.mark.parametrize("q", ['"روابطایران"', "title:روابطایران", "روابطایران*", 'Iran "روابطایران x"'])
def test_phrases_fields_and_prefixes_are_left_alone(engine, q):
    assert _respell(engine, q).query == q


def test_latin_typos_are_left_to_did_you_mean(engine):
    results = engine.search(SearchRequest(q="Patrushv"))
    assert results.respelled == {} and results.total == 0
    assert results.suggestion == "patrushev"


def test_the_word_is_kept_beside_its_reading_in_a_group(engine):
    r = _respell(engine, "(Iran AND روابطایران؟)")
    assert r.readings == {"روابطایران": "روابط ایران"}
    assert r.query == "(Iran AND (روابطایران OR روابط ایران)؟)"
    assert r.suggestion == "(Iran AND روابط ایران؟)"


def test_a_repeated_word_is_read_once_and_the_same_everywhere(engine):
    r = _respell(engine, 'روابطایران "روابطایران" روابطایران')
    assert r.query == '(روابطایران OR روابط ایران) "روابطایران" (روابطایران OR روابط ایران)'


def test_operators_are_not_words(engine):
    r = _respell(engine, "روابطایران AND NOT Iran")
    assert r.readings == {"روابطایران": "روابط ایران"} and r.query.endswith(" AND NOT Iran")


def test_only_the_first_few_unknown_words_are_tried(engine):
    words = ["قزقزقز" + c for c in "ابپتثجچح"] + ["روابطایران"]
    r = _respell(engine, " ".join(words))
    assert r.readings == {}  # the joined words came after MAX_TRIED unknown ones
    assert _respell(engine, " ".join(words[-rs.MAX_TRIED:])).readings == {"روابطایران": "روابط ایران"}


def test_past_the_deadline_nothing_is_tried(engine):
    searcher = engine.searchers.searcher()
    r = rs.respell(searcher, engine.searchers.terms(searcher), "روابطایران", ("fa", "id"), deadline=0)
    assert (r.query, r.readings, r.suggestion) == ("روابطایران", {}, None)


def test_both_halves_must_be_words_the_index_holds(engine):
    searcher = engine.searchers.searcher()
    exists = engine.searchers.terms(searcher)
    assert rs.split(searcher.reader(), exists, "روابطایران", "fa") == "روابط ایران"
    assert rs.split(searcher.reader(), exists, "روابطقزقز", "fa") is None
