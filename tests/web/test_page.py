"""The search page rendered server-side, read as plain HTML (no JavaScript)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from web.pagination import paginate


class Page(HTMLParser):
    """Collects what the tests look at: elements with their attributes, and the links."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def find(self, tag: str, **want) -> list[dict]:
        return [
            a for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in want.items())
        ]

    def query_box(self) -> dict:
        # The box itself; the date form carries q along in a hidden field.
        (box,) = self.find("input", name="q", type="search")
        return box


def get_page(client, path: str, status: int = 200, **query) -> tuple[str, Page]:
    r = client.get(path, query_string=query or None)
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    return html, Page(html)


def test_empty_page_has_an_empty_search_box(client):
    html, page = get_page(client, "/")
    box = page.query_box()
    assert box["type"] == "search" and box["dir"] == "auto" and box["aria-label"] == "Query"
    assert box["value"] == ""  # not "None"
    assert "None" not in html
    assert page.find("button", type="submit")
    assert re.search(r"<button[^>]*>Search</button>", html)
    assert not page.find("li", class_="result")


def test_page_is_phone_friendly_and_self_contained(client):
    html, page = get_page(client, "/")
    assert page.find("meta", name="viewport")
    stylesheets = [a["href"] for a in page.find("link", rel="stylesheet")]
    assert stylesheets and all(href.startswith("/static/") for href in stylesheets)
    # One script, our own file, deferred: it only adds completions to the box
    # (tests/web/test_reader_browser.py runs the page with JavaScript off).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/suggest.js" defer>']
    assert client.get(stylesheets[0]).status_code == 200
    assert client.get("/static/suggest.js").status_code == 200


def test_results_rendered_server_side(client):
    html, page = get_page(client, "/", q="hubungan")
    assert page.query_box()["value"] == "hubungan"
    results = page.find("li", class_="result")
    assert len(results) >= 3
    assert all(r["dir"] == "auto" and r["lang"] in ("fa", "id", "en") for r in results)
    assert len(page.find("h3", dir="auto")) == len(results)
    assert len(page.find("p", class_="snippet", dir="auto")) == len(results)
    assert "<mark>" in html  # highlights are real markup, not escaped text
    assert "&lt;mark&gt;" not in html
    assert re.search(r"\d+ results", html)
    assert "Indonesian" in html  # the language of each result


def test_persian_and_indonesian_results_on_one_page(client):
    _, page = get_page(client, "/", q="Iran ایران")
    langs = {r["lang"] for r in page.find("li", class_="result")}
    assert {"fa", "id"} <= langs


def test_pagination_links(client):
    html, page = get_page(client, "/", q="Iran", per_page="1")
    assert "page 1 of" in html
    next_links = page.find("a", rel="next")
    assert len(next_links) == 1 and not page.find("a", rel="prev")
    assert "page=2" in next_links[0]["href"] and "per_page=1" in next_links[0]["href"]
    assert page.find("span", class_="current", **{"aria-current": "page"})

    _, page2 = get_page(client, next_links[0]["href"])
    assert page2.find("a", rel="prev") and page2.query_box()["value"] == "Iran"
    first = page.find("li", class_="result")
    assert len(first) == 1 and len(page2.find("li", class_="result")) == 1
    # Page numbers are links too.
    assert any(re.search(r"[?&]page=3\b", href) for href in page.links)


def test_language_filter_links_with_counts(client):
    html, page = get_page(client, "/", q="Iran ایران")
    lang_links = {a["data-lang"]: a["href"] for a in page.find("a") if "data-lang" in a}
    assert {"fa", "id"} <= set(lang_links)
    assert re.search(r"Indonesian \(\d+\)", html) and re.search(r"Persian \(\d+\)", html)

    html_id, page_id = get_page(client, lang_links["id"])
    assert {r["lang"] for r in page_id.find("li", class_="result")} == {"id"}
    assert page_id.find("span", class_="current", **{"data-lang": "id"})
    assert any(href.startswith("/?") and "lang=" not in href for href in page_id.links)  # back to all


def test_filter_link_resets_to_the_first_page(client):
    _, page = get_page(client, "/", q="Iran", per_page="1", page="2")
    hrefs = [a["href"] for a in page.find("a") if "data-lang" in a]
    assert hrefs and not any("page=2" in h.replace("per_page", "") for h in hrefs)


def test_no_results(client):
    html, page = get_page(client, "/", q="zzzqqqxyzzy")
    assert "No documents match" in html and not page.find("li", class_="result")


def test_did_you_mean_is_a_link(client):
    html, page = get_page(client, "/", q="hubungn", lang="id")
    (p,) = page.find("p", class_="suggestion")
    links = [href for href in page.links if "q=hubungan" in href]
    assert links and "lang=id" in links[0]  # the filter is kept
    _, corrected = get_page(client, links[0])
    assert corrected.find("li", class_="result")


def test_bad_input_is_a_readable_400_page_not_json(client):
    html, page = get_page(client, "/", status=400, q="a" * 1001)
    assert page.find("p", class_="error", role="alert")
    assert "1000" in html and '"ok"' not in html
    assert page.query_box()["value"] == "a" * 1001  # kept so the user can shorten it


@pytest.mark.parametrize("query", [{"q": ""}, {"q": "x", "per_page": "500"}, {"q": "x", "page": "two"}])
def test_other_bad_input_is_shown_on_the_page(client, query):
    _, page = get_page(client, "/", status=400, **query)
    assert page.find("p", class_="error", role="alert")


def test_query_is_escaped_everywhere(client):
    html, page = get_page(client, "/", q='"><script>alert(1)</script>')
    assert "<script>" not in html
    assert page.query_box()["value"] == '"><script>alert(1)</script>'


def test_hostile_document_is_escaped_on_the_page(hostile_client):
    r = hostile_client.get("/?q=hubungan")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    body = html.split("<body>", 1)[1]
    assert "<script" not in body and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>" in html


def test_security_headers_forbid_inline_and_foreign_scripts(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(
    "page, per_page, total, numbers",
    [
        (1, 10, 0, []),  # nothing found: no page links
        (1, 10, 7, [1]),  # one page
        (1, 1, 5, [1, 2, 3, 4, 5]),  # all fit in the window
        (1, 10, 100, [1, 2, 3, None, 10]),
        (5, 10, 100, [1, 2, 3, 4, 5, 6, 7, None, 10]),  # a one-page gap shows the page, not "…"
        (6, 10, 200, [1, None, 4, 5, 6, 7, 8, None, 20]),
        (10, 10, 100, [1, None, 8, 9, 10]),
    ],
)
def test_paginate(page, per_page, total, numbers):
    p = paginate(page, per_page, total)
    assert p.numbers == numbers
    assert p.prev == (page - 1 if page > 1 else None)
    assert p.next == (page + 1 if page < p.pages else None)


def test_respelled_words_are_named_on_the_page(client):
    html, page = get_page(client, "/", q="روابطایران")
    assert page.find("span", class_="respelled")
    assert 'Also searched for <b dir="auto">روابط ایران</b> (for <span dir="auto">روابطایران</span>)' in html
    assert page.find("li", class_="result")  # found through the reading
    _, plain = get_page(client, "/", q="روابط ایران")
    assert not plain.find("span", class_="respelled") and not plain.find("p", class_="suggestion")
