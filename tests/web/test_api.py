"""The JSON API: the success shape scripts rely on, and one error envelope on every route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.indexer import Indexer
from search.request import MAX_PER_PAGE, MAX_QUERY_CHARS
from web import create_app
from web.openapi import SPEC

NO_VECTORS = "this index has no vectors: build them with `lintas index --vectors`"

HIT_KEYS = {"id", "title", "lang", "score", "snippet", "date", "source", "url", "author", "similar_count", "similar"}
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
RESULT_KEYS = {"ok", "query", "total", "total_collapsed", "page", "per_page", "took_ms", "results", "facets",
               "suggestion", "respelled", "histogram", "mode", "also_searched"}


def assert_error(response, status: int, *words: str) -> dict:
    """The error envelope: JSON, ok false, the status repeated, a message naming the problem."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"ok", "error", "status"}, body
    assert body["ok"] is False and body["status"] == status
    assert body["error"].strip()
    for word in words:
        assert word in body["error"], f"{word!r} should be in the message: {body['error']!r}"
    return body


# --- /search: success ------------------------------------------------------------


def test_search_shape(client):
    r = client.get("/search?q=hubungan")
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert set(body) == RESULT_KEYS
    assert body["ok"] is True and body["query"] == "hubungan"
    assert body["page"] == 1 and body["per_page"] == 10
    assert body["total"] >= 3 and len(body["results"]) == min(body["total"], 10)
    assert isinstance(body["took_ms"], (int, float))
    for hit in body["results"]:
        assert set(hit) == HIT_KEYS
        assert hit["lang"] in ("fa", "id", "en")
    assert "<mark>" in body["results"][0]["snippet"]
    assert sum(body["facets"]["lang"].values()) == body["total"]


def test_search_lavrov_finds_the_article_that_names_him(client):
    body = client.get("/search?q=Lavrov").get_json()
    assert body["results"][0]["id"] == "004_0b9ad2877bc8c180"


def test_search_persian_query_finds_the_persian_article(client):
    body = client.get("/search", query_string={"q": "ایران"}).get_json()
    assert body["ok"] is True
    assert "003_b8878e3335182e53" in [h["id"] for h in body["results"]]
    persian = next(h for h in body["results"] if h["id"] == "003_b8878e3335182e53")
    assert persian["lang"] == "fa" and "<mark>" in persian["snippet"]


def test_search_json_keeps_persian_readable(client):
    # ensure_ascii off: curl shows ایران, not \u0627...
    assert "ایران" in client.get("/search", query_string={"q": "ایران"}).get_data(as_text=True)


def test_search_pagination_walks_every_hit_once(client):
    total = client.get("/search?q=Iran&per_page=1").get_json()["total"]
    assert total >= 2
    ids = [client.get(f"/search?q=Iran&per_page=1&page={p}").get_json()["results"][0]["id"] for p in range(1, total + 1)]
    assert len(set(ids)) == total
    past_the_end = client.get(f"/search?q=Iran&per_page=1&page={total + 1}").get_json()
    assert past_the_end["ok"] is True and past_the_end["results"] == []


def test_search_lang_filter(client):
    body = client.get("/search?q=Iran&lang=id").get_json()
    assert body["total"] >= 1 and {h["lang"] for h in body["results"]} == {"id"}


def test_search_accepts_empty_optional_params_as_absent(client):
    # What an HTML form sends when a filter is left at "any".
    r = client.get("/search?q=hubungan&lang=&sort=&page=&per_page=&from=&to=&source=")
    assert r.status_code == 200 and r.get_json()["ok"] is True


def test_search_ignores_unknown_params(client):
    assert client.get("/search?q=hubungan&utm_source=x").status_code == 200


def test_search_sort_by_date_and_date_range(client):
    assert client.get("/search?q=Iran&sort=date").status_code == 200
    assert client.get("/search?q=Iran&from=2000-01-01&to=2100-12-31").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        'Iran AND (',  # unbalanced parenthesis
        '"unterminated phrase',
        "NOT",
        "title:",
        "***",
        "Iran OR OR Rusia",
        "[a TO",
    ],
)
def test_broken_query_syntax_is_not_an_error(client, query):
    r = client.get("/search", query_string={"q": query})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["ok"] is True


