"""The Dask cluster that sharded indexes are built and searched on.

dask and distributed enter the project here and nowhere else. With no address,
a LocalCluster: one single-threaded worker process per core (analysis and
scoring hold the GIL, so threads would not add cores), every socket of it bound
to 127.0.0.1 (the scheduler's HTTP endpoint included: on a free port, since a
fixed one collides with any other cluster on the machine). With `--scheduler tcp://HOST:PORT`, the same code runs on an existing
cluster whose workers see the index directory at the same path.

The Active Memory Manager is turned off: it drops replicas it thinks are extra,
which stalled queries for seconds in ../shared/research/NOTES.md §5.2.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager

from .errors import LintasError

CONNECT_TIMEOUT = "10s"
WORKERS_TIMEOUT = 120
_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


class ClusterUnavailable(LintasError):
    """The Dask scheduler cannot be reached, or a worker died under a task."""

    status = 503


def _settings() -> dict:
    return {"distributed.scheduler.active-memory-manager.start": False,
            # Workers here run one shard task at a time; Dask's own warnings about
            # long GIL holds (analysis is pure Python) would only be noise.
            "distributed.admin.tick.limit": "60s",
            "distributed.worker.daemon": False}


def check_address(address: str) -> str:
    if not _ADDRESS.match(address or ""):
        raise LintasError(f"--scheduler {address!r} is not a scheduler address: use tcp://HOST:PORT")
    return address


def local_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 64))


@contextmanager
def client(scheduler: str | None = None, workers: int | None = None):
    """A connected distributed.Client: to `scheduler`, else to a new LocalCluster of
    `workers` processes (default: one per core), closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(_settings()):
        if scheduler:
            check_address(scheduler)
            try:
                c = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as e:
                raise ClusterUnavailable(f"no Dask scheduler answers at {scheduler}: {e}") from None
            try:
                yield c
            finally:
                c.close()
            return
        try:
            cluster = LocalCluster(n_workers=workers or local_workers(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        except RuntimeError as e:
            # Dask's "Nanny failed to start": most often a script without a main guard,
            # whose spawned workers import it and start a cluster of their own.
            raise ClusterUnavailable(
                f"the local Dask workers did not start ({e}); a script that calls Lintas's sharded build "
                "or search must do it under `if __name__ == \"__main__\":`, since each worker is a new "
                "Python process that imports the script") from None
        c = Client(cluster)
        try:
            # A loaded machine starts workers late; shards are placed by worker address.
            c.wait_for_workers(workers or local_workers(), timeout=WORKERS_TIMEOUT)
        except (TimeoutError, OSError) as e:
            c.close()
            cluster.close()
            raise ClusterUnavailable(f"the local Dask workers did not start: {e}") from None
        try:
            yield c
        finally:
            c.close()
            cluster.close()


def connect(scheduler: str):
    """A long-lived client to an existing scheduler (a server's, kept for its lifetime)."""
    import dask
    from distributed import Client

    check_address(scheduler)
    dask.config.set(_settings())
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as e:
        raise ClusterUnavailable(f"no Dask scheduler answers at {scheduler}: {e}") from None


def worker_addresses(c) -> list[str]:
    return sorted(c.scheduler_info(n_workers=-1)["workers"])


def placement(addresses: list[str], shard: int) -> dict:
    """submit() options that keep a shard on one worker while it lives (its files and
    searcher stay warm there), and let any other take it when it does not."""
    if not addresses:
        return {}
    return {"workers": [addresses[shard % len(addresses)]], "allow_other_workers": True}


def as_completed(futures):
    from distributed import as_completed as _as_completed

    return _as_completed(futures)


def wait(futures, timeout: float):
    """(done, not_done) after at most `timeout` seconds."""
    from distributed import wait as _wait

    try:
        return _wait(futures, timeout=max(timeout, 0.0))
    except TimeoutError:
        done = {f for f in futures if f.done()}
        return done, {f for f in futures if f not in done}


def task_failures() -> tuple[type[BaseException], ...]:
    """What gathering a task's result raises when its worker died (beyond the task's own errors)."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    return (KilledWorker, FutureCancelledError, OSError)
