"""Whatever a search box receives, /search and Engine.search answer: a 200, or a 4xx
with the JSON error envelope; never a 500, never a hang.

The nasty inputs come from bench/soak.py (one list for the tests and the soak), each
checked on its own; then Hypothesis throws arbitrary text and parameter values.
"""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers import LANGS
from bench.soak import NASTY_QUERIES, PARAM_VALUES, RAW_QUERY_STRINGS, lone_surrogates
from search.errors import BadRequest, LintasError
from search.request import MAX_QUERY_CHARS, SORTS, SearchRequest

# Far above the engine's 2 s collection budget, far below "hung": what a request may take
# on two shared cores, parsing and snippets included.
SLOW = 6.0


def assert_answer(resp, elapsed: float | None = None) -> dict:
    """A 200 with ok=true or a 4xx with the error envelope; returns the JSON."""
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    data = resp.get_json()
    assert isinstance(data, dict), resp.get_data(as_text=True)[:300]
    if resp.status_code == 200:
        assert data["ok"] is True
        assert isinstance(data["total"], int) and data["total"] >= 0
        assert isinstance(data["results"], list)
    else:
        assert 400 <= resp.status_code < 500
        assert data == {"ok": False, "error": data["error"], "status": resp.status_code}
        assert isinstance(data["error"], str) and len(data["error"]) > 10
    if elapsed is not None:
        assert elapsed < SLOW, f"took {elapsed:.1f}s"
    return data


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


@pytest.mark.parametrize("name", sorted(NASTY_QUERIES))
def test_nasty_query_over_http(rb_client, name):
    q = NASTY_QUERIES[name]
    resp, elapsed = timed(rb_client.get, "/search", query_string={"q": q})
    data = assert_answer(resp, elapsed)
    if not q.strip():
        assert resp.status_code == 400 and "empty" in data["error"]
    elif len(q) > MAX_QUERY_CHARS:
        # Too long: refused before any parsing, whatever the query is made of.
        assert resp.status_code in (400, 414)
    else:
        assert resp.status_code == 200, data
    # The HTML page takes the same input and must not fall over either.
    page, elapsed = timed(rb_client.get, "/", query_string={"q": q}, headers={"Accept": "text/html"})
    assert page.status_code < 500 and elapsed < SLOW
    assert page.mimetype == "text/html"


@pytest.mark.parametrize("name", sorted(NASTY_QUERIES))
def test_nasty_query_in_engine(rb_engine, name):
    q = NASTY_QUERIES[name]
    for lang in (None, "fa", "id"):
        try:
            req = SearchRequest(q=q, lang=lang)
        except BadRequest:
            assert not q.strip() or len(q) > MAX_QUERY_CHARS
            req = SearchRequest(q=q[:MAX_QUERY_CHARS] if q.strip() else "x", lang=lang)  # what fits must run
        results, elapsed = timed(rb_engine.search, req)
        assert results.total >= 0 and len(results.hits) <= req.per_page
        assert elapsed < SLOW


@pytest.mark.parametrize("q", lone_surrogates())
def test_lone_surrogates_in_engine(rb_engine, q):
    results = rb_engine.search(SearchRequest(q=q))
    assert results.total >= 0


@pytest.mark.parametrize("raw", RAW_QUERY_STRINGS, ids=lambda r: r[:40])
def test_raw_query_strings(rb_client, raw):
    """Invalid percent-encodings and invalid UTF-8 (%ff) in the URL itself."""
    resp = rb_client.get("/search?" + raw)
    assert_answer(resp)


def test_invalid_utf8_is_searched_not_refused(rb_client):
    resp = rb_client.get("/search?q=hubungan%ff")
    data = assert_answer(resp)
    assert resp.status_code == 200 and data["query"].startswith("hubungan")  # Werkzeug keeps "%FF" as text
    assert data["total"] >= 1


@pytest.mark.parametrize("name,values", sorted(PARAM_VALUES.items()))
def test_every_listed_parameter_value(rb_client, name, values):
    for value in values:
        assert_answer(rb_client.get("/search", query_string={"q": "hubungan", name: value}))


