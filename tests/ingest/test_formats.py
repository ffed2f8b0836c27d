"""Saved pages, feeds and a WARC from tests/fixtures/ingest, indexed for real and searched."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from search.documents import iter_documents
from search.engine import Engine
from search.formats import Skipped, normalize_url, url_id
from search.formats.feeds import item_date, parse_feed
from search.formats.html import extract
from search.indexer import Indexer
from search.request import SearchRequest

LINTAS = str(Path(sys.executable).with_name("lintas"))
FA_URL = "https://khabar.example.ir/news/12345/دیدار-عراقچی-لاوروف"
ID_URL = "https://news.contoh.id/internasional/d-7654321/menlu-iran-araghchi-temui-lavrov-di-moskow"


def search(index_dir, q, **kw):
    return Engine(index_dir).search(SearchRequest(q=q, **kw))


def docs_of(path):
    return [d for d in iter_documents(path) if not isinstance(d, Skipped)]


def test_persian_page_keeps_zwnj_and_reads_the_jalali_dateline(fixtures):
    [doc] = docs_of(fixtures / "fa_page.html")
    assert doc.title == "دیدار عراقچی و لاوروف در مسکو"
    assert doc.date == date(2025, 11, 24)  # ۳ آذر ۱۴۰۴, printed under the headline only
    assert doc.id == url_id(FA_URL) and doc.url == normalize_url(FA_URL)
    assert doc.lang == "fa" and doc.source == "خبرگزاری نمونه"
    for word in ("همکاری\u200cهای", "می\u200cدهند", "رئیس\u200cجمهور", "گفت\u200cوگو"):
        assert word in doc.text
    assert "همکاریهای" not in doc.text and "میدهند" not in doc.text
    assert doc.text.startswith("وزیر امور خارجه")  # the headline is not repeated as text
    for chrome in ("مطالب مرتبط", "پربازدیدترین", "ارسال نظر", "حقوق این سایت"):
        assert chrome not in doc.text


def test_indonesian_page_loses_inline_baca_juga_and_editor_tag(fixtures):
    [doc] = docs_of(fixtures / "id_page.html")
    assert doc.title == "Menlu Iran Araghchi Temui Lavrov di Moskow"
    assert doc.date == date(2025, 11, 24)
    assert doc.id == url_id(ID_URL)  # from og:url
    assert "Baca juga" not in doc.text and "Bagheri Kani" not in doc.text
    assert "(rkk/rkk)" not in doc.text and doc.text.endswith("jangka panjang.")
    assert "Lavrov menyatakan Rusia mendukung" in doc.text
    assert "Berita Terpopuler" not in doc.text


def test_page_without_url_gets_its_path_hashed_and_a_url_parameter_wins_then(fixtures, tmp_path):
    markup = (fixtures / "id_page.html").read_text().replace("og:url", "og:nothing")
    page = tmp_path / "saved.html"
    page.write_text(markup)
    [doc] = docs_of(page)
    assert doc.id.startswith("p") and doc.url is None
    assert docs_of(page)[0].id == doc.id  # stable
    given = extract(markup, url="https://news.contoh.id/a?x=1#top")
    assert given.id == url_id("HTTPS://News.Contoh.id:443/a?x=1") and given.url == "https://news.contoh.id/a?x=1"
    assert extract(markup) == "no URL: give the page's address (a canonical link in it, or the url parameter)"


@pytest.mark.parametrize("markup, message", [
    ("", "not an HTML page"),
    ("<html><head><title>t</title></head><body><script>var a = 1;</script></body></html>", "no article text"),
    ("\x00\x01\x02", "not an HTML page"),
])
def test_pages_without_text_are_errors(markup, message):
    result = extract(markup, url="https://a.example/x")
    assert isinstance(result, str) and result.startswith(message)


def test_feeds_guard_against_misread_calendars(fixtures):
    items, problem = parse_feed((fixtures / "fa_feed.rss").read_bytes())
    assert problem is None
    jalali, rfc = items
    # feedparser says 1404-12-01 for "۱۴۰۴/۰۹/۰۳ - ۱۰:۰۰"; it is 3 Azar 1404
    assert jalali.date == date(2025, 11, 24)
    assert jalali.title == "نشست کمیسیون مشترک اقتصادی ایران و ترکیه"
    assert "بیست\u200cوهشتمین" in jalali.text and "alert" not in jalali.text
    assert jalali.lang == "fa" and jalali.source == "خبرگزاری نمونه - سیاست"
    # 01:30 +0330 on the 24th: feedparser's UTC reading is the 23rd; the date as written wins
    assert rfc.date == date(2025, 11, 24)
    atom, _ = parse_feed((fixtures / "id_feed.atom").read_bytes())
    patrol, lavrov = atom
    assert patrol.date == date(2025, 11, 25) and "Baca juga" not in patrol.text
    assert lavrov.date == date(2025, 11, 24)  # "Senin, 24 Nov 2025 10:15 WIB": feedparser gives None
    assert lavrov.id == url_id(ID_URL)  # the same article as id_page.html


def test_item_date_never_takes_feedparsers_year_1404():
    import time
    misread = time.struct_time((1404, 12, 1, 0, 0, 0, 5, 336, 0))
    assert item_date("1404/13/40", misread) is None
    assert item_date(None, misread) is None
    assert item_date("Tue, 02 Dec 2025 09:00:00 GMT", None) == date(2025, 12, 2)


def test_feed_errors_name_the_item(tmp_path):
    feed = tmp_path / "bad.rss"
    feed.write_text('<rss version="2.0"><channel><title>t</title>'
                    '<item><title>no link</title><description>x</description></item>'
                    '<item><title>ok</title><link>https://a.example/1</link><description>isi</description></item>'
                    '</channel></rss>')
    items = list(iter_documents(feed))
    assert [type(i).__name__ for i in items] == ["LoadError", "Document"]
    assert str(items[0]).startswith(f"{feed}:1: item 1: no link")
    notfeed = tmp_path / "sitemap.xml"
    notfeed.write_text("<urlset><url><loc>https://a.example/</loc></url></urlset>")
    [error] = iter_documents(notfeed)
    assert "not an RSS or Atom feed" in str(error)


def test_warc_html_responses_are_documents_and_the_rest_is_counted(fixtures, tmp_path):
    report = Indexer(tmp_path / "ix").index_paths([fixtures / "small.warc.gz"])
    assert (report.added, report.errors) == (3, [])
    assert report.skipped == {"warcinfo record": 1, "request record": 1, "metadata record": 1,
                              "image/png response": 1, "HTTP 404 response": 1}
    [hit] = search(tmp_path / "ix", "beras").hits
    assert hit.title == "Harga Beras Naik di Pasar Induk"
    assert hit.date == "2025-11-21"  # "Kompas.com - 21/11/2025, 08:05 WIB"
    assert hit.url == "https://ekonomi.kompas.example/read/2025/11/21/harga-beras"  # its target URI
    # fetched under ?utm_source=feed; the og:url names the article
    assert search(tmp_path / "ix", "Lavrov").hits[0].id == url_id(ID_URL)
    assert "Simak juga" not in Engine(tmp_path / "ix").document(hit.id).text


@pytest.mark.parametrize("name", ["cut.warc.gz", "cut.warc"])
def test_a_truncated_warc_keeps_the_records_before_the_damage(fixtures, tmp_path, name):
    import gzip
    whole = (fixtures / "small.warc.gz").read_bytes()
    if not name.endswith(".gz"):
        whole = gzip.decompress(whole)
    cut = tmp_path / name
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    items = list(iter_documents(cut))
    assert any(not isinstance(i, Skipped) and hasattr(i, "title") for i in items)
    assert "truncated" in str(items[-1]) or "not a readable WARC" in str(items[-1])


def test_the_fixture_folder_indexes_as_one_document_per_article(fixtures, tmp_path):
    """Every format through `lintas index`; each article once, ZWNJ words searchable."""
    index_dir = tmp_path / "ix"
    proc = subprocess.run([LINTAS, "index", str(fixtures), "--index", str(index_dir)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # fa page + 2 fa feed items + id Atom item + the Lavrov article (feed, page and WARC) + WARC-only page
    assert "6 added" in proc.stdout and "3 same URL as an article already read" in proc.stdout
    engine = Engine(index_dir)
    assert engine.count() == 6
    ids = [h.id for h in search(index_dir, "Lavrov OR لاوروف", per_page=50).hits]
    assert len(ids) == len(set(ids)) == 2
    # ZWNJ words intact in the index: the joined spelling is a different word
    hits = search(index_dir, '"همکاری‌های دوجانبه"').hits
    assert [h.id for h in hits] == [url_id(FA_URL)]
    assert "همکاری\u200cهای" in hits[0].snippet
    assert engine.document(url_id(FA_URL)).date == date(2025, 11, 24)
    assert search(index_dir, '"Bagheri Kani"').total == 0
