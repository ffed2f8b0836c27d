"""The engine over the seed articles: ranking, syntax, filters, snippets, suggestions."""

import re

import pytest

from search.engine import Engine
from search.errors import DocumentNotFound, IndexNotFound
from search.request import SearchRequest

D000, D001, D002, D003, D004 = (
    "000_7ecd846baa03e493", "001_7096a94d9b5d90fd", "002_2e6686a3ccd039ae",
    "003_b8878e3335182e53", "004_0b9ad2877bc8c180",
)


def ids(engine, q, **kw):
    return [h.id for h in engine.search(SearchRequest(q=q, **kw)).hits]


@pytest.mark.parametrize("q, first", [
    ("Patrushev Bishkek", D002),            # two rare names, both only in 002
    ("Lavrov", D004),                       # Latin name, one document
    ("روابط ایران و آذربایجان", D003),       # Persian, with a stop word inside
    ("1401", D003),                         # written ۱۴۰۱ in the text
    ("۱۴۰۱", D003),                         # Persian digits in the query
    ("جمهوري آذربايجان", D003),             # Arabic yeh in the query, Persian in the text
])
def test_first_result(engine, q, first):
    assert ids(engine, q)[0] == first


def test_stemmed_query_marks_surface_form(engine):
    results = engine.search(SearchRequest(q="berhubungan"))
    assert results.total >= 3
    for hit in results.hits:
        marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
        assert marked, hit.id
        assert {m.lower() for m in marked} <= {"hubungan", "berhubungan", "hubung", "menghubungkan"}
    assert any("hubungan" in m.lower() for h in results.hits for m in re.findall(r"<mark>(.*?)</mark>", h.snippet))


def test_boilerplate_link_is_not_searchable(engine):
    # "Netanyahu" appears in 000 only inside a "Baca juga:" related-article line.
    assert engine.search(SearchRequest(q="Netanyahu")).total == 0


def test_plain_words_are_or_and_more_matches_rank_higher(engine):
    both = ids(engine, "Lavrov Patrushev")
    assert set(both[:2]) == {D002, D004}
    assert ids(engine, "Lavrov Bishkek Patrushev")[0] == D002  # two of three words


@pytest.mark.parametrize("q, expected", [
    ("Lavrov AND Bishkek", set()),
    ("Patrushev AND Bishkek", {D002}),
    ("Lavrov OR Bishkek", {D002, D004}),
    ('"Sergey Lavrov"', {D004}),
    ('"Lavrov Sergey"', set()),             # phrase order matters
    ("Lavr*", {D004}),                      # prefix
    ("title:Moskow", {D004}),
    # 001, 002 and 004 name Aliyev or lack Azerbaijan; 003 writes آذربایجان (search/xscript.py)
    ("Azerbaijan NOT Aliyev", {D000, D003}),
    ("lang:fa ایران", {D003}),
])
def test_syntax(engine, q, expected):
    assert set(ids(engine, q, per_page=100)) == expected


BROKEN_SYNTAX = [
    # syntax with no word in it finds nothing (and raises nothing)
    ('"', set()),
    ("(((", set()),
    (")))((", set()),
    ("NOT", set()),
    ("AND OR NOT", set()),
    ("^~:", set()),
    ("title:", set()),                      # a field with no value
    ("lang:", set()),
    ("a AND", set()),                       # "a" is no word of any seed, and a dangling AND
    # a lone prefix would enumerate every term of every field: no query at all
    ("*", set()),
    ("**", set()),
    ("title:*", set()),
    ("ـ*", set()),                          # tatweel normalizes to nothing: a lone "*" again
    ("ـ", set()),
    # what parses partly keeps its words
    ("Lavrov AND", {D004}),
    ("AND hubungan", {D000, D001, D004}),
    ("(Lavrov", {D004}),
    ("Lavrov)", {D004}),
    ('"Lavrov', {D004}),
    ("*Lavrov", {D004}),                    # a leading star is dropped, not a wildcard
    ("Lavrov^2", {D004}),                   # no boosts: the word stays
    ("Lavrov~", {D004}),                    # no fuzzy: the word stays
    ("[a TO b]", set()),                    # no ranges: plain words, none indexed
    # a field name nobody can search becomes a plain word
    ("hash:Lavrov", {D004}),
    ("url:Lavrov", {D004}),
    ("date:Lavrov", {D004}),
    ("lang:xx Lavrov", {D004}),             # an unknown language matches nothing; the OR keeps Lavrov
    # searchable field names keep their meaning
    ("source:Lavrov", set()),
    ("id:Lavrov", set()),
    ("body:Lavrov", {D004}),
    ("text:Lavrov", {D004}),
    ("NOT Lavrov", {D000, D001, D002, D003}),  # a NOT alone: everything else
]


