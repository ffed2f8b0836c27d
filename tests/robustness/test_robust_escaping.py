"""Markup in documents and in queries comes out as text: in the JSON snippet only the
exact tags <mark> and </mark> are markup; in the page nothing from a document or a
query becomes an element, an attribute or a javascript: link."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from rb_helpers import HOSTILE_DOCS, XSS_PAYLOADS, XSS_QUERIES

MARK = re.compile(r"</?mark>")

# Queries that find the hostile documents, and the hostile queries themselves.
QUERIES = ("racun", "script", "alert", "onerror", "mark", "javascript", "judul", "ایران", "گزارش",
           *XSS_QUERIES, *XSS_PAYLOADS)


def assert_only_marks(snippet: str) -> None:
    """After removing the exact <mark>/</mark> tags no '<' remains, and marks pair up."""
    assert "<" not in MARK.sub("", snippet), snippet
    tags = MARK.findall(snippet)
    assert tags == ["<mark>", "</mark>"] * (len(tags) // 2), snippet


@pytest.mark.parametrize("q", QUERIES)
def test_json_snippets_escape_everything_but_mark(rb_client, q):
    resp = rb_client.get("/search", query_string={"q": q, "per_page": 100})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    for hit in data["results"]:
        assert_only_marks(hit["snippet"])


def test_hostile_documents_are_found(rb_client):
    """Else the escaping tests above would pass on empty results."""
    data = rb_client.get("/search", query_string={"q": "racun", "per_page": 100}).get_json()
    ids = {hit["id"] for hit in data["results"]}
    assert {"xss_body", "xss_title", "bidi_ctrl"} <= ids
    body = next(h for h in data["results"] if h["id"] == "xss_body")
    assert "&lt;script&gt;" in body["snippet"] and "<mark>racun</mark>" in body["snippet"].lower()
    # A literal </mark> in the text is text, not the end of a highlight.
    title = next(h for h in data["results"] if h["id"] == "xss_title")
    assert "&lt;/mark&gt;" in title["snippet"]
    # JSON titles are plain text (the client escapes them), exactly as indexed.
    assert title["title"] == HOSTILE_DOCS[1].title


class _PageScan(HTMLParser):
    """Elements, attributes and links of a page, as a browser's parser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.sources: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "script":
            self.sources.append((tag, dict(attrs).get("src")))

    def handle_data(self, data):
        self.text.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "body", "header", "a", "form", "input",
                "button", "main", "nav", "span", "p", "ol", "li", "h3", "bdi", "time", "mark", "q",
                "label", "div", "footer", "small", "section", "ul", "strong", "em", "details", "summary",
                "select", "option", "h1", "h2", "abbr", "figure", "figcaption"}
# The page's own: the completion script in <head>, and the timeline's SVG, drawn from
# dates and counts only (never a document's text).
OWN_SCRIPTS = ["/static/suggest.js"]
TIMELINE_TAGS = {"svg", "line", "rect", "title"}


@pytest.mark.parametrize("q", QUERIES)
def test_page_renders_hostile_text_as_text(rb_client, q):
    resp = rb_client.get("/", query_string={"q": q}, headers={"Accept": "text/html"})
    assert resp.status_code in (200, 400), resp.status_code
    html = resp.get_data(as_text=True)
    scan = _PageScan()
    scan.feed(html)
    assert [src for tag, src in scan.sources if tag == "script"] == OWN_SCRIPTS * scan.tags.count("script")
    assert scan.tags.count("script") == 1 and "img" not in scan.tags, scan.tags
    assert scan.tags.count("svg") == html.count('<figure class="timeline">'), scan.tags
    assert set(scan.tags) <= ALLOWED_TAGS | TIMELINE_TAGS | {"script"}, set(scan.tags) - ALLOWED_TAGS
    assert all(re.fullmatch(r"(\d{4}(-\d\d)?(-\d\d)?|week of [\d-]+): \d+ articles?", t)
               for t in re.findall(r"<title>([^<]*)</title>", html.split("<body>", 1)[-1])), html
    for name, value in scan.attrs:
        assert not name.startswith("on"), (name, value)
        if name in ("href", "src", "action", "formaction"):
            assert not (value or "").strip().lower().startswith("javascript:"), (name, value)
    # The payload is on the page, as the text a reader sees.
    if q == "racun":
        text = "".join(scan.text)
        assert "<script>window.__pwned = 1; alert(1)</script>" in text
        assert "</mark>" in text


def test_page_never_links_a_javascript_url(rb_client):
    """xss_body's url is javascript:...: its title must not become that link."""
    html = rb_client.get("/", query_string={"q": "racun"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    scan = _PageScan()
    scan.feed(html)
    hrefs = [v for k, v in scan.attrs if k == "href"]
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")], hrefs
    # The safe URL is still linked, with its & and < escaped in the attribute.
    assert "https://example.invalid/berita?a=1&b=<script>" in hrefs


def test_page_sends_a_csp_that_forbids_inline_and_foreign_scripts(rb_client):
    resp = rb_client.get("/", query_string={"q": "racun"})
    csp = resp.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
