"""`lintas serve`'s processes: one waitress process, or gunicorn's pre-fork workers.

One worker is one waitress process. More workers are gunicorn pre-fork processes
with gthread (threads per worker), because one Python process runs queries on one
core at a time (the GIL): a search is CPU work in Whoosh and the analyzers, so
only more processes use more cores.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from contextlib import suppress

import click
from waitress import create_server

from search import storage
from search.errors import IndexNotFound, IndexVersionMismatch
from search.shards import is_sharded

# The app (Flask, the engine, the writer thread) is imported where a process serves
# (_serve_waitress, _worker_app), not here: gunicorn's master only counts documents
# and forks, and every page it loads stays resident in it (~30 MB less RSS).

# Processes, not threads, scale queries (GIL). Each worker holds its own Engine
# (Whoosh searchers, caches, the Persian lexicon), so memory grows with the
# count: beyond a few workers a machine this size would rather have the RAM.
MAX_DEFAULT_WORKERS = 4

# waitress accepts request headers up to 256 KiB, so an over-long URL reaches the
# app and gets its JSON 414; gunicorn must let it through the same way.
MAX_REQUEST_LINE = 256 * 1024

# Seconds a worker's fallback writer thread waits before trying the writer lock,
# so that the dedicated writer process (started first) normally holds it.
WRITER_GRACE = 5.0

# LINTAS_WORKER_NICE (search/merging.py nicer_step): how much nicer than the writer process
# the search workers (and the writer's background merges) run. Under a write stream beside
# saturating searches, equal shares leave the writer about half a core when it needs a
# little more, and the queue grows; nicer workers make posts visible within seconds but
# search slower: a trade-off the operator chooses (README), off by default.


def default_workers() -> int:
    """The CPU cores this process may run on, at most MAX_DEFAULT_WORKERS; 1 without fork."""
    if os.name != "posix":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def _no_index_yet(index_dir: str) -> str:
    # Start anyway: /health reports 503 until an index is built, then it is picked up.
    click.echo(
        f"No index in {index_dir} yet: build one with `lintas index --index {index_dir} PATH...`; "
        "until then /health answers 503.",
        err=True,
    )
    return "no documents yet"


def _listen_error(host: str, port: int, e: OSError) -> click.ClickException:
    # port taken, address not on this machine, no permission
    return click.ClickException(
        f"cannot listen on {host}:{port}: {e.strerror or e}; try another --port or --host")


def _announce(what: str, index_dir: str, host: str, port: int) -> None:
    # tests/web/test_serve.py and bench/http_load.py parse this line for the port.
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Lintas serving {what} from {index_dir} at http://{shown_host}:{port}/ (Ctrl+C to stop)")


def _stop_on_sigterm() -> None:
    """SIGTERM (kill, systemd, a container stop) ends the server as Ctrl+C does."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


# ---- one process: waitress ---------------------------------------------------------


def serve(host: str, port: int, config: dict, workers: int | None, threads: int) -> None:
    """Serve until Ctrl+C or SIGTERM; `workers` None: default_workers(). `config`: the
    app's settings (INDEX_DIR, REQUIRE_KEY, MAX_WRITE_BYTES), the same in every worker."""
    master_pid = os.getpid()
    if workers is None:
        workers = default_workers()
    # The index writer runs in a process of its own, so that analysing new documents
    # never holds a search worker's GIL; the workers' writer threads wait WRITER_GRACE
    # seconds before trying the lock, and take over only if that process dies.
    # A sharded index: one writer per shard, in that one process (search/shard_writes.py).
    module = "search.shard_writes" if is_sharded(config["INDEX_DIR"]) else "search.writer"
    writer = subprocess.Popen([sys.executable, "-m", module, config["INDEX_DIR"], str(master_pid)])
    # WARM_UP: each worker's Engine loads its tables in a thread as soon as it opens
    # (web.engine_for), also when the index is built after the server started.
    config = {**config, "WRITER_GRACE": WRITER_GRACE, "WARM_UP": True}
    _fewer_malloc_arenas()  # before any request thread; gunicorn's workers inherit it through fork
    try:
        if workers == 1:
            _serve_waitress(host, port, config, threads)
        else:
            _serve_gunicorn(host, port, config, workers, threads)
    finally:
        if os.getpid() == master_pid:  # not in a gunicorn worker leaving
            writer.terminate()  # like a crash for the queue: it starts again from its checkpoint
            try:
                writer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                writer.kill()


def _serve_waitress(host: str, port: int, config: dict, threads: int) -> None:
    index_dir = config["INDEX_DIR"]
    from . import create_app, engine_for
    from .writes import start_writer

    app = create_app(config)
    try:
        what = f"{engine_for(app).count()} documents"  # warming up in a thread (WARM_UP)
    except IndexNotFound:
        what = _no_index_yet(index_dir)
    except IndexVersionMismatch as e:
        raise click.ClickException(str(e)) from None
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="lintas")
    except OSError as e:
        raise _listen_error(host, port, e) from None
    start_writer(app)
    _announce(what, index_dir, host, _bound_port(server))
    _stop_on_sigterm()
    try:
        # Returns on Ctrl+C or SIGTERM: waitress catches the KeyboardInterrupt itself.
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("Lintas stopped.")


