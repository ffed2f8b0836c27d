"""The write API over a sharded index: POST/DELETE /documents routed to the owner shard's
queue and writer (search/shard_writes.py), on a real server over loopback; and a real
`lintas serve --workers 2` killed with SIGKILL while it is written to."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest
from served import Poster, Server, create_key, kill_mid_stream
from test_write_api import Client
from whoosh import index as whoosh_index

from search import shard_stats, shards
from search.keys import KeyStore
from web import create_app
from web.writes import start_writer

WORDS = ("pelabuhan", "nelayan", "gempa")


def shard_ids(root, n: int) -> dict[int, list[str]]:
    out = {}
    for i in range(n):
        ix = whoosh_index.open_dir(str(shards.shard_dir(root, i)))
        with ix.reader() as reader:
            ids = reader.column_reader("id") if reader.doc_count_all() else []
            out[i] = [ids[d] for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
    return out


def wait_published(root, documents: int) -> None:
    """Each shard's statistics are published within a moment of its writer's commit (for
    /health and `lintas stats`)."""
    deadline = time.monotonic() + 10
    while sum((shard_stats.read(shards.shard_dir(root, i)) or {}).get("documents", 0) for i in range(3)) != documents:
        assert time.monotonic() < deadline, "shard statistics not published"
        time.sleep(0.05)


def docs(prefix: str, count: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "title": f"Kabar {prefix} {i}", "lang": "id",
             "text": f"Berita nomor {prefix}x{i} tentang {WORDS[i % 3]} di pesisir utara Jawa."}
            for i in range(count)]


@pytest.fixture()
def sharded_server(tmp_path, serve_in_thread):
    root = tmp_path / "ix"
    shards.create(root, 3)
    admin = KeyStore(root).create("admin", "test")[1]
    app = create_app({"INDEX_DIR": str(root)})
    writer = start_writer(app)
    yield root, Client(serve_in_thread(app), admin)
    writer.stop()


def test_documents_posted_and_deleted_reach_their_own_shard(sharded_server):
    root, admin = sharded_server
    posted = docs("kabar", 12)
    status, body, _ = admin.post(json.dumps([*posted, {"id": "", "text": "x"}]))
    assert status == 202 and (body["accepted"], body["rejected"]) == (12, 1), body
    done = admin.wait_indexed(body["task"])
    assert done["documents"] == 12 and done["failed"] == []
    placed = shard_ids(root, 3)
    assert sum(len(ids) for ids in placed.values()) == 12
    assert all(shards.shard_of(d, 3) == i for i, ids in placed.items() for d in ids)
    assert len([i for i, ids in placed.items() if ids]) >= 2  # the batch was split
    assert sorted(admin.search_ids("pelabuhan")) == sorted(d["id"] for d in posted[::3])
    wait_published(root, 12)
    # An update and a delete go to the same shard as the put did.
    gone, edited = posted[0]["id"], {**posted[3], "text": "Kabar baru tentang gempa."}
    status, body, _ = admin.call("DELETE", f"/documents/{gone}")
    assert status == 202
    admin.wait_indexed(body["task"])
    status, body, _ = admin.post(json.dumps(edited))
    admin.wait_indexed(body["task"])
    deadline = time.monotonic() + 5
    while gone in admin.search_ids("pelabuhan") or edited["id"] in admin.search_ids("pelabuhan"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert edited["id"] in admin.search_ids("gempa")
    placed = shard_ids(root, 3)
    assert sum(len(ids) for ids in placed.values()) == 11 and gone not in sum(placed.values(), [])
    wait_published(root, 11)
    status, health, _ = admin.get("/health")
    assert health["queue"]["pending"] == 0 and health["queue"]["indexed_task"] == health["queue"]["last_task"] == 3
    assert sum(s["documents"] for s in health["shards"]) == 11
    assert admin.get("/tasks/99")[0] == 404


@pytest.mark.slow
def test_acknowledged_writes_to_shards_survive_sigkill_and_none_is_indexed_twice(tmp_path):
    from served import LINTAS, REPO

    index = tmp_path / "ix"
    subprocess.run([LINTAS, "index", str(REPO / "seeds"), "--index", str(index), "--shards", "3",
                    "--workers", "1"], check=True, capture_output=True, cwd=REPO)
    key = create_key(index, "admin")
    acked: list[str] = []
    unexpected: list[str] = []
    for name, batch, delay in (("few", 5, None), ("mid", 20, 0.8)):
        server = Server(index, workers=2)
        stop = threading.Event()
        posters = [Poster(server.port, key, f"{name}{t}", batch, stop, make=docs) for t in range(2)]
        # Kill right after the first acknowledgements, or a while into the stream (posts
        # in flight, the shards' writers committing).
        got, bad = kill_mid_stream(server, posters, stop, delay)
        acked += got
        unexpected += bad
    assert not unexpected, unexpected[:5]
    assert len(acked) >= 20, f"only {len(acked)} acknowledged: the test did not exercise much"
    server = Server(index, workers=2)
    try:
        server.wait_drained(timeout=120)
        health = server.health()
    finally:
        log = server.stop()
    assert "Traceback" not in log, log[-3000:]
    placed = shard_ids(index, 3)
    ids = sum(placed.values(), [])
    assert len(ids) == len(set(ids)), "a document is in the index twice"
    missing = set(acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged documents lost, e.g. {sorted(missing)[:5]}"
    assert all(shards.shard_of(d, 3) == i for i, mine in placed.items() for d in mine)
    # (Batches killed before their 202 may be indexed too: never acknowledged, never lost.)
    assert health["documents"] == len(ids) >= len(set(acked)) + 5