# --- /search: bad input -------------------------------------------------------------


@pytest.mark.parametrize(
    "query_string, words",
    [
        ("", ["query is empty"]),  # no q at all
        ("q=", ["query is empty"]),
        ("q=%20%20", ["query is empty"]),
        ("q=x&per_page=0", ["per_page", str(MAX_PER_PAGE)]),
        (f"q=x&per_page={MAX_PER_PAGE + 1}", ["per_page", str(MAX_PER_PAGE)]),
        ("q=x&per_page=ten", ["per_page", "whole number"]),
        ("q=x&page=abc", ["page", "whole number"]),
        ("q=x&page=0", ["page"]),
        ("q=x&page=-1", ["page"]),
        ("q=x&page=1.5", ["page", "whole number"]),
        ("q=x&lang=de", ["de", "fa"]),
        ("q=x&sort=popular", ["popular", "relevance"]),
        ("q=x&from=yesterday", ["from", "ISO date"]),
        ("q=x&to=2024-13-01", ["to", "ISO date"]),
        ("q=x&from=2024-07-01&to=2024-06-01", ["after"]),
        (f"q={'a' * (MAX_QUERY_CHARS + 1)}", [str(MAX_QUERY_CHARS)]),
    ],
)
def test_search_bad_input_is_400_with_a_helpful_message(client, query_string, words):
    assert_error(client.get(f"/search?{query_string}"), 400, *words)


def test_very_long_url_is_a_4xx_json_error(client):
    r = client.get("/search?q=x&pad=" + "a" * 100_000)
    assert_error(r, 414, "query string")


def test_request_body_is_bounded(client):
    r = client.get("/search?q=x", data=b"x" * (client.application.config["MAX_CONTENT_LENGTH"] + 1))
    assert_error(r, 413, "too large")


# --- the envelope on every route ---------------------------------------------------


def test_unknown_route_is_404_json(client):
    assert_error(client.get("/nope"), 404, "/nope", "/openapi.json")


def test_unknown_route_is_html_for_a_browser(client):
    r = client.get("/nope", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "/nope" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/search?q=x", "/documents/004_0b9ad2877bc8c180", "/health", "/openapi.json", "/"])
def test_wrong_method_is_405_json_with_allow(client, path):
    r = client.post(path)
    assert_error(r, 405, "POST", "GET")
    assert "GET" in r.headers["Allow"]


@pytest.mark.parametrize("path", ["/search?q=x", "/documents/x", "/health", "/openapi.json"])
def test_api_routes_answer_json_errors_even_to_a_browser(client, path):
    r = client.put(path, headers={"Accept": "text/html"})
    assert_error(r, 405)


def test_unexpected_exception_is_a_generic_500_and_logged(index_dir, caplog):
    app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    body = assert_error(app.test_client().get("/boom"), 500, "bug")
    assert "secret" not in body["error"]
    assert "secret internal detail" in caplog.text


# --- /documents, /health, missing index ---------------------------------------------


def test_document(client):
    r = client.get("/documents/004_0b9ad2877bc8c180")
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] is True
    doc = body["document"]
    assert set(doc) == {"id", "title", "text", "lang", "date", "source", "url", "author"}
    assert doc["id"] == "004_0b9ad2877bc8c180"
    assert doc["title"].startswith("Tehran-Moskow")
    assert "Lavrov" in doc["text"]
    assert doc["lang"] == "id"


def test_unknown_document_is_404_json(client):
    assert_error(client.get("/documents/no_such_doc"), 404)


def test_health(client):
    body = client.get("/health").get_json()
    assert body == {"ok": True, "documents": 5, "warm": body["warm"],
                    "semantic": {"available": False, "vectors": 0, "reason": NO_VECTORS}}


def test_health_says_when_the_worker_is_warm(tmp_path, make_index):
    from web import engine_for

    app = create_app({"INDEX_DIR": str(make_index("warm", [SEEDS])), "TESTING": True})
    engine = engine_for(app)
    assert app.test_client().get("/health").get_json()["warm"] is False  # nothing loaded yet
    engine.warm_up()
    assert app.test_client().get("/health").get_json()["warm"] is True