def _bound_port(server) -> int:
    # A host name that resolves to several addresses gets a multi-socket server,
    # which has a list of (host, port) instead of one effective_port.
    if hasattr(server, "effective_port"):
        return server.effective_port
    return server.effective_listen[0][1]


# ---- several processes: gunicorn ---------------------------------------------------


def _serve_gunicorn(host: str, port: int, config: dict, workers: int, threads: int) -> None:
    index_dir = config["INDEX_DIR"]
    if os.name != "posix":
        raise click.ClickException("--workers above 1 needs fork (gunicorn): use --workers 1 here")
    from gunicorn.app.base import BaseApplication
    from gunicorn.http import message

    # The master only counts documents: no Engine (no searcher, no open files)
    # exists before the fork; each worker opens its own in _worker_app().
    try:
        ix = storage.open_index(index_dir)
        what = f"{ix.doc_count()} documents"
        ix.close()
    except IndexNotFound:
        what = _no_index_yet(index_dir)
    except IndexVersionMismatch as e:
        # Refuse to start: every search would fail until the index is rebuilt.
        raise click.ClickException(str(e)) from None

    # Bind here, not in gunicorn: a taken port fails at once with the same message
    # as waitress (gunicorn retries for 5 s, then logs), and --port 0 is known
    # before the start-up line. The workers inherit these sockets through fork.
    try:
        sockets = _listen(host, port)
    except OSError as e:
        raise _listen_error(host, port, e) from None

    # gunicorn caps the request line at 8190 bytes whatever limit_request_line
    # says; lift the cap so the limit below (waitress's) is the one that holds.
    if getattr(message, "MAX_REQUEST_LINE", MAX_REQUEST_LINE) < MAX_REQUEST_LINE:
        message.MAX_REQUEST_LINE = MAX_REQUEST_LINE

    options = {
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # Idle keep-alive connections wait in the worker's poller, not in a thread.
        "keepalive": 5,
        # In-flight searches are bounded by the engine's time limit.
        "graceful_timeout": 5,
        "limit_request_line": MAX_REQUEST_LINE,
        # No access log (gunicorn's default), and no INFO lines per worker boot:
        # warnings and errors (a worker killed, a crash) still show on stderr.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "lintas",
        # gunicorn >= 24 opens a control socket at one fixed path per user;
        # two Lintas servers would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }

    class Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"fd://{fd}" for fd in fds])
            for key, value in options.items():
                if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self):  # in each worker, after the fork (preload_app is off)
            return _worker_app(config)

    _announce(what, index_dir, host, sockets[0].getsockname()[1])
    # From here gunicorn owns the sockets: it closes them when it stops.
    fds = [s.detach() for s in sockets]
    master = os.getpid()
    try:
        Gunicorn().run()
    except SystemExit as e:
        if os.getpid() != master:  # a worker leaving: its exit is gunicorn's business
            raise
        if e.code not in (None, 0):  # gunicorn has logged why (a worker failed to boot...)
            raise
        click.echo("Lintas stopped.")
    except KeyboardInterrupt:  # Ctrl+C before gunicorn has set its signal handlers
        if os.getpid() != master:
            raise
        click.echo("Lintas stopped.")


def _worker_app(config: dict):
    """The Flask app of one gunicorn worker, with its own Engine (warming up in a thread)
    and a writer thread that writes if this worker wins the index's writer lock."""
    from . import create_app, engine_for
    from .writes import start_writer

    _be_nicer()  # before any thread of the worker starts: threads inherit it
    app = create_app(config)
    start_writer(app)
    try:
        engine_for(app)  # warming up in a thread (WARM_UP)
    except IndexNotFound:
        pass  # /health says 503; the first request after `lintas index` opens it (and warms it)
    return app


# glibc gives a thread that finds the arenas locked one of its own, up to 8 per
# core, and each keeps the memory it freed: a worker's request threads held
# ~10 MB more heap after serving 100k (2 workers, 8 clients) than with two arenas,
# at the same throughput (search threads take turns at the GIL anyway).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def _fewer_malloc_arenas() -> None:
    if os.environ.get("MALLOC_ARENA_MAX"):
        return  # the operator's own setting
    import ctypes

    with suppress(OSError, AttributeError):  # not glibc: its own allocator's defaults
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def _be_nicer() -> None:
    from search import merging

    merging.be_nicer()  # the search workers as nice as the background merges


def _listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address `host` resolves to, as waitress binds them.

    With port 0, the first socket picks the port and the others reuse it, so
    that one URL reaches all of them.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for family, kind, proto, _, addr in infos:
            if (family, addr) in seen:
                continue
            seen.add((family, addr))
            s = socket.socket(family, kind, proto)
            sockets.append(s)
            # Restart at once while the last run's connections sit in TIME_WAIT
            # (waitress and gunicorn both set it); a live listener still blocks the port.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(sockets) > 1:
                addr = (addr[0], sockets[0].getsockname()[1], *addr[2:])
            s.bind(addr)
            s.listen(2048)
    except OSError:
        for s in sockets:
            s.close()
        raise
    return sockets
