"""`lintas serve` as a real subprocess (gunicorn, several workers) for the write tests
and bench/ingest_load.py: start, wait until it answers, SIGKILL it whole."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINTAS = str(Path(sys.executable).with_name("lintas"))
PORT = re.compile(r"^Lintas serving .+ at http://127\.0\.0\.1:(\d+)/ \(Ctrl\+C to stop\)$")


class Server:
    def __init__(self, index: Path, workers: int = 2, threads: int = 4, extra: tuple[str, ...] = ()):
        # A session of its own, so that SIGKILL reaches the master and every worker at once.
        self.proc = subprocess.Popen(
            [LINTAS, "serve", "--port", "0", "--index", str(index), "--workers", str(workers),
             "--threads", str(threads), *extra],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stdout.readline().strip()
        match = PORT.match(line)
        if not match:
            self.kill()
            raise AssertionError(f"start-up line {line!r}; stderr: {self.proc.stderr.read()}")
        self.port = int(match[1])
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not answer in 60 s"
            time.sleep(0.05)

    def wait_writer(self, index: Path, timeout: float = 60.0) -> None:
        """Until the server's writer process holds the index's writer lock."""
        from search.writer import WriterLock

        deadline = time.monotonic() + timeout
        while True:
            lock = WriterLock(index)
            if not lock.try_acquire():
                return
            lock.release()
            assert time.monotonic() < deadline, "no writer took the lock"
            time.sleep(0.05)

    def health(self) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/health")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def wait_drained(self, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            health = self.health()
            queue = health.get("queue", {"pending": 0, "indexed_task": 0, "last_task": 0})  # none queued yet
            if queue.get("pending") == 0 and queue.get("indexed_task") == queue.get("last_task"):
                time.sleep(0.5)  # every worker's engine looks for a newer commit every 0.2 s
                return self.health()
            assert time.monotonic() < deadline, f"queue not drained: {health}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and its workers, as a crash would."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        # Orphaned workers (if any escaped the group) notice their parent is gone within ~1 s.
        deadline = time.monotonic() + 10
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.stderr.read()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def create_key(index: Path, role: str) -> str:
    out = subprocess.run([LINTAS, "keys", "create", "--role", role, "--index", str(index)],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return out.stdout.strip()


def durability_docs(prefix: str, count: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "title": f"Kabar {prefix} {i}", "lang": "id",
             "text": f"Berita uji ketahanan nomor {prefix.replace('-', 'x')}x{i} tentang pelabuhan."}
            for i in range(count)]


class Poster(threading.Thread):
    """Posts batches of new documents until stopped or the server dies; keeps the ids
    of every batch answered 202."""

    def __init__(self, port: int, key: str, prefix: str, batch: int, stop: threading.Event,
                 make=durability_docs):
        super().__init__(daemon=True)
        self.port, self.key, self.prefix, self.batch, self.stop = port, key, prefix, batch, stop
        self.make = make
        self.acked: list[str] = []
        self.unexpected: list[str] = []

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        for n in range(400):  # bounded
            if self.stop.is_set():
                return
            batch = self.make(f"{self.prefix}-{n}", self.batch)
            try:
                conn.request("POST", "/documents", json.dumps(batch),
                             {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                return  # the server was killed: this batch was never acknowledged
            if resp.status == 202:
                self.acked.extend(d["id"] for d in batch)
            elif resp.status not in (429, 503):
                self.unexpected.append(f"{resp.status} {data[:200]!r}")


def kill_mid_stream(server: Server, posters: list[Poster], stop: threading.Event, delay: float | None):
    """SIGKILL `server` right after the posters' first acknowledgement, or `delay` s after
    it; returns (acknowledged ids, unexpected answers) of the posters."""
    for p in posters:
        p.start()
    deadline = time.monotonic() + 30
    while not any(p.acked for p in posters) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay or 0)
    server.kill()
    stop.set()
    acked: list[str] = []
    unexpected: list[str] = []
    for p in posters:
        p.join(timeout=30)
        acked += p.acked
        unexpected += p.unexpected
    return acked, unexpected
