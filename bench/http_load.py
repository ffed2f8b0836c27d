"""A bounded HTTP load client, and starting/stopping `lintas serve` for it.

Stdlib only: N threads, each with its own keep-alive `http.client` connection,
cycle through a list of paths until a deadline or a request budget runs out.
An error is any non-200 status or any exception (the connection is then
reopened, so one failure doesn't end a client). Loopback only.

The client's threads share the GIL with each other (not with the server, which
is another process), so at 32 clients on 2 cores the numbers include client
overhead: compare runs against each other, not against a C load generator.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    first_error: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run_load(
    port: int,
    paths: list[str],
    clients: int,
    duration: float | None = 5.0,
    max_requests: int | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """Hit `paths` round-robin with `clients` keep-alive connections.

    Stops at `duration` seconds or `max_requests` requests in total, whichever
    comes first; at least one of them must be given, so a run is always bounded.
    """
    if duration is None and max_requests is None:
        raise ValueError("give a duration or a request budget: an unbounded load run never ends")
    deadline = time.perf_counter() + duration if duration is not None else float("inf")
    budget = [max_requests if max_requests is not None else float("inf")]
    lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        n = i  # each client starts at its own offset into the query list
        try:
            while time.perf_counter() < deadline and take():
                path = paths[n % len(paths)]
                n += clients
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                    if not ok:
                        msg = f"HTTP {resp.status} for {path}"
                except Exception as ex:  # an error to count, not to crash on
                    ok, msg = False, f"{type(ex).__name__}: {ex} for {path}"
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
                latencies[i].append((time.perf_counter() - t0) * 1000)
                if not ok:
                    errors[i] += 1
                    with lock:
                        if not first_error:
                            first_error.append(msg)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    flat = [x for lat in latencies for x in lat]
    return LoadResult(clients, len(flat), sum(errors), seconds, flat, first_error[0] if first_error else None)


def proc_memory_kb(pid: int) -> dict:
    """VmRSS and VmHWM of a running process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key.lower() + "_kb"] = int(value.split()[0])
    return out


class Server:
    """A real `lintas serve` subprocess on 127.0.0.1 and a free port."""

    def __init__(self, argv: list[str], port: int, cwd: Path | None = None, log: Path | None = None):
        self.argv, self.port, self.cwd, self.log = argv, port, cwd, log
        self.proc: subprocess.Popen | None = None
        self._out = None
        self.start_seconds: float | None = None

    def start(self, ready_path: str = "/health", timeout: float = 180.0) -> float:
        """Start the server and wait until `ready_path` answers 200; return the wait."""
        out = self._out = open(self.log, "wb") if self.log else subprocess.DEVNULL
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {' '.join(self.argv)}"
                                   + (f" (log: {self.log})" if self.log else ""))
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", ready_path)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    self.start_seconds = time.perf_counter() - t0
                    return self.start_seconds
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"server not ready on port {self.port} after {timeout:.0f} s")

    def memory_kb(self) -> dict:
        return proc_memory_kb(self.proc.pid)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            # Its own session: signal exactly the group we started, nothing else.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._out not in (None, subprocess.DEVNULL):
            self._out.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