@pytest.mark.parametrize("vectorize", [True, False], ids=["numpy", "whoosh"])
@pytest.mark.parametrize("q, expected", BROKEN_SYNTAX)
def test_broken_syntax_finds_what_its_words_find(engine, q, expected, vectorize):
    engine.vectorize = vectorize
    try:
        results = engine.search(SearchRequest(q=q, per_page=100))
    finally:
        engine.vectorize = True
    assert {h.id for h in results.hits} == expected
    assert results.total == len(expected)


def test_broken_syntax_falls_back_to_words(engine):
    assert ids(engine, '"Lavrov (')[0] == D004


def test_filters_and_facets(engine):
    everything = engine.search(SearchRequest(q="Iran OR ایران", per_page=100))
    assert everything.facets["lang"] == {"fa": 1, "id": 4}
    only_fa = engine.search(SearchRequest(q="Iran OR ایران", lang="fa"))
    assert [h.lang for h in only_fa.hits] == ["fa"]
    assert only_fa.facets["lang"] == {"fa": 1, "id": 4}  # the other languages stay visible


def test_date_filter_and_sort(engine):
    from datetime import date

    recent = ids(engine, "Iran", date_from=date(2024, 6, 1), per_page=100)
    assert D004 in recent and D002 not in recent
    by_date = engine.search(SearchRequest(q="Iran", sort="date", per_page=100)).hits
    dated = [h.date for h in by_date if h.date]
    assert dated == sorted(dated, reverse=True)


def test_pagination(engine):
    all_ids = ids(engine, "Iran", per_page=100)
    pages = [ids(engine, "Iran", per_page=2, page=p) for p in (1, 2, 3)]
    assert sum(pages, []) == all_ids[:6]
    assert engine.search(SearchRequest(q="Iran", per_page=2, page=99)).hits == []


def test_did_you_mean(engine):
    results = engine.search(SearchRequest(q="Patrushv"))
    assert results.total == 0
    assert results.suggestion == "patrushev"
    assert engine.search(SearchRequest(q="Patrushev")).suggestion is None


def test_snippet_escapes_everything_but_mark(tmp_path):
    from search.documents import Document
    from search.indexer import Indexer

    Indexer(tmp_path).add_documents([Document(
        id="x", title="<b>t</b>", lang="id",
        text='Berita <script>alert(1)</script> tentang keamanan & "kerja sama" </mark> <img onerror=x>')])
    snippet = Engine(tmp_path).search(SearchRequest(q="keamanan")).hits[0].snippet
    assert "<mark>keamanan</mark>" in snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")
    assert "&lt;script&gt;" in snippet and "&lt;/mark&gt;" in snippet


def test_document_and_stats(engine):
    doc = engine.document(D003)
    assert doc.title == "مناسبات رو به جلو و پیشرفت ایران و جمهوری آذربایجان"
    assert doc.lang == "fa"
    assert str(engine.document(D004).date) == "2024-06-30"
    with pytest.raises(DocumentNotFound):
        engine.document("nope")
    stats = engine.stats()
    assert stats["documents"] == 5 and stats["by_lang"] == {"fa": 1, "id": 4}


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="lintas index"):
        Engine(tmp_path / "none")


def test_engine_sees_reindex_without_restart(tmp_path):
    import time

    from search.documents import Document
    from search.indexer import Indexer

    indexer = Indexer(tmp_path)
    indexer.add_documents([Document(id="a", title="satu", text="kabar pertama", lang="id")])
    engine = Engine(tmp_path)
    assert engine.search(SearchRequest(q="kedua")).total == 0
    indexer.add_documents([Document(id="b", title="dua", text="kabar kedua", lang="id")])
    time.sleep(0.3)  # the engine checks for a new generation at most every 0.2 s
    assert [h.id for h in engine.search(SearchRequest(q="kedua")).hits] == ["b"]


def test_blank_source_is_no_filter(engine):
    from search.request import SearchRequest

    assert SearchRequest(q="hubungan", source=" ").source is None
    assert engine.search(SearchRequest(q="hubungan", source="")).total == engine.search(
        SearchRequest(q="hubungan")).total > 0