@pytest.mark.parametrize("path", [
    "/documents/%00", "/documents/%ff", "/documents/" + "a" * 5000, "/documents/<script>",
    "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/%E2%80%AE", "/documents/doc%2F1",
])
def test_odd_document_ids(rb_client, path):
    resp = rb_client.get(path)
    assert resp.status_code == 404
    assert_answer(resp)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_envelope(rb_client, method):
    resp = rb_client.open("/search?q=x", method=method, data=b"q=x")
    assert resp.status_code == 405
    assert_answer(resp)


# ---------------------------------------------------------------- Hypothesis

# Pieces of syntax and hostile markup, so random queries hit the parser's corners
# far more often than uniform text would.
FRAGMENTS = st.sampled_from([
    "hubungan", "dagang", "ایران", "racun", "AND", "OR", "NOT", '"', "(", ")", "*", "?", "title:",
    "body:", "lang:", "lang:fa", "id:", "source:", "<script>", "</mark>", "<mark>", "\u202e", "\x00",
    "~", "^", "[", "]", "{", "}", "TO", "-", "+", "\\", ":", "'", "&", "%", " ", "\u200c",
])
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=30).map(" ".join),
    st.lists(FRAGMENTS, max_size=60).map("".join),
)
PARAM = st.one_of(st.none(), st.text(max_size=20), st.integers(-10**25, 10**25).map(str))


def _value(choices):
    return st.one_of(st.none(), st.sampled_from(choices), st.text(max_size=12))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(
    q=st.one_of(st.none(), QUERIES),
    page=PARAM, per_page=PARAM,
    lang=_value(list(LANGS)), sort=_value(list(SORTS)), source=_value(["uji-xss", "kompas"]),
    date_from=_value(["2024-01-01", "2024-02-30", "1900-01-01"]),
    date_to=_value(["2024-12-31", "0001-01-01", "9999-12-31"]),
    path=st.sampled_from(["/search", "/search", "/"]),
)
def test_search_any_parameters(rb_client, q, page, per_page, lang, sort, source, date_from, date_to, path):
    args = {"q": q, "page": page, "per_page": per_page, "lang": lang, "sort": sort, "source": source,
            "from": date_from, "to": date_to}
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in args.items() if v is not None)
    resp, elapsed = timed(rb_client.get, f"{path}?{query}")
    if path == "/search":
        assert_answer(resp, elapsed)
    else:
        assert resp.status_code < 500 and elapsed < SLOW, resp.get_data(as_text=True)[:300]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(
    # Any code point at all, lone surrogates included: the engine's input is a Python str.
    q=st.one_of(QUERIES, st.text(alphabet=st.characters(blacklist_categories=()), max_size=100)),
    lang=st.one_of(st.none(), st.sampled_from(LANGS)),
    sort=st.sampled_from(SORTS),
    page=st.integers(1, 50), per_page=st.integers(1, 100),
    source=st.one_of(st.none(), st.text(max_size=10)),
    dates=st.tuples(st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.dates())),
)
def test_engine_any_request(rb_engine, q, lang, sort, page, per_page, source, dates):
    try:
        req = SearchRequest(q=q, lang=lang, source=source, date_from=dates[0], date_to=dates[1],
                            sort=sort, page=page, per_page=per_page)
    except BadRequest:
        return  # validation said no, clearly: that is an answer
    results, elapsed = timed(rb_engine.search, req)
    assert elapsed < SLOW
    assert len(results.hits) <= per_page
    assert results.total >= 0
    for hit in results.hits:
        assert hit.lang in LANGS
        if req.lang:
            assert hit.lang == req.lang
        if req.source is not None:
            assert hit.source == source
        if dates[0] and hit.date:
            assert date.fromisoformat(hit.date) >= dates[0]


@given(st.one_of(st.integers(), st.text(), st.none(), st.floats(allow_nan=True), st.booleans()))
@settings(max_examples=60, deadline=None)
def test_request_validation_never_raises_anything_else(value):
    """Wrong types from a careless caller are a BadRequest, not a TypeError deep inside."""
    for name in ("q", "lang", "sort", "page", "per_page"):
        kwargs = {"q": "hubungan", name: value}
        try:
            SearchRequest(**kwargs)
        except LintasError:
            pass
