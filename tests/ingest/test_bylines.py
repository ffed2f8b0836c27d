"""An article's author from every format to the reader: read from the fixture pages, feeds
and WARC, stored, re-indexed when it changes, returned by /search over a real server and
by `lintas search --json`, and shown on the search page and the article page in Chromium."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from search import bylines, storage
from search.documents import Document, iter_documents
from search.engine import Engine
from search.errors import IndexVersionMismatch
from search.formats import Skipped, url_id
from search.formats.feeds import parse_feed
from search.indexer import Indexer
from web.cli import cli

FA_URL = "https://khabar.example.ir/news/12345/دیدار-عراقچی-لاوروف"
ID_URL = "https://news.contoh.id/internasional/d-7654321/menlu-iran-araghchi-temui-lavrov-di-moskow"
KOMPAS_URL = "https://ekonomi.kompas.example/read/2025/11/21/harga-beras"
HOSSEINZADEH = "مهدی حسین\u200cزاده"  # with its ZWNJ, which trafilatura alone deletes
UNSIGNED = Document(id="unsigned", title="Kabar redaksi", text="Kabar tanpa nama penulis dari redaksi.", lang="id")


def authors_of(path) -> dict[str, str | None]:
    return {d.id: d.author for d in iter_documents(path) if not isinstance(d, Skipped)}


def test_every_format_reads_the_byline_without_its_labels(fixtures):
    # "خبرنگار: مهدی حسین‌زاده" in the page's byline: the label goes, the ZWNJ stays
    assert authors_of(fixtures / "fa_page.html") == {url_id(FA_URL): HOSSEINZADEH}
    # "Rina Kusuma - detikNews": trafilatura drops the site itself
    assert authors_of(fixtures / "id_page.html") == {url_id(ID_URL): "Rina Kusuma"}
    jalali, rfc = parse_feed((fixtures / "fa_feed.rss").read_bytes())[0]
    assert jalali.author == "زهرا نیک\u200cنام"  # dc:creator
    assert rfc.author == "سمیرا احمدی"  # <author>news@khabar.example.ir (سمیرا احمدی)</author>: no e-mail
    patrol, lavrov = parse_feed((fixtures / "id_feed.atom").read_bytes())[0]
    assert (patrol.author, lavrov.author) == ("Dewi Lestari", "Rina Kusuma")  # "Oleh Dewi Lestari"
    # The WARC's Kompas page: "Penulis: Andi Pratama | Editor: Agus Salim", through the HTML path
    warc = authors_of(fixtures / "small.warc.gz")
    assert warc[url_id(KOMPAS_URL)] == "Andi Pratama"
    assert warc[url_id(FA_URL)] == HOSSEINZADEH and warc[url_id(ID_URL)] == "Rina Kusuma"


@pytest.mark.parametrize("raw, names", [
    ("Penulis Rina Kusuma; Editor Budi Santoso", "Rina Kusuma"),  # trafilatura deletes the colons
    ("Reporter: Rina Kusuma | Editor: Budi", "Rina Kusuma"),
    ("Rina Kusuma Editor Budi Santoso", "Rina Kusuma"),  # both credits in one element
    ("به قلم " + HOSSEINZADEH, HOSSEINZADEH),
    ("نوشتهٔ سمیرا احمدی; دبیر سرویس: علی رضایی", "سمیرا احمدی"),
    ("Dewi Lestari; Andi Pratama; Dewi Lestari", "Dewi Lestari; Andi Pratama"),
    ("Oleh", "Oleh"),  # a first name, not a label with nothing after it
    ("Editor Budi Santoso", None),
    ("", None),
])
def test_byline_labels_and_editor_credits_are_dropped(raw, names):
    assert bylines.clean(raw.replace(" | ", "; ")) == names


def test_a_long_byline_keeps_whole_names_up_to_its_limit():
    names = bylines.join(f"Dewi Lestari {i:03d}" for i in range(40))
    # 16 names of 16 characters and their separators: 286 of 300; a 17th would pass it
    assert names == "; ".join(f"Dewi Lestari {i:03d}" for i in range(16))


def test_an_atom_feeds_author_is_its_entries_and_an_rss_managing_editor_is_not():
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id>'
            b'<author><name>Redaksi Contoh</name></author>'
            b'<entry><title>a</title><link href="https://a.example/1"/><id>1</id><summary>isi satu</summary></entry>'
            b'<entry><title>b</title><link href="https://a.example/2"/><id>2</id>'
            b'<author><name>Dewi</name><email>d@a.example</email></author><author><name>Agus</name></author>'
            b'<summary>isi dua</summary></entry></feed>')
    inherited, own = parse_feed(atom)[0]
    assert (inherited.author, own.author) == ("Redaksi Contoh", "Dewi; Agus")
    rss = (b'<rss version="2.0"><channel><title>t</title><managingEditor>ed@a.example (Boss)</managingEditor>'
           b'<item><title>a</title><link>https://a.example/3</link><description>isi</description></item>'
           b'<item><title>b</title><link>https://a.example/4</link><author>news@a.example</author>'
           b'<description>isi</description></item></channel></rss>')
    assert [i.author for i in parse_feed(rss)[0]] == [None, None]


def test_jsonl_author_must_be_a_string_and_a_changed_byline_updates(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [{"id": "a", "text": "Gempa di Cianjur.", "author": "Rina Kusuma"},
             {"id": "b", "text": "Gempa susulan.", "author": 7},
             {"id": "c", "text": "Gempa lagi.", "author": ["Rina"]},
             {"id": "d", "text": "Banjir di Demak.", "author": "  "}]
    src.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    index_dir = tmp_path / "ix"
    report = Indexer(index_dir).index_paths([src])
    assert report.added == 2
    assert report.errors == [f"{src}:2: 'author' must be a string, got int",
                             f"{src}:3: 'author' must be a string, got list"]
    engine = Engine(index_dir)
    assert (engine.document("a").author, engine.document("d").author) == ("Rina Kusuma", None)
    lines[0]["author"] = "Rina Kusuma; Andi Pratama"
    src.write_text(json.dumps(lines[0]) + "\n" + json.dumps(lines[3]) + "\n")
    report = Indexer(index_dir).index_paths([src])
    assert (report.updated, report.unchanged) == (1, 1)  # the byline is in the content hash
    assert Engine(index_dir).document("a").author == "Rina Kusuma; Andi Pratama"


def test_an_index_of_schema_5_is_asked_to_rebuild_for_the_author(tmp_path):
    Indexer(tmp_path).add_documents([UNSIGNED])
    (tmp_path / storage.MARKER).write_text(json.dumps({"schema": 5}))
    with pytest.raises(IndexVersionMismatch, match=r"uses \d+ \(it stores each article's author; "):
        Engine(tmp_path)


@pytest.fixture(scope="module")
def byline_index(fixtures, make_index):
    return make_index("bylines", paths=[fixtures], documents=[UNSIGNED])


@pytest.fixture(scope="module")
def byline_url(byline_index, make_app, serve_in_thread):
    return serve_in_thread(make_app(byline_index))


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def test_search_over_a_real_server_returns_the_author(byline_url):
    hits = get_json(f"{byline_url}/search?per_page=50&q={quote('Lavrov OR لاوروف OR beras OR redaksi')}")["results"]
    authors = {h["id"]: h["author"] for h in hits}
    assert authors == {url_id(FA_URL): HOSSEINZADEH, url_id(ID_URL): "Rina Kusuma",
                       url_id(KOMPAS_URL): "Andi Pratama", "unsigned": None}
    assert all("author" in h for h in hits)  # null, never missing
    doc = get_json(f"{byline_url}/documents/{url_id(FA_URL)}")["document"]
    assert doc["author"] == HOSSEINZADEH


def test_lintas_search_json_and_text_show_the_author(byline_index):
    out = CliRunner().invoke(cli, ["search", "--index", str(byline_index), "--json", "beras"])
    assert out.exit_code == 0, out.output
    [hit] = json.loads(out.output)["results"]
    assert hit["author"] == "Andi Pratama"
    out = CliRunner().invoke(cli, ["search", "--index", str(byline_index), "beras"])
    assert "by Andi Pratama · Kompas.com" in out.output


@pytest.mark.browser
def test_the_byline_is_shown_beside_date_and_source_right_to_left_in_persian(page, byline_url):
    page.goto(f"{byline_url}/?q={quote('لاوروف')}")
    result = page.locator(f'.result[lang="fa"]:has(a[href^="/articles/{url_id(FA_URL)}"])')
    assert result.locator(".meta .author").inner_text() == HOSSEINZADEH
    assert result.locator(".meta").inner_text().index(HOSSEINZADEH) < result.locator(".meta").inner_text().index("خبرگزاری نمونه")
    result.locator("h3 a").click()
    byline = page.locator("article.article .meta .byline")
    assert byline.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert byline.locator(".by").inner_text() == "نوشتهٔ"
    assert byline.locator(".author").inner_text() == HOSSEINZADEH
    label, name = (byline.locator(sel).bounding_box() for sel in (".by", ".author"))
    assert label["x"] > name["x"] + name["width"] - 1  # read from the right: label, then the name
    page.goto(f"{byline_url}/articles/{url_id(KOMPAS_URL)}")
    byline = page.locator("article.article .meta .byline")
    assert byline.locator(".by").inner_text() == "by"
    label, name = (byline.locator(sel).bounding_box() for sel in (".by", ".author"))
    assert label["x"] + label["width"] < name["x"] + 1 and byline.locator(".author").inner_text() == "Andi Pratama"
    assert page.locator("article.article .meta .byline").count() == 1
    page.goto(f"{byline_url}/articles/unsigned")
    assert page.locator("article.article .meta .byline").count() == 0
