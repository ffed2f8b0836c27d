"""The reader's additions as plain HTTP (no browser): the article page, /suggest, the
filters and their links, the timeline's counts, both calendars, folding."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from reader_corpus import COPY_ID, PERSIAN_ID

FA_003 = "003_b8878e3335182e53"
ORIGINAL = "002_2e6686a3ccd039ae"


def html(client, url, status=200):
    r = client.get(url, headers={"Accept": "text/html"})
    assert r.status_code == status, r.get_data(as_text=True)[:400]
    return r.get_data(as_text=True)


def ids(client, url) -> list[str]:
    return re.findall(r'href="/articles/([^"?]+)\?q=', html(client, url).split('id="results"')[1].split("</ol>")[0]) \
        if 'id="results"' in html(client, url) else []


def api(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_article_page_marks_query_words_right_to_left(reader_client):
    page = html(reader_client, f"/articles/{FA_003}?q=ایران")
    assert re.search(r'<article class="article" lang="fa" dir="rtl">', page)
    assert page.count("<mark>ایران</mark>") >= 5
    # Each calendar isolated, so the Gregorian date keeps its order in a right-to-left line.
    assert '<bdi dir="rtl">۲۹ بهمن ۱۴۰۲</bdi> · <bdi dir="ltr">2024-02-18</bdi>' in page
    assert 'href="https://example.org/aran/1402-11-29"' in page
    assert "آران نیوز" in page and "Persian" in page
    assert page.count("<p>") >= 6  # paragraphs, not one wall of text
    # More like this: the other Persian report, not the article itself
    more = page.split('id="more-title"')[1]
    assert f"/articles/{PERSIAN_ID}" in more and f"/articles/{FA_003}?" not in more


def test_article_page_indonesian_ltr_and_unknown_id(reader_client):
    page = html(reader_client, f"/articles/{ORIGINAL}?q=Rusia")
    assert '<article class="article" lang="id" dir="ltr">' in page
    assert "<mark>Rusia</mark>" in page
    assert "2024-02-16" in page and "بهمن" not in page.split("<article")[1].split("</p>")[0]
    assert f"/articles/{COPY_ID}" not in page.split('id="more-title"')[1]  # its own copy is no "more"
    assert "no document with id" in html(reader_client, "/articles/nope", 404)


def test_result_titles_link_to_the_article_with_the_query(reader_client):
    page = html(reader_client, "/?q=hubungan")
    assert re.search(r'<h3 dir="auto"><a href="/articles/000_7ecd846baa03e493\?q=hubungan">', page)


def test_suggest_completes_surface_words_in_both_scripts(reader_client):
    body = api(reader_client, "/suggest?q=hubung")
    assert body["ok"] and body["suggestions"][0] == {"text": "hubungan", "word": "hubungan", "documents": 3}
    fa = api(reader_client, "/suggest?q=آذرب")["suggestions"]
    assert fa[0]["word"] == "آذربایجان" and fa[0]["documents"] == 2
    assert api(reader_client, "/suggest?q=")["suggestions"] == []
    r = reader_client.get("/suggest?q=x&limit=0")
    assert r.status_code == 400 and "limit" in r.get_json()["error"]


def test_sort_links_change_the_order(reader_client):
    relevance = ids(reader_client, "/?q=Iran")
    newest = ids(reader_client, "/?q=Iran&sort=newest")
    oldest = ids(reader_client, "/?q=Iran&sort=oldest")
    assert newest[0] == "004_0b9ad2877bc8c180" and oldest[0] == "001_7096a94d9b5d90fd"
    assert sorted(newest) == sorted(oldest) == sorted(relevance) and newest != oldest
    page = html(reader_client, "/?q=Iran")
    assert 'href="/?q=Iran&amp;sort=newest"' in page and 'href="/?q=Iran&amp;sort=oldest"' in page


def test_date_filter_changes_the_count_and_can_be_removed(reader_client):
    # As typed (xscript=0): the Latin-script articles only, not the Persian ones on Iran.
    all_ = api(reader_client, "/search?q=Iran&xscript=0")["total"]
    some = api(reader_client, "/search?q=Iran&from=2024-02-01&xscript=0")["total"]
    assert all_ == 5 and some == 3
    page = html(reader_client, "/?q=Iran&from=2024-02-01&xscript=0")
    assert re.search(r'Remove filter: From 2024-02-01', page)
    assert 'href="/?q=Iran&amp;xscript=0" class="remove"' in page


def test_jalali_from_selects_what_its_gregorian_date_does(reader_client):
    gregorian = api(reader_client, "/search?q=Iran OR ایران&from=2024-02-16&collapse=0")
    jalali = api(reader_client, "/search?q=Iran OR ایران&from=1402-11-27&calendar=jalali&collapse=0")
    digits = api(reader_client, "/search?q=Iran OR ایران&from=۱۴۰۲/۱۱/۲۷&collapse=0")
    got = [sorted(h["id"] for h in r["results"]) for r in (gregorian, jalali, digits)]
    assert got[0] == got[1] == got[2] and 0 < gregorian["total"] < api(reader_client, "/search?q=Iran OR ایران")["total"]
    r = reader_client.get("/search?q=Iran&from=1402-12-30&calendar=jalali")
    assert r.status_code == 400 and "from" in r.get_json()["error"]
    assert reader_client.get("/search?q=Iran&calendar=hijri").status_code == 400


def test_source_facets_with_counts_and_filter(reader_client):
    body = api(reader_client, "/search?q=Iran&xscript=0")  # as typed: the Latin-script articles
    assert body["facets"]["source"] == {"Pars Today": 2, "Purna Warta": 2, "Kantor Berita Nusantara": 1}
    picked = api(reader_client, "/search?q=Iran&source=Pars Today&xscript=0")
    assert picked["total"] == 2 and picked["facets"]["source"]["Purna Warta"] == 2  # others stay countable
    page = html(reader_client, "/?q=Iran&source=Pars+Today")
    assert "Remove filter: Source: Pars Today" in page


def test_histogram_in_json_and_bars_link_to_their_period(reader_client):
    body = api(reader_client, "/search?q=Iran&histogram=auto&collapse=0")
    h = body["histogram"]
    assert h["interval"] == "month" and sum(b["count"] for b in h["buckets"]) == body["total"] - h["undated"]
    assert api(reader_client, "/search?q=Iran")["histogram"] is None  # only when asked
    page = html(reader_client, "/?q=Iran&collapse=0")
    bars = re.findall(r'<a class="bar" href="([^"]+)" aria-label="([^"]+)"', page)
    assert len(bars) == sum(1 for b in h["buckets"] if b["count"])
    href, label = bars[0]
    query = parse_qs(urlsplit(unescape(href)).query)
    assert query["from"] == ["2023-11-01"] and query["to"] == ["2023-11-30"] and label == "2023-11: 1 article"
    assert api(reader_client, "/search?q=Iran&from=2023-11-01&to=2023-11-30")["total"] == 1
    assert reader_client.get("/search?q=Iran&histogram=hourly").status_code == 400


def test_near_duplicates_fold_into_one_result(reader_client):
    body = api(reader_client, "/search?q=Rusia")
    assert (body["total"], body["total_collapsed"], len(body["results"])) == (3, 2, 2)
    folded = [h for h in body["results"] if h["similar_count"]]
    assert len(folded) == 1 and {folded[0]["id"], folded[0]["similar"][0]["id"]} == {ORIGINAL, COPY_ID}
    page = html(reader_client, "/?q=Rusia")
    assert page.count('class="result"') == 2 and "1 similar article<" in page
    off = api(reader_client, "/search?q=Rusia&collapse=0")
    assert (off["total"], off["total_collapsed"], len(off["results"])) == (3, 3, 3)
    assert reader_client.get("/search?q=Rusia&collapse=maybe").status_code == 400


@pytest.mark.parametrize("url", ["/?q=Iran&sort=oldest&from=2024-01-01&to=2024-12-31&source=Pars+Today&collapse=0",
                                 "/?q=kerja*&sort=newest&from=2024-01-01", "/?q=ایران&calendar=jalali&from=1402-11-01"])
def test_combined_controls_render(reader_client, url):
    assert "result" in html(reader_client, url)


def test_hostile_article_is_text(hostile_client):
    r = hostile_client.get("/articles/hostile_script?q=hubungan", headers={"Accept": "text/html"})
    body = r.get_data(as_text=True).split("<body>", 1)[1]
    assert r.status_code == 200
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;" in body
    assert "<mark>hubungan</mark>" in body


@pytest.mark.parametrize("url, status", [
    ("/suggest?q=" + "a" * 1001, 400), ("/suggest?q=x&limit=abc", 400), ("/suggest?q=x&limit=99", 400),
    ("/suggest?q=%00%01", 200), ("/articles/" + "x" * 300 + "?q=" + "y" * 2000, 404),
    ("/?q=Iran&sort=sideways", 400), ("/?q=Iran&from=2024-03-01&to=2024-02-01", 400),
])
def test_bad_reader_input_is_a_clear_4xx(reader_client, url, status):
    r = reader_client.get(url)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
