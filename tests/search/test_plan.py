"""Query planning: terms the index lacks are dropped, and results do not change."""

from __future__ import annotations

import pytest
from whoosh import query as wq
from whoosh.collectors import TopCollector

from search.plan import NULL, StreamingOr, TermCache, prune, union
from search.ranking import weighting
from search.request import SearchRequest


@pytest.fixture(scope="module")
def searcher(engine):
    with engine._ix.searcher(weighting=weighting()) as s:
        yield s


@pytest.fixture(scope="module")
def exists(searcher):
    return TermCache(searcher.reader())


def T(field, text, boost=1.0):
    return wq.Term(field, text, boost=boost)


def test_term_cache_knows_present_and_absent_terms(exists):
    assert exists("body_id", "hubung")  # berhubungan, stemmed
    assert not exists("body_fa", "hubung")  # an Indonesian stem is no Persian term
    assert not exists("no_such_field", "x")


def test_or_drops_absent_terms_and_streams(exists):
    q = prune(wq.Or([T("body_id", "hubung"), T("body_fa", "hubung"), T("body_id", "lavrov")]), exists)
    assert isinstance(q, StreamingOr)
    assert set(q.subqueries) == {T("body_id", "hubung"), T("body_id", "lavrov")}


def test_or_of_one_survivor_keeps_the_or_boost(exists):
    q = prune(wq.Or([T("title_id", "hubung", boost=0.5), T("title_fa", "hubung")], boost=3.0), exists)
    assert q == T("title_id", "hubung", boost=1.5)


def test_and_with_an_absent_term_is_null(exists):
    assert prune(wq.And([T("body_id", "hubung"), T("body_id", "zzzqqq")]), exists) is NULL


def test_phrase_with_an_absent_word_is_null(exists):
    assert prune(wq.Phrase("body_id", ["hubung", "zzzqqq"]), exists) is NULL
    kept = wq.Phrase("body_id", ["hubung", "lavrov"])
    assert prune(kept, exists) is kept


def test_and_not_with_absent_exclusion_is_its_positive_part(exists):
    assert prune(wq.AndNot(T("body_id", "hubung"), T("body_id", "zzzqqq")), exists) == T("body_id", "hubung")
    assert prune(wq.AndNot(T("body_id", "zzzqqq"), T("body_id", "hubung")), exists) is NULL


@pytest.mark.parametrize("text", [
    "hubungan Lavrov", "روابط ایران و آذربایجان", "Patrushev OR Bishkek", "ایران NOT آذربایجان",
    '"Sergei Lavrov"', "title:ایران", "presiden AND kunjungan", "hubungan zzzqqq",
])
def test_pruned_query_ranks_exactly_as_the_full_one(engine, searcher, exists, text):
    # Exhaustive scoring on both sides (no block-quality skipping): the pruned
    # query must give the same documents with the same scores.
    full = union(list(engine._parts(engine.searchers.present_langs(searcher), text).values()))

    def ranking(q):
        collector = TopCollector(limit=50, usequality=False)
        searcher.search_with_collector(q, collector)
        return [(hit["id"], round(hit.score, 6)) for hit in collector.results()]

    pruned = prune(full, exists)
    assert ranking(pruned) == (ranking(full) if pruned is not NULL else [])
    if "zzzqqq" not in text and "NOT" not in text:
        assert ranking(full), "the seed index should match this query"


def test_language_filter_still_counts_other_languages(engine):
    # An Indonesian word with lang=fa: no Persian hits, but the facet shows where it is.
    res = engine.search(SearchRequest(q="hubungan", lang="fa"))
    assert res.hits == []
    assert res.facets["lang"].get("id", 0) >= 1


@pytest.mark.parametrize("text", [
    "hubungan", "ایران", "ایران OR hubungan", "NOT ایران", "hubungan NOT Lavrov", "source:zzz", "kerja*",
    '"روابط ایران"',
])
@pytest.mark.parametrize("lang", [None, "fa", "id"])
def test_counts_per_language_match_whooshs_grouping(engine, searcher, text, lang):
    # The engine counts each language's part straight off its matchers; Whoosh's
    # grouping collector over the whole query is the reference (as typed: the
    # cross-script names are tests/search/test_xscript.py's).
    res = engine.search(SearchRequest(q=text, lang=lang, xscript=False))
    full = union(list(engine._parts(engine.searchers.present_langs(searcher), text).values()))
    expected = {}
    if full is not NULL:
        grouped = searcher.search(full, limit=None, scored=False, groupedby="lang").groups("lang")
        expected = {k: len(v) for k, v in sorted(grouped.items()) if v}
    assert res.facets["lang"] == expected
    assert res.total == (expected.get(lang, 0) if lang else sum(expected.values()))


def test_not_alone_counts_only_documents_without_the_word(engine):
    # NOT ایران in the Persian fields is every Persian document without ایران, and
    # must not count Persian documents through the Indonesian fields they lack.
    by_lang = engine.stats()["by_lang"]
    # As typed: NOT ایران with the cross-script names also excludes "Iran" (test_xscript.py).
    without = engine.search(SearchRequest(q="NOT ایران", xscript=False))
    with_word = engine.search(SearchRequest(q="ایران", xscript=False))
    fa = lambda r: r.facets["lang"].get("fa", 0)  # noqa: E731
    assert fa(with_word) >= 1
    assert fa(without) == by_lang["fa"] - fa(with_word)
    assert without.facets["lang"]["id"] == by_lang["id"]  # no Indonesian seed has ایران
    assert all(h.lang != "fa" or "ایران" not in h.snippet for h in without.hits)
