"""`lintas` in a child process, for the tests and the benches: one way to start it, read
its start-up line, drain its output and stop it.

The child runs this tree's code (`python -c "from web.cli import main"` with the
repository first on PYTHONPATH), not whatever `lintas` is installed. Both of its
output streams are drained in threads from the start, so a chatty log can never
fill a pipe and stall the server; `stop()` returns what it wrote.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# web/server.py prints this when it listens; the port is the one it bound (--port 0 too).
START_LINE = re.compile(
    r"^Lintas serving (?P<what>.+) from (?P<dir>.+) at http://(?P<host>.+):(?P<port>\d+)/ \(Ctrl\+C to stop\)$")


def command(*args: str) -> list[str]:
    """The argv of `lintas ARGS...` run from this tree."""
    return [sys.executable, "-c", "import sys; from web.cli import main; sys.exit(main())", *args]


def environment(extra: dict | None = None) -> dict:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **(extra or {})}


def run(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `lintas ARGS...` to its end (text mode, output captured)."""
    return subprocess.run(command(*args), cwd=ROOT, env=environment(env), capture_output=True,
                          text=True, timeout=timeout)


class DidNotStart(RuntimeError):
    """`lintas serve` exited, or printed something else, instead of its start-up line."""

    def __init__(self, line: str, returncode: int | None, stdout: str, stderr: str):
        super().__init__(f"lintas serve did not start: {line!r}, exit {returncode}; stderr: {stderr[-2000:]}")
        self.line, self.returncode, self.stdout, self.stderr = line, returncode, stdout, stderr


class LintasServer:
    """`lintas serve --index DIR` on 127.0.0.1, port 0 unless given, until stop()."""

    def __init__(self, index_dir: str | Path, *, workers: int | None = None, threads: int | None = None,
                 host: str = HOST, port: int = 0, timeout: float = 60.0):
        argv = command("serve", "--index", str(index_dir), "--host", host, "--port", str(port))
        if workers is not None:
            argv += ["--workers", str(workers)]
        if threads is not None:
            argv += ["--threads", str(threads)]
        self.started = time.perf_counter()
        self.ready_seconds: float | None = None  # set by wait_ready()
        self.warm_seconds: float | None = None  # set by wait_ready(warm=True)
        # Its own session: a last-resort kill reaches the workers too, and nothing else.
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True,
                                     preexec_fn=_interruptible if _sigint_ignored() else None)
        self._out: list[str] = []
        self._err: list[str] = []
        lines: queue.Queue = queue.Queue()
        self._drains = [
            threading.Thread(target=_drain, args=(self.proc.stdout, self._out, lines), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stderr, self._err, None), daemon=True),
        ]
        for t in self._drains:
            t.start()
        try:
            line = lines.get(timeout=timeout).rstrip("\n")
        except queue.Empty:
            line = ""
        match = START_LINE.match(line)
        if not match:
            self.stop(timeout=5)
            raise DidNotStart(line, self.proc.returncode, "".join(self._out), self.log())
        self.start_line = line
        self.what, self.index_dir = match["what"], match["dir"]
        self.port = int(match["port"])
        self.url = f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str = "/health", timeout: float = 180.0, warm: bool = False) -> float:
        """Wait until `path` answers 200 (with `warm`: until /health says warm 8 times in a
        row, whichever worker answers); seconds since the process started."""
        deadline = time.perf_counter() + timeout
        in_a_row = 0
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lintas serve exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    if self.ready_seconds is None:
                        self.ready_seconds = time.perf_counter() - self.started
                    if not warm:
                        return self.ready_seconds
                    in_a_row = in_a_row + 1 if json.loads(body).get("warm") else 0
                    if in_a_row >= 8:
                        self.warm_seconds = time.perf_counter() - self.started
                        return self.ready_seconds
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.url}{path} not 200{' and warm' if warm else ''} after {timeout:.0f} s")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> str:
        """Send `sig` (SIGINT: what Ctrl+C sends) and wait; kill the whole group if it hangs.
        Returns what the server wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for t in self._drains:
            t.join(timeout=5)
        return self.log()

    def stdout(self) -> str:
        """What the server printed on stdout after its start-up line (complete once stopped)."""
        return "".join(self._out[1:])

    def log(self) -> str:
        """What the server wrote on stderr so far."""
        return "".join(self._err)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _sigint_ignored() -> bool:
    # A job started in the background of a non-interactive shell (`cmd &`, as CI may run
    # the suite) inherits SIGINT ignored, and so would the server: stop() could not stop
    # it as Ctrl+C does.
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _drain(stream, into: list[str], first: queue.Queue | None) -> None:
    for line in stream:
        into.append(line)
        if first is not None and len(into) == 1:
            first.put(line)
    if first is not None and not into:
        first.put("")  # exited without a line: do not make the caller wait out its timeout
