"""`lintas index` and `lintas delete` write while `lintas serve` answers several client
threads: every request is a 200 (a 404 only for a document this test deleted), counts
never go down except by those deletions, no LockError reaches a user, and the server
sees the new documents without a restart."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from urllib.parse import quote

import pytest

from bench.serving import LintasServer
from rb_helpers import doc_token, lintas, wait_for, write_jsonl

pytestmark = pytest.mark.slow

BASE, ADDED, DELETED = range(0, 300), range(300, 800), range(600, 700)
UPDATED = range(0, 200)
READERS = 4


class Reader(threading.Thread):
    def __init__(self, url: str, seed: int, stop: threading.Event, phases: dict):
        super().__init__(daemon=True)
        host, port = url.removeprefix("http://").split(":")
        self.conn_args = (host, int(port))
        self.rng = random.Random(seed)
        self.stop = stop
        self.phases = phases
        self.problems: list[str] = []
        self.counts: list[tuple[float, float, int, str]] = []  # (sent, received, count, route)
        self.requests = 0
        self.seen_ids: list[str] = []

    def get(self, conn, path: str):
        sent = time.monotonic()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        self.requests += 1
        text = body.decode("utf-8", "replace")
        if "LockError" in text or "Traceback" in text:
            self.problems.append(f"{path}: internals leaked: {text[:300]}")
        return resp.status, json.loads(body), sent, time.monotonic()

    def run(self):
        conn = http.client.HTTPConnection(*self.conn_args, timeout=30)
        try:
            while not self.stop.is_set():
                kind = self.rng.random()
                if kind < 0.3:
                    status, data, sent, got = self.get(conn, "/health")
                    if status == 200:
                        self.counts.append((sent, got, data["documents"], "health"))
                elif kind < 0.6:
                    status, data, sent, got = self.get(conn, "/search?q=hubungan&per_page=20&page="
                                                       + str(self.rng.randint(1, 3)))
                    if status == 200:
                        self.counts.append((sent, got, data["total"], "search"))
                        self.seen_ids.extend(h["id"] for h in data["results"])
                elif kind < 0.8:
                    i = self.rng.choice(list(BASE) + list(ADDED))
                    status, data, sent, got = self.get(conn, "/search?q=" + quote(doc_token(i)))
                    if status == 200:
                        self.seen_ids.extend(h["id"] for h in data["results"])
                        ids = [h["id"] for h in data["results"]]
                        if ids not in ([], [f"doc{i}"]):
                            self.problems.append(f"{doc_token(i)} found {ids}")
                else:
                    if not self.seen_ids:
                        continue
                    doc_id = self.rng.choice(self.seen_ids[-50:])
                    status, data, sent, got = self.get(conn, f"/documents/{doc_id}")
                    if status == 404 and int(doc_id[3:]) in DELETED:
                        continue  # legitimately just deleted
                if status != 200:
                    self.problems.append(f"status {status}: {data}")
        except Exception as e:  # a dropped connection is a failure too
            self.problems.append(f"{type(e).__name__}: {e}")
        finally:
            conn.close()


def test_writes_while_serving(tmp_path):
    index = tmp_path / "ix"
    lintas("index", str(write_jsonl(tmp_path / "base.jsonl", BASE)), "--index", str(index), check=True)
    added = write_jsonl(tmp_path / "added.jsonl", ADDED)
    updated = write_jsonl(tmp_path / "updated.jsonl", UPDATED,
                          text="Versi diperbarui: kebijakan {tok} tentang hubungan dagang.")
    server = LintasServer(index, threads=4)
    stop = threading.Event()
    phases: dict[str, float] = {}
    readers = [Reader(server.url, seed, stop, phases) for seed in range(READERS)]
    try:
        for r in readers:
            r.start()
        time.sleep(0.5)
        env = {"LINTAS_COMMIT_EVERY": "50"}
        phases["add"] = time.monotonic()
        lintas("index", str(added), "--index", str(index), env=env, timeout=120, check=True)
        phases["update"] = time.monotonic()
        lintas("index", str(updated), "--index", str(index), env=env, timeout=120, check=True)
        phases["delete"] = time.monotonic()
        lintas("delete", *(f"doc{i}" for i in DELETED), "--index", str(index), timeout=60, check=True)
        phases["done"] = time.monotonic()
        expected = len(BASE) + len(ADDED) - len(DELETED)
        # Seen without a restart: every reader's view converges on the final index.
        host = server.url

        def converged():
            conn = http.client.HTTPConnection(*host.removeprefix("http://").split(":"), timeout=10)
            try:
                counts = set()
                for _ in range(12):  # enough to reach each of the 4 server threads
                    conn.request("GET", "/search?q=diperbarui&per_page=1")
                    updated_total = json.loads(conn.getresponse().read())["total"]
                    conn.request("GET", "/health")
                    counts.add((json.loads(conn.getresponse().read())["documents"], updated_total))
                return counts == {(expected, len(UPDATED))}
            finally:
                conn.close()

        assert wait_for(converged, timeout=15), "the server did not see the final index"
        time.sleep(0.3)
    finally:
        stop.set()
        for r in readers:
            r.join(timeout=30)
        log = server.stop()

    problems = [p for r in readers for p in r.problems]
    assert not problems, problems[:10]
    assert sum(r.requests for r in readers) > 50
    assert "Traceback" not in log, log[-3000:]
    # No torn state: a count never goes below one already seen, except by the deletions
    # (and then by at most len(DELETED)), and never outside what the writers made possible.
    lo, hi = len(BASE), len(BASE) + len(ADDED)
    for r in readers:
        for route in ("health", "search"):
            counts = [(sent, got, n) for sent, got, n, rt in r.counts if rt == route]
            best = 0
            for sent, _got, n in counts:
                assert lo - len(DELETED) <= n <= hi, (route, n)
                if sent < phases["delete"]:
                    assert n >= best, f"{route}: count went down from {best} to {n} before any delete"
                else:
                    assert n >= best - len(DELETED), (route, best, n)
                best = max(best, n)