def test_missing_index_is_503_json_and_the_app_still_starts(tmp_path):
    app = create_app({"INDEX_DIR": str(tmp_path / "not-built-yet"), "TESTING": True})
    client = app.test_client()
    for path in ("/health", "/search?q=x", "/documents/x"):
        assert_error(client.get(path), 503)
    page = client.get("/?q=x")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert client.get("/openapi.json").status_code == 200


def test_index_built_after_start_is_picked_up_without_restart(tmp_path):
    index = tmp_path / "later"
    client = create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()
    assert_error(client.get("/health"), 503)
    Indexer(str(index)).index_paths([str(SEEDS / "004_0b9ad2877bc8c180.txt")])
    assert client.get("/health").get_json() == {"ok": True, "documents": 1, "warm": False, "semantic": {"available": False, "vectors": 0, "reason": NO_VECTORS}}


# --- escaping -------------------------------------------------------------------------


def test_snippet_escapes_everything_but_mark(hostile_client):
    body = hostile_client.get("/search?q=hubungan").get_json()
    snippet = body["results"][0]["snippet"]
    assert "<mark>" in snippet
    assert "<script" not in snippet and "<img" not in snippet
    assert "&lt;script&gt;" in snippet or "&lt;img" in snippet, snippet
    rest = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in rest and ">" not in rest, snippet


# --- /openapi.json --------------------------------------------------------------------


def test_openapi_describes_every_route(app, client):
    spec = client.get("/openapi.json").get_json()
    assert spec == SPEC and spec["openapi"].startswith("3.")
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.replace("<doc_id>", "{id}")), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes == described


# --- property: any query answers JSON, never a 500 ------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), lang=st.sampled_from(["", "fa", "id", "en"]))
def test_any_query_answers_json_never_500(client, q, lang):
    r = client.get("/search", query_string={"q": q, "lang": lang})
    assert r.status_code in (200, 400), (q, r.get_data(as_text=True))
    assert r.get_json()["ok"] is (r.status_code == 200)


def test_did_you_mean(client):
    body = client.get("/search?q=hubungn").get_json()
    assert body["total"] == 0 and body["suggestion"] == "hubungan" and body["respelled"] == {}
    assert client.get("/search?q=hubungan").get_json()["suggestion"] is None


def test_joined_persian_words_are_searched_split_and_reported(client):
    body = client.get("/search", query_string={"q": "روابطایران"}).get_json()
    assert body["respelled"] == {"روابطایران": "روابط ایران"}
    assert body["suggestion"] == "روابط ایران" and body["total"] > 0


def test_web_never_imports_whoosh():
    # Arrows point down: web -> search -> analyzers; only search/ knows the index library.
    web = Path(__file__).resolve().parents[2] / "web"
    offenders = [p.name for p in web.rglob("*.py") if re.search(r"^\s*(import|from)\s+whoosh", p.read_text(), re.M)]
    assert offenders == []
def test_search_also_searched_names_the_other_script_and_xscript_0_turns_it_off(client):
    body = client.get("/search", query_string={"q": "Azerbaijan"}).get_json()
    assert "آذربایجان" in body["also_searched"]["Azerbaijan"]
    assert "003_b8878e3335182e53" in [r["id"] for r in body["results"]]
    off = client.get("/search", query_string={"q": "Azerbaijan", "xscript": "0"}).get_json()
    assert off["also_searched"] == {} and "003_b8878e3335182e53" not in [r["id"] for r in off["results"]]
    assert_error(client.get("/search", query_string={"q": "Azerbaijan", "xscript": "maybe"}), 400, "xscript")


def test_page_says_also_searched_with_a_link_that_turns_it_off(client):
    html = client.get("/", query_string={"q": "Teheran"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Also searched: <strong" in html and "تهران" in html
    link = re.search(r'<p class="also-searched"[^>]*>.*?<a href="([^"]+)"', html, re.S).group(1)
    assert "xscript=0" in link
    off = client.get(link.replace("&amp;", "&"), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "also-searched" not in off
