"""`lintas serve --workers 2` on an index with vectors: the model and the matrix live in one process.

Real processes (gunicorn workers, the service, the real model), real sockets;
what each process holds is read from /proc/PID/smaps.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.http_load import process_tree
from bench.serving import LintasServer
from search import embed_pass
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc/self/smaps").exists(),
                                reason="gunicorn needs fork; the checks read /proc")

QUERY = "hubungan Iran dan Azerbaijan"


@pytest.fixture(scope="module")
def vector_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("dense-service") / "ix"
    Indexer(index_dir).index_paths([REPO / "seeds"])
    embed_pass.enable(index_dir)
    assert embed_pass.run(index_dir, procs=1).embedded == 5
    return index_dir


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _resident_kb(pid: int, name_part: str) -> int | None:
    """Resident kB of the mappings whose path contains name_part; None if nothing maps it."""
    total, found, current = 0, False, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5:  # a mapping's first line
            current = name_part in line
            found |= current
        elif current and line.startswith("Rss:"):
            total += int(head[1])
    return total if found else None


def _ids(port: int, q: str) -> list[str]:
    url = f"http://127.0.0.1:{port}/search?" + urllib.parse.urlencode({"q": q, "mode": "hybrid"})
    with urllib.request.urlopen(url, timeout=60) as r:
        body = json.loads(r.read())
    assert body["mode"] == "hybrid"
    return [h["id"] for h in body["results"]]


def test_workers_search_through_one_process_that_holds_the_model_and_the_vectors(vector_index):
    expected = [h.id for h in Engine(vector_index, time_limit=30.0).search(SearchRequest(q=QUERY, mode="hybrid")).hits]
    assert "003" in [i.split("_")[0] for i in expected[:4]]
    with LintasServer(vector_index, workers=2, threads=2) as server:
        server.wait_ready()
        for _ in range(4):  # more requests than workers: both answer some
            assert _ids(server.port, QUERY) == expected
        tree = process_tree(server.proc.pid)
        service = [p for p in tree if b"search.dense_service" in _cmdline(p)]
        assert len(service) == 1
        assert _resident_kb(service[0], "e5-small-q4.bin")  # the model, loaded and used
        assert _resident_kb(service[0], ".vecs.npy")  # the matrix, read
        workers = [p for p in tree[1:] if b"serve" in _cmdline(p) and p not in service]
        assert len(workers) == 2, [_cmdline(p) for p in tree]
        for pid in workers:
            assert _resident_kb(pid, "e5-small-q4.bin") is None  # never loaded the model
            assert not _resident_kb(pid, ".vecs.npy")  # mapped at most, never read

        # Without the service, each worker does the work itself: same answers.
        os.kill(service[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while service[0] in process_tree(server.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(4):
            assert _ids(server.port, QUERY) == expected
        assert "dense service unreachable" in server.log()


def test_one_worker_holds_the_model_itself(vector_index):
    # A service beside a single worker would only add a process.
    expected = [h.id for h in Engine(vector_index, time_limit=30.0).search(SearchRequest(q=QUERY, mode="hybrid")).hits]
    with LintasServer(vector_index, workers=1, threads=2) as server:
        server.wait_ready()
        assert _ids(server.port, QUERY) == expected
        tree = process_tree(server.proc.pid)
        assert not [p for p in tree if b"search.dense_service" in _cmdline(p)]
        assert _resident_kb(server.proc.pid, "e5-small-q4.bin")
