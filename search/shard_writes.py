"""The write API over a sharded index: each shard keeps its own write queue and writer
(search/queue.py, search/writer.py, unchanged), and this routes to them.

A request's ops are split by owner (`shards.shard_of(id)`) and each part stored in
its shard's queue, durably, before the request is answered; the request's task
(`<index>/tasks.sqlite3`) only records which shard tasks it is made of, so that
/tasks/<n> says "indexed" once every part is. A put and a later delete of one id
reach the same shard, hence the same queue, in order.

The guarantees are the shard queues' own: an acknowledged document survives a
kill -9 and is indexed once. A request that a shard refuses (its queue full: 429,
or unwritable: 503) may have had parts stored in other shards first: they are
indexed though the client was told to retry, which changes nothing when it does
(every put is an update by id).

A shard's writer does not publish the shard's stats.json (search/shard_stats.py),
so the thread that holds a shard's writer lock here does, after each of its commits.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from . import shard_stats, shards, storage
from .queue import MAX_PENDING, Op, QueueUnavailable, WriteQueue
from .writer import WriterThread, run_beside_parent

TASKS_FILE = "tasks.sqlite3"
PUBLISH_EVERY = 0.5  # seconds between looks for a shard's new commit
BUSY_TIMEOUT = 5.0
# /health looks back this many tasks for the last one wholly indexed.
HEALTH_WINDOW = 1000

log = logging.getLogger("lintas.writer")


class ShardedQueue:
    """WriteQueue's interface (enqueue, status, summary, path) over a sharded index."""

    def __init__(self, index_dir: str | Path, max_pending: int = MAX_PENDING):
        self.root = Path(index_dir)
        self.n = shards.shard_count(self.root)
        self.queues = [WriteQueue(d, max_pending=max_pending) for d in shards.shard_dirs(self.root)]
        self.path = self.root / TASKS_FILE
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE IF NOT EXISTS tasks (task INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "created REAL NOT NULL, parts TEXT NOT NULL)")
            self._local.db = db
        return db

    def enqueue(self, ops: list[Op]) -> int:
        if not ops:
            raise ValueError("a task needs at least one op")
        by_shard: dict[int, list[Op]] = {}
        for op in ops:
            by_shard.setdefault(shards.shard_of(op.doc_id, self.n), []).append(op)
        parts = [[shard, self.queues[shard].enqueue(mine)] for shard, mine in sorted(by_shard.items())]
        try:
            db = self._db()
            return db.execute("INSERT INTO tasks (created, parts) VALUES (?, ?)",
                              (time.time(), json.dumps(parts))).lastrowid
        except sqlite3.OperationalError as e:
            self._local.db = None
            raise QueueUnavailable(f"the write queue cannot be written now ({e}); try again shortly") from None

    def _parts(self, task: int) -> list | None:
        try:
            row = self._db().execute("SELECT parts FROM tasks WHERE task = ?", (task,)).fetchone()
        except sqlite3.OperationalError as e:
            self._local.db = None
            raise QueueUnavailable(f"the write queue cannot be read now ({e})") from None
        return None if row is None else json.loads(row[0])

    def status(self, task: int) -> dict | None:
        parts = self._parts(task)
        if parts is None:
            return None
        statuses = [self.queues[shard].status(t) for shard, t in parts]
        documents = [s["documents"] for s in statuses if s]
        return {"task": task,
                "status": "indexed" if all(s is None or s["status"] == "indexed" for s in statuses)
                else "enqueued",
                "documents": sum(documents) if None not in documents else None,
                "failed": [f for s in statuses if s for f in s["failed"]]}

    def summary(self) -> dict:
        db = self._db()
        last_task = db.execute("SELECT max(task) FROM tasks").fetchone()[0] or 0
        summaries = [q.summary() for q in self.queues]
        rows = db.execute("SELECT task, parts FROM tasks WHERE task > ? ORDER BY task",
                          (last_task - HEALTH_WINDOW,)).fetchall()
        indexed = rows[0][0] - 1 if rows else last_task
        for task, parts in rows:
            if any(t > summaries[shard]["indexed_task"] for shard, t in json.loads(parts)):
                break
            indexed = task
        return {"pending": sum(s["pending"] for s in summaries), "last_task": last_task,
                "indexed_task": indexed}


class ShardedWriterThread:
    """One WriterThread per shard (each waits for its shard's lock), and the publishing
    of a shard's statistics after the commits of the writer that holds its lock."""

    def __init__(self, index_dir: str | Path, grace: float = 0.0):
        self.dirs = shards.shard_dirs(index_dir)
        self.threads = [WriterThread(d, grace=grace) for d in self.dirs]
        self._stop = threading.Event()
        self._publisher = threading.Thread(target=self._publish, name="lintas-shard-stats", daemon=True)

    @property
    def error(self) -> str | None:
        return next((t.error for t in self.threads if t.error), None)

    def start(self) -> "ShardedWriterThread":
        for t in self.threads:
            t.start()
        self._publisher.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        for t in self.threads:
            t.stop(timeout)
        self._stop.set()
        self._publisher.join(timeout)

    def _publish(self) -> None:
        published: dict[int, int] = {}
        while not self._stop.wait(PUBLISH_EVERY):
            for i, (d, t) in enumerate(zip(self.dirs, self.threads)):
                if not t.lock.held:
                    continue
                try:
                    ix = storage.open_index(d)
                    gen = ix.latest_generation()
                    if published.get(i) != gen:
                        shard_stats.publish(d, ix)
                        published[i] = gen
                except Exception:  # noqa: BLE001 - the next look tries again; stats are for display
                    log.exception("could not publish the statistics of %s", d)


def main(argv: list[str] | None = None) -> int:
    """`python -m search.shard_writes INDEX_DIR [PARENT_PID]`: the writers `lintas serve` starts
    for a sharded index; they end with their parent."""
    return run_beside_parent("search.shard_writes", ShardedWriterThread, argv)

if __name__ == "__main__":
    raise SystemExit(main())
