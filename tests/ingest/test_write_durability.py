"""Real `lintas serve --workers 2` processes: acknowledged writes survive SIGKILL at
several moments, none is indexed twice; 1,000 bad write attempts are all refused
with a 4xx."""

from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import threading
import time

import pytest
from served import LINTAS, REPO, Poster, Server, create_key, kill_mid_stream
from whoosh import index as whoosh_index

pytestmark = pytest.mark.slow


def live_ids(index) -> list[str]:
    ix = whoosh_index.open_dir(str(index))
    with ix.reader() as reader:
        ids = reader.column_reader("id")
        return [ids[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)]


def test_acknowledged_documents_survive_sigkill_and_none_is_indexed_twice(tmp_path):
    index = tmp_path / "ix"
    subprocess.run([LINTAS, "index", str(REPO / "seeds"), "--index", str(index)], check=True,
                   capture_output=True, cwd=REPO)
    key = create_key(index, "admin")
    acked: list[str] = []
    unexpected: list[str] = []
    rng = random.Random(15)
    # Kill points: right after a few acknowledgements; mid-stream, a random moment after the first
    # (posts in flight, the writer committing); right after a big batch's 202, while
    # its commit runs; and mid-stream again with bigger batches.
    plans = [("few", 5, None), ("mid", 10, rng.uniform(0.5, 1.5)), ("big", 400, None),
             ("mid2", 25, rng.uniform(0.3, 1.0))]
    for name, batch, delay in plans:
        server = Server(index, workers=2)
        stop = threading.Event()
        posters = [Poster(server.port, key, f"{name}{t}", batch, stop) for t in range(2)]
        got, bad = kill_mid_stream(server, posters, stop, delay)
        acked += got
        unexpected += bad
    assert not unexpected, unexpected[:5]
    assert len(acked) >= 50, f"only {len(acked)} acknowledged: the test did not exercise much"
    print(f"acknowledged {len(acked)}")

    server = Server(index, workers=2)
    try:
        server.wait_drained(timeout=120)
        time.sleep(0.5)  # every worker's searcher looks for the last commit within 0.2 s
        health = server.health()
        # Every acknowledged id is searchable through the server...
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        for doc_id in rng.sample(acked, min(200, len(acked))):
            conn.request("GET", f"/documents/{doc_id}")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, doc_id
        conn.request("GET", "/search?q=pelabuhan&per_page=1")
        assert json.loads(conn.getresponse().read())["total"] >= len(set(acked))
    finally:
        log = server.stop()
    assert "Traceback" not in log, log[-3000:]
    # ...and, in the index itself, every one is there exactly once.
    ids = live_ids(index)
    assert len(ids) == len(set(ids)), "a document is in the index twice"
    missing = set(acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged documents lost, e.g. {sorted(missing)[:5]}"
    assert health["documents"] == len(ids)


def test_a_thousand_bad_writes_are_all_refused(tmp_path):
    index = tmp_path / "ix"
    subprocess.run([LINTAS, "index", str(REPO / "seeds"), "--index", str(index)], check=True,
                   capture_output=True, cwd=REPO)
    admin = create_key(index, "admin")
    search_key = create_key(index, "search")
    revoked = create_key(index, "admin")
    subprocess.run([LINTAS, "keys", "revoke", revoked.split("_")[1], "--index", str(index)], check=True,
                   capture_output=True, cwd=REPO)
    server = Server(index, workers=2, extra=("--max-body-mb", "1"))
    good = json.dumps({"id": "never", "text": "Ini tidak boleh masuk."})
    wrong = "lintas_" + admin.split("_")[1] + "_" + "A" * 43  # a real id, a wrong secret
    big = json.dumps([{"id": f"b{i}", "text": "x" * 1000} for i in range(1100)])  # > 1 MiB
    cases = [
        ("no key", None, "application/json", good),
        ("wrong key", wrong, "application/json", good),
        ("garbage key", "hunter2", "application/json", good),
        ("search key", search_key, "application/json", good),
        ("revoked key", revoked, "application/json", good),
        ("not json", admin, "application/json", "{'id': 1,"),
        ("no valid item", admin, "application/json", '[{"id": ""}, 7, {"text": "no id"}]'),
        ("empty array", admin, "application/json", "[]"),
        ("bad utf-8", admin, "application/json", b'{"id": "x", "text": "\xff\xfe"}'),
        ("deep nesting", admin, "application/json", "[" * 50_000 + "]" * 50_000),
        ("wrong type", admin, "text/plain", good),
        ("html without url", admin, "text/html", "<html><body><p>Isi</p></body></html>"),
        ("not a feed", admin, "application/rss+xml", "<html>no</html>"),
        ("jsonl all bad", admin, "application/x-ndjson", '{"id": 1}\n[]\n{bad\n'),
        ("oversize", admin, "application/json", big),
        ("oversize chunked", admin, "application/json", ("chunked", big)),
        ("oversize declared", admin, "application/json", ("declared", 50 << 20)),
    ]
    statuses: dict[str, set[int]] = {}
    accepted, server_errors = 0, []
    try:
        before = server.health()
        conn = None
        for attempt in range(1000):
            name, key, ctype, body = cases[attempt % len(cases)]
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                status = _send(conn, key, ctype, body)
            except (OSError, http.client.HTTPException) as e:
                # The server may close a connection after refusing an oversize body.
                conn.close()
                conn = None
                if name.startswith("oversize"):
                    continue
                raise AssertionError(f"{name}: {type(e).__name__}: {e}") from None
            if status in (200, 201, 202):
                accepted += 1
            if status >= 500:
                server_errors.append((name, status))
            statuses.setdefault(name, set()).add(status)
            if status in (413,) or name.startswith("oversize"):
                conn.close()
                conn = None
        after = server.health()
    finally:
        log = server.stop()
    assert accepted == 0 and server_errors == []
    assert statuses["no key"] == {401} and statuses["wrong key"] == {401} and statuses["garbage key"] == {401}
    assert statuses["revoked key"] == {401} and statuses["search key"] == {403}
    assert statuses["wrong type"] == {415} and statuses["oversize"] == {413}
    for name in ("not json", "no valid item", "empty array", "bad utf-8", "deep nesting", "html without url",
                 "not a feed", "jsonl all bad"):
        assert statuses[name] == {400}, (name, statuses[name])
    assert before["documents"] == after["documents"] == 5
    assert after.get("queue", {}).get("last_task", 0) == 0  # nothing was ever queued
    assert admin not in log and search_key not in log and "Traceback" not in log


def _send(conn: http.client.HTTPConnection, key, ctype: str, body) -> int:
    headers = {"Content-Type": ctype}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if isinstance(body, tuple) and body[0] == "chunked":
        conn.putrequest("POST", "/documents")
        for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        data = body[1].encode()
        try:
            for i in range(0, len(data), 65536):
                piece = data[i:i + 65536]
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # refused before the end: the answer is waiting
    elif isinstance(body, tuple):  # a Content-Length far past the limit, and only a little body
        conn.putrequest("POST", "/documents")
        for name, value in {**headers, "Content-Length": str(body[1])}.items():
            conn.putheader(name, value)
        conn.endheaders(b"[" * 1000)
    else:
        conn.request("POST", "/documents", body, headers)
    resp = conn.getresponse()
    payload = resp.read()
    data = json.loads(payload)
    assert data["ok"] is False and data["status"] == resp.status, payload[:200]
    return resp.status


def test_lintas_index_while_the_server_writes_goes_through_its_queue(tmp_path, fixtures):
    index = tmp_path / "ix"
    subprocess.run([LINTAS, "index", str(REPO / "seeds"), "--index", str(index)], check=True,
                   capture_output=True, cwd=REPO)
    server = Server(index, workers=2)
    try:
        server.wait_writer(index)
        out = subprocess.run([LINTAS, "index", str(fixtures), "--index", str(index)],
                             capture_output=True, text=True, cwd=REPO, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "sending the documents through its write queue" in out.stderr
        assert "6 indexed through the write queue" in out.stdout
        assert server.wait_drained()["documents"] == 11
        rebuild = subprocess.run([LINTAS, "index", "--rebuild", str(fixtures), "--index", str(index)],
                                 capture_output=True, text=True, cwd=REPO, timeout=60)
        assert rebuild.returncode == 1 and "stop it to rebuild" in rebuild.stderr
        gone = subprocess.run([LINTAS, "delete", "001_7096a94d9b5d90fd", "--index", str(index)],
                              capture_output=True, text=True, cwd=REPO, timeout=60)
        assert gone.returncode == 0 and "deleted through the write queue" in gone.stdout
        assert server.wait_drained()["documents"] == 10
    finally:
        log = server.stop()
    assert "Traceback" not in log
    # The server gone, the CLI writes directly again (and the lock is free).
    out = subprocess.run([LINTAS, "delete", "nope", "--index", str(index)], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0 and "0 deleted, 1 not found" in out.stdout
