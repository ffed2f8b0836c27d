"""One process that holds the embedding model and the vectors for all of `lintas serve`'s workers.

Every search worker that embeds queries and scores them against the
memory-mapped matrix holds the model (72 MB mapped, and its buffers) and the
whole matrix (an exact inner product reads every row: 154 MB at 100k
documents) resident, and RSS counts those shared pages once per worker. Here
they live in one process: a worker sends the query text and gets its vector,
sends a vector and gets every row's cosine. The worker keeps what ties a row to
its documents (the vectors' keys, its own snapshot), so the service answers only
for the snapshot generation the worker asks about; when it has another one (an
embedding pass has just flushed), or is not there at all, the worker computes
that answer itself, as a process without the service always does. The
remembered query vectors are the service's too: one cache for all workers, so a
query repeated on another worker is not embedded again.

Over a Unix socket in a private directory (0700): only this user's processes
reach it. Frames are a 4-byte length and a pickle, between processes of one
server.
"""

from __future__ import annotations

import os
import pickle
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import numpy as np

ENV = "LINTAS_DENSE_SOCKET"  # where a worker finds the service; unset: it does the work itself
# LINTAS_DENSE_SERVICE=0: no service, each worker embeds and scores itself (what the bench compares).
ENABLED = os.environ.get("LINTAS_DENSE_SERVICE", "1") != "0"
RETRY_AFTER = 30.0  # seconds a worker computes for itself after the service failed it
TIMEOUT = 30.0  # seconds a call may take (the model under load: ~0.5 s for a long query)
STATUS_EVERY = 5.0  # seconds a worker trusts the service's word that its model works


# -- the service -------------------------------------------------------------------


def start(index_dir: str | Path):
    """Start the service for `index_dir` and point this process's future children at it.

    Returns (process, socket path), or None when the index has no vectors on (the
    workers then never need a model) or the service cannot start.
    """
    import subprocess
    import tempfile

    from . import vectors

    if not ENABLED:
        return None
    try:
        if vectors.read_manifest(index_dir) is None:
            return None
    except ValueError:
        return None
    path = Path(tempfile.mkdtemp(prefix="lintas-dense-")) / "sock"
    cmd = [sys.executable, "-m", "search.dense_service", "--index", str(index_dir), "--socket", str(path),
           "--parent", str(os.getpid())]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except OSError:
        return None
    deadline = time.monotonic() + 60
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # loading the model: the workers' first queries should find it ready
    if not path.exists():
        stop((proc, path))
        return None
    os.environ[ENV] = str(path)
    return proc, path


def stop(service) -> None:
    if service is None:
        return
    proc, path = service
    if os.environ.get(ENV) == str(path):
        del os.environ[ENV]
    from .embed_pass import stop_background

    stop_background(proc)
    for p in (path, path.parent):
        try:
            p.unlink() if p.is_socket() or p.is_file() else p.rmdir()
        except OSError:
            pass


def _serve(index_dir: str, path: str, parent: int | None) -> None:
    from . import embedding, vectors

    os.environ.pop(ENV, None)  # this process embeds and scores itself: never a client of another service
    reader = vectors.VectorReader(index_dir)
    embedding.available()  # load the model now, not on the first query
    reader.snapshot()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path + ".tmp"
    sock.bind(tmp)
    sock.listen(64)
    os.replace(tmp, path)  # the path appears only once it accepts
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=_answer, args=(conn, reader), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _answer(conn: socket.socket, reader) -> None:
    """One worker thread's connection: requests in order until it closes."""
    from . import embedding, hybrid

    with conn:
        while True:
            try:
                op, arg = _recv(conn)
            except (ConnectionError, OSError, EOFError):
                return
            try:
                if op == "embed":
                    # One cache of query vectors for all the workers (hybrid's, in this process).
                    vec = hybrid._remembered(arg)
                    reply = ("ok", vec if vec is not None else hybrid._embed(arg))
                elif op == "scores":
                    generation, qvec = arg
                    snap = reader.snapshot()
                    if snap is None or snap.manifest.generation != generation:
                        snap = reader.snapshot(fresh=True)  # the worker may just have seen a newer one
                    if snap is None or snap.manifest.generation != generation:
                        reply = ("stale", snap.manifest.generation if snap is not None else None)
                    else:
                        reply = ("ok", snap.scores(np.asarray(qvec, np.float32)))
                elif op == "status":
                    reply = ("ok", embedding.load_error() if not embedding.available() else None)
                else:
                    reply = ("error", f"unknown operation {op!r}")
            except Exception as e:  # the model failed on this text: the worker says so, as without us
                reply = ("error", f"{type(e).__name__}: {e}")
            try:
                _send(conn, reply)
            except OSError:
                return


def _send(conn: socket.socket, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    conn.sendall(struct.pack(">I", len(data)) + data)


def _recv(conn: socket.socket):
    head = _exactly(conn, 4)
    return pickle.loads(_exactly(conn, struct.unpack(">I", head)[0]))


def _exactly(conn: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


# -- a worker's side ---------------------------------------------------------------


class Unavailable(Exception):
    """The service cannot answer this: compute it here."""


class Client:
    """A worker's connection to the service, one socket per thread."""

    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._down_until = 0.0
        self._status: str | None = None
        self._status_at = -STATUS_EVERY

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self._call("embed", text), np.float32)

    def scores(self, generation: int, qvec: np.ndarray) -> np.ndarray:
        return self._call("scores", (generation, np.asarray(qvec, np.float32)))

    def status(self) -> str | None:
        """Why the service's model cannot be used; None when it can (asked every few seconds:
        every hybrid request wants to know)."""
        now = time.monotonic()
        if now - self._status_at > STATUS_EVERY:
            self._status, self._status_at = self._call("status", None), now
        return self._status

    def _call(self, op: str, arg):
        if time.monotonic() < self._down_until:
            raise Unavailable("the service failed recently")
        conn = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.settimeout(TIMEOUT)
                conn.connect(self.path)
                self._local.conn = conn
            _send(conn, (op, arg))
            status, value = _recv(conn)
        except (OSError, EOFError, pickle.UnpicklingError) as e:
            self._drop()
            self._down_until = time.monotonic() + RETRY_AFTER
            print(f"lintas: dense service unreachable ({type(e).__name__}: {e}); "
                  "this worker embeds and scores itself", file=sys.stderr, flush=True)
            raise Unavailable(str(e)) from None
        if status == "stale":
            raise Unavailable(f"the service reads vector generation {value}")
        if status != "ok":
            raise Unavailable(value)
        return value

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass


_client: Client | None = None
_client_for: str | None = None
_client_lock = threading.Lock()


def client() -> Client | None:
    """This process's client, when its server started a service (ENV); else None."""
    global _client, _client_for
    path = os.environ.get(ENV)
    if not path:
        return None
    if _client is None or _client_for != path:
        with _client_lock:
            if _client is None or _client_for != path:
                _client, _client_for = Client(path), path
    return _client


def _forget_client() -> None:
    global _client
    _client = None  # a forked worker opens its own sockets


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_client)


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(prog="python -m search.dense_service",
                                description="The model and the vectors for every worker of `lintas serve`.")
    p.add_argument("--index", required=True)
    p.add_argument("--socket", required=True)
    p.add_argument("--parent", type=int, default=None, help="exit when this process is gone")
    a = p.parse_args()
    try:
        _serve(a.index, a.socket, a.parent)
    except KeyboardInterrupt:
        pass
