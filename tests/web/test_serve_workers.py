"""`lintas serve --workers 2`: a real gunicorn master and two worker processes.

Real processes, real sockets, no mocks. Which worker answers is read from
/proc: the server side of each test connection is a socket that exactly one
worker holds open, so "both workers serve" is checked without the app having
to tell anyone its pid.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from bench import serving
from bench.http_load import process_tree
from bench.serving import LintasServer
from search.indexer import Indexer

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc/self/fd").exists(),
                                reason="gunicorn needs fork; the checks read /proc")


class Served(LintasServer):
    """`lintas serve --workers N --port 0` and the pids of its workers."""

    def __init__(self, index: Path, workers: int = 2):
        super().__init__(index, workers=workers, threads=2)
        deadline = time.monotonic() + 30
        while len(self.workers()) < workers:
            assert time.monotonic() < deadline, f"{workers} workers not up: tree {process_tree(self.proc.pid)}"
            time.sleep(0.05)

    def workers(self) -> list[int]:
        return [p for p in process_tree(self.proc.pid)[1:] if alive(p) and not is_writer(p)]

    def writers(self) -> list[int]:
        deadline = time.monotonic() + 30
        while not (found := [p for p in process_tree(self.proc.pid)[1:] if alive(p) and is_writer(p)]):
            assert time.monotonic() < deadline, "no writer process"
            time.sleep(0.05)
        return found

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, dict]:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())

    def connections_to_every_worker(self, limit: int = 60) -> dict[int, http.client.HTTPConnection]:
        """One open keep-alive connection per worker, each having answered /health.

        Connections are opened one at a time and kept open until each worker
        has accepted one; which worker accepts is the kernel's and gunicorn's
        business, so this tries up to `limit` connections.
        """
        workers, held, extra = set(self.workers()), {}, []
        used: dict[int, float] = {}
        for _ in range(limit):
            for pid, old in held.items():
                # The server closes a connection idle for 5 s (its keep-alive): on a
                # loaded machine finding the other worker can take longer than that.
                if time.monotonic() - used[pid] > 2.0:
                    self.get(old, "/health")
                    used[pid] = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            status, _ = self.get(conn, "/health")
            owner = socket_owner(self.port, conn.sock.getsockname()[1], workers)
            assert owner in workers, f"connection held by {owner}, workers are {workers}"
            if owner in held:
                extra.append(conn)
            else:
                held[owner] = conn
                used[owner] = time.monotonic()
            if held.keys() == workers:
                break
        for conn in extra:
            conn.close()
        assert held.keys() == workers, f"only {sorted(held)} of workers {sorted(workers)} accepted connections"
        return held


@pytest.fixture()
def served(index_dir):
    running = []

    def start(index: Path = index_dir, workers: int = 2) -> Served:
        running.append(Served(index, workers))
        return running[-1]

    yield start
    for s in running:
        pids = s.workers()
        s.stop()
        for pid in pids:  # whatever a failed test left behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def is_writer(pid: int) -> bool:
    """The index writer process `lintas serve` starts beside the workers (search/writer.py)."""
    try:
        return b"search.writer" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def socket_owner(server_port: int, client_port: int, pids) -> int | None:
    """The pid among `pids` holding the server end of 127.0.0.1:client_port -> server_port."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
    assert inode, f"no server socket for client port {client_port}"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:  # closed meanwhile
                continue
    return None


def strip_timing(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "took_ms"}


def test_both_workers_answer_search_as_the_app_does(served, client):
    server = served()
    assert len(server.workers()) == 2
    expected = client.get("/search?q=ekonomi&per_page=10").get_json()
    assert expected["total"] > 0
    for pid, conn in server.connections_to_every_worker().items():
        for _ in range(3):  # keep-alive: the same connection, the same worker, every time
            status, body = server.get(conn, "/search?q=ekonomi&per_page=10")
            assert status == 200, body
            assert strip_timing(body) == strip_timing(expected), f"worker {pid}"
        assert socket_owner(server.port, conn.sock.getsockname()[1], [pid]) == pid
        conn.close()


def test_sigterm_to_the_master_stops_every_worker(served):
    server = served()
    workers = server.workers() + server.writers()  # the writer process stops too
    assert len(workers) == 3
    server.connections_to_every_worker()  # workers with open keep-alive connections still stop
    log = server.stop(signal.SIGTERM)
    assert server.proc.returncode == 0
    assert server.stdout().strip() == "Lintas stopped."
    assert "Traceback" not in log
    deadline = time.monotonic() + 5
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in workers if alive(p)], "orphaned workers"


def test_workers_leave_when_the_master_is_killed(served):
    server = served()
    workers = server.workers() + server.writers()  # the writer process leaves with them
    server.proc.kill()  # SIGKILL: no chance to stop its workers
    server.proc.wait(timeout=5)
    deadline = time.monotonic() + 10  # a worker checks its parent about once a second
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "workers outlived a killed master"


@pytest.mark.parametrize("workers", ["1", "2"], ids=["waitress", "gunicorn"])
def test_a_taken_port_is_a_clear_error(workers, index_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        t0 = time.monotonic()
        proc = serving.run("serve", "--index", str(index_dir), "--port", str(port), "--workers", workers,
                           timeout=30)
    assert proc.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "try another --port" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert time.monotonic() - t0 < 10  # no bind retries


def test_every_worker_picks_up_an_index_built_after_start(served, tmp_path):
    index = tmp_path / "later"
    server = served(index)
    for conn in server.connections_to_every_worker().values():
        status, body = server.get(conn, "/health")
        assert status == 503 and body["ok"] is False
    report = Indexer(str(index)).index_paths([str(SEEDS)])
    assert not report.errors
    for pid, conn in server.connections_to_every_worker().items():
        status, body = server.get(conn, "/health")
        assert (status, body["documents"]) == (200, 5), f"worker {pid}"
