"""The write API on a real server over loopback: POST/DELETE /documents, /tasks, keys,
limits. The app runs in a thread with its writer thread, over a real index and a
real SQLite queue on disk."""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.request

import pytest

from search.formats import url_id
from search.indexer import Indexer
from search.keys import KeyStore
from web import create_app
from web.writes import start_writer

FA_URL = "https://khabar.example.ir/news/12345/دیدار-عراقچی-لاوروف"


class Client:
    def __init__(self, base: str, key: str | None = None):
        self.base, self.key = base, key

    def call(self, method: str, path: str, body: bytes | str | None = None, ctype: str = "application/json",
             key: str | None = "default", headers: dict | None = None):
        key = self.key if key == "default" else key
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read()), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), e.headers

    def post(self, body, ctype="application/json", path="/documents", **kw):
        return self.call("POST", path, body, ctype, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def wait_indexed(self, task: int, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, data, _ = self.get(f"/tasks/{task}")
            assert status == 200, data
            if data["status"] == "indexed":
                return data
            time.sleep(0.05)
        raise AssertionError(f"task {task} not indexed in {timeout}s")

    def search_ids(self, q: str) -> list[str]:
        deadline = time.monotonic() + 5  # the engine looks for a new commit every 0.2 s
        while True:
            status, data, _ = self.get("/search?per_page=50&q=" + urllib.request.quote(q))
            assert status == 200, data
            ids = [h["id"] for h in data["results"]]
            if ids or time.monotonic() > deadline:
                return ids
            time.sleep(0.05)


@pytest.fixture(scope="module")
def served(tmp_path_factory, serve_in_thread):
    index_dir = tmp_path_factory.mktemp("write-api") / "ix"
    Indexer(index_dir).add_documents([])
    keys = KeyStore(index_dir)
    admin = keys.create("admin", "test")[1]
    search_key = keys.create("search")[1]
    revoked_info, revoked = keys.create("admin", "old")
    keys.revoke(revoked_info.id)
    app = create_app({"INDEX_DIR": str(index_dir), "MAX_WRITE_BYTES": 256 * 1024})
    writer = start_writer(app)
    base = serve_in_thread(app)
    yield {"base": base, "admin": admin, "search": search_key, "revoked": revoked, "index": index_dir}
    writer.stop()


@pytest.fixture()
def admin(served) -> Client:
    return Client(served["base"], served["admin"])


def test_json_object_array_and_jsonl_with_per_item_errors(admin):
    status, data, headers = admin.post(json.dumps({"id": "obj1", "title": "Kereta", "text": "Kereta cepat melaju."}))
    assert status == 202 and data["accepted"] == 1 and headers["Location"] == f"/tasks/{data['task']}"
    batch = [{"id": "arr1", "text": "Gajah sumatra dilepasliarkan.", "lang": "id"},
             {"id": "arr2"},  # no text
             "not an object",
             {"id": "arr3", "text": "Gajah kembali ke hutan.", "date": "2025-11-30", "author": "Rina Kusuma"},
             {"id": "arr4", "text": "x", "lang": "zz"},
             {"id": "arr5", "text": "Gajah lagi.", "author": {"name": "Rina"}}]
    status, data, _ = admin.post(json.dumps(batch))
    assert status == 202, data
    assert (data["accepted"], data["rejected"]) == (2, 4)
    assert [e["index"] for e in data["errors"]] == [1, 2, 4, 5]
    assert data["errors"][0]["error"] == "missing 'text'"
    assert data["errors"][3]["error"] == "'author' must be a string, got dict"
    lines = "\n".join(json.dumps({"id": f"jl{i}", "text": f"Banjir rob kampung{i} pesisir."}) for i in range(3))
    status, data, _ = admin.post(lines + "\n{broken\n", ctype="application/x-ndjson")
    assert status == 202 and data["accepted"] == 3 and data["errors"][0]["index"] == 3
    done = admin.wait_indexed(data["task"])
    assert done["documents"] == 3 and done["failed"] == []
    assert sorted(admin.search_ids("gajah")) == ["arr1", "arr3"]
    assert admin.search_ids("kampung1") == ["jl1"]
    status, doc, _ = admin.get("/documents/arr3")
    assert doc["document"]["date"] == "2025-11-30" and doc["document"]["author"] == "Rina Kusuma"
    status, data, _ = admin.get("/search?q=gajah")
    assert {h["id"]: h["author"] for h in data["results"]} == {"arr1": None, "arr3": "Rina Kusuma"}


def test_an_html_page_a_feed_and_a_warc_over_http(admin, fixtures):
    page = (fixtures / "fa_page.html").read_bytes()
    status, data, _ = admin.post(page, ctype="text/html; charset=utf-8",
                                 path="/documents?url=https://khabar.example.ir/n/12345")
    assert status == 202, data
    admin.wait_indexed(data["task"])
    # ZWNJ words intact and searchable; the page's canonical link wins over ?url=
    assert admin.search_ids('"همکاری‌های دوجانبه"') == [url_id(FA_URL)]
    status, doc, _ = admin.get(f"/documents/{url_id(FA_URL)}")
    assert doc["document"]["date"] == "2025-11-24" and "می\u200cدهند" in doc["document"]["text"]
    assert doc["document"]["author"] == "مهدی حسین\u200cزاده"  # through the queue, ZWNJ kept
    status, data, _ = admin.post(page, ctype="text/html")
    assert status == 400 and "url" in data["error"]
    status, data, _ = admin.post((fixtures / "id_feed.atom").read_bytes(), ctype="application/atom+xml")
    assert status == 202 and data["accepted"] == 2
    status, data, _ = admin.post((fixtures / "small.warc.gz").read_bytes(), ctype="application/warc")
    assert status == 202 and data["accepted"] == 3, data
    admin.wait_indexed(data["task"])
    assert len(admin.search_ids("beras")) == 1
    assert admin.search_ids('"Bagheri Kani"') == []  # the inline "Baca juga:" line is gone


def test_delete_and_task_status(admin):
    status, data, _ = admin.post(json.dumps({"id": "gone1", "text": "Dokumen sementara zamrud."}))
    admin.wait_indexed(data["task"])
    assert admin.search_ids("zamrud") == ["gone1"]
    status, data, _ = admin.call("DELETE", "/documents/gone1")
    assert status == 202
    admin.wait_indexed(data["task"])
    deadline = time.monotonic() + 5
    while admin.get("/documents/gone1")[0] != 404:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status, health, _ = admin.get("/health")
    assert health["queue"]["pending"] == 0 and health["queue"]["indexed_task"] == data["task"]
    assert admin.get("/tasks/999999")[0] == 404
    assert admin.get(f"/tasks/{10**30}")[0] == 404


def test_one_article_posted_twice_is_one_document(admin, fixtures):
    page = (fixtures / "id_page.html").read_bytes()
    for url in ("https://news.contoh.id/x?utm=1", "https://news.contoh.id/y"):
        status, data, _ = admin.post(page, ctype="text/html", path=f"/documents?url={url}")
        assert status == 202
    admin.wait_indexed(data["task"])
    hits = admin.search_ids("Araghchi Lavrov menyatakan")
    assert hits.count(url_id("https://news.contoh.id/internasional/d-7654321/menlu-iran-araghchi-temui-lavrov-di-moskow")) == 1


def test_a_full_queue_answers_429_with_retry_after(tmp_path, serve_in_thread):
    index_dir = tmp_path / "ix"
    key = KeyStore(index_dir).create("admin")[1]
    app = create_app({"INDEX_DIR": str(index_dir), "WRITE_QUEUE_MAX": 5})  # no writer: nothing drains
    client = Client(serve_in_thread(app), key)
    docs = [{"id": f"q{i}", "text": "antrian penuh"} for i in range(5)]
    assert client.post(json.dumps(docs))[0] == 202
    status, data, headers = client.post(json.dumps(docs[:1]))
    assert (status, data["status"]) == (429, 429) and headers["Retry-After"] == "2"
    assert "waiting to be indexed" in data["error"]


def test_require_key_guards_search_but_not_health(served, tmp_path, serve_in_thread):
    app = create_app({"INDEX_DIR": str(served["index"]), "REQUIRE_KEY": True})
    base = serve_in_thread(app)
    anonymous = Client(base)
    status, data, headers = anonymous.get("/search?q=gajah")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert Client(base, served["search"]).get("/search?q=gajah")[0] == 200
    assert Client(base, served["admin"]).get("/search?q=gajah")[0] == 200
    assert Client(base, served["revoked"]).get("/search?q=gajah")[0] == 401
    assert anonymous.get("/health")[0] == 200 and anonymous.get("/openapi.json")[0] == 200
    assert anonymous.get("/documents/arr1")[0] == 401
    assert anonymous.get("/suggest?q=gaj")[0] == 401 and anonymous.get("/articles/arr1")[0] == 401
    assert anonymous.get("/tasks/1")[0] == 401 and anonymous.get("/nope")[0] == 404
    # a search key passes the guard, and still may not write
    assert Client(base, served["search"]).post('{"id": "s", "text": "t"}')[0] == 403


def test_gzip_page_bodies_are_not_guessed(admin):
    # A body that is not what its Content-Type says is a 400, never a 500.
    status, data, _ = admin.post(gzip.compress(b'{"id": "z", "text": "t"}'))
    assert status == 400 and "UTF-8" in data["error"]


def test_near_duplicates_posted_over_http_are_folded_like_indexed_ones(admin):
    text = ("Pemerintah provinsi meresmikan jembatan gantung baru yang menghubungkan dua desa terpencil "
            "di lereng gunung, sehingga warga tidak lagi harus menyeberangi sungai dengan rakit bambu. "
            "Jembatan sepanjang delapan puluh meter itu dibangun selama enam bulan oleh warga dan tentara.")
    status, data, _ = admin.post(json.dumps([{"id": "dup-a", "text": text, "lang": "id"},
                                             {"id": "dup-b", "text": text + " Foto: dokumentasi.", "lang": "id"}]))
    admin.wait_indexed(data["task"])
    status, found, _ = admin.get("/search?q=jembatan%20gantung")
    assert found["total"] == 2 and found["total_collapsed"] == 1
