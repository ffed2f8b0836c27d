"""search/snippets.py: the window, the marks and the escaping, on plain spans and on a real index."""

from __future__ import annotations

import re

from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest
from search.snippets import make_snippet

MARK = re.compile(r"<mark>(.*?)</mark>")


def spans_of(text: str, word: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), word) for m in re.finditer(word, text)]


def test_at_most_twelve_marks_in_a_snippet():
    text = " ".join(["kata"] * 30)  # 149 characters: all 30 inside one window
    marks = MARK.findall(make_snippet(text, spans_of(text, "kata")))
    assert len(marks) == 12  # MAX_MARKS: a snippet of nothing but marks reads as noise


def test_fewer_matches_are_all_marked():
    text = "satu kata dua kata tiga kata empat"
    assert make_snippet(text, spans_of(text, "kata")) == (
        "satu <mark>kata</mark> dua <mark>kata</mark> tiga <mark>kata</mark> empat")


def test_no_match_gives_the_start_of_the_text_cut_at_a_word():
    text = "awal " + "isi " * 100
    snippet = make_snippet(text, [])
    assert snippet.startswith("awal isi") and snippet.endswith("…") and "<mark>" not in snippet
    assert len(snippet) <= 241


def test_the_window_with_most_distinct_words_wins():
    text = "alpha " + "x " * 200 + "beta gamma " + "y " * 200 + "alpha"
    spans = spans_of(text, "alpha") + spans_of(text, "beta") + spans_of(text, "gamma")
    assert MARK.findall(make_snippet(text, sorted(spans))) == ["beta", "gamma"]


def test_engine_marks_twelve_of_many_occurrences(tmp_path):
    Indexer(tmp_path).add_documents([Document(
        id="many", title="t", lang="id", text=" ".join(["hubungan dagang"] * 20))])
    hit = Engine(tmp_path).search(SearchRequest(q="hubungan")).hits[0]
    assert MARK.findall(hit.snippet) == ["hubungan"] * 12
