"""The write queue: documents accepted over HTTP (or from `lintas index` while a
server writes) wait here, on disk, until the one index writer has applied them.

Why SQLite in WAL mode: a write is acknowledged only once it is durable, and
several processes (gunicorn workers, the CLI) append while one drains. SQLite
gives that in the standard library: a transaction is all or nothing across a
kill -9; `synchronous=FULL` fsyncs the WAL before COMMIT returns, so an
acknowledged batch survives a power cut too; WAL lets the appenders, the
status readers and the writer work without blocking one another (one appender
at a time, for a millisecond). A JSONL file with our own fsync and locking would
have to re-invent torn-write recovery; committing to Whoosh per request would
take the index's write lock on every request (LockError under load) and a
commit of ~50 ms each.

Tables: `tasks` (one per accepted request: its ops' last sequence number), `ops`
(document puts and deletes) and `state`: `applied_seq`, the last op committed to
Whoosh (a task is "indexed", so searchable, once its last op is applied), and
`durable_seq`, the last op whose commit has been fsynced (a checkpoint, every
couple of seconds, search/writer.py). Ops are deleted only up to `durable_seq`;
a new writer starts again from there (`rewind`), re-applying at most a few
seconds of ops, which changes nothing: every put is an update by id. Fsyncing
each commit instead would put ~200 ms of disk flushes on every batch's latency.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .documents import Document
from .errors import LintasError

QUEUE_FILE = "queue.sqlite3"
# Pending ops past which a new batch is refused (429): a bounded backlog the
# writer clears in seconds, never an unbounded one. Measured drain: see bench/ingest_load.py.
MAX_PENDING = 20_000
BUSY_TIMEOUT_MS = 5_000
# Tasks older than this are forgotten once indexed; /tasks/<n> still says
# "indexed" for them (every forgotten task was indexed first).
KEEP_TASKS_SECONDS = 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    ops INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('put', 'delete')),
    doc_id TEXT NOT NULL,
    doc TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    task INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES ('applied_seq', 0), ('durable_seq', 0), ('forgotten_task', 0);
"""


class QueueFull(LintasError):
    """More documents wait than the writer may have pending; the client retries later."""

    status = 429
    retry_after = 2


class QueueUnavailable(LintasError):
    """The queue's database could not be written in time (disk full, locked)."""

    status = 503
    retry_after = 5


@dataclass(frozen=True)
class Op:
    kind: str  # put | delete
    doc_id: str
    doc: Document | None = None


@dataclass(frozen=True)
class Pending:
    seq: int
    task: int
    op: Op


def encode(doc: Document) -> str:
    return json.dumps({"id": doc.id, "title": doc.title, "text": doc.text, "lang": doc.lang,
                       "date": doc.date.isoformat() if doc.date else None,
                       "source": doc.source, "url": doc.url, "author": doc.author}, ensure_ascii=False)


def decode(raw: str) -> Document:
    fields = json.loads(raw)
    fields["date"] = date.fromisoformat(fields["date"]) if fields["date"] else None
    return Document(**fields)


class WriteQueue:
    """The queue of one index directory; safe to use from many threads and processes."""

    def __init__(self, index_dir: str | Path, max_pending: int = MAX_PENDING):
        self.path = Path(index_dir) / QUEUE_FILE
        self.max_pending = max_pending
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            self._local.db = db
        return db

    def _tx(self, work):
        """Run work(db) in one write transaction; sqlite's errors become QueueUnavailable."""
        try:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result
        except sqlite3.OperationalError as e:
            # "database is locked" past the busy timeout, "disk I/O error", "database or disk is full"
            self._local.db = None
            raise QueueUnavailable(f"the write queue cannot be written now ({e}); try again shortly") from None

    # -- appending (any process)

    def enqueue(self, ops: list[Op]) -> int:
        """Store the ops durably as one task; returns its number. Raises QueueFull."""
        if not ops:
            raise ValueError("a task needs at least one op")

        def work(db):
            pending = db.execute("SELECT count(*) FROM ops WHERE seq > ?", (self._state(db)[0],)).fetchone()[0]
            if pending and pending + len(ops) > self.max_pending:
                raise QueueFull(
                    f"{pending} documents are waiting to be indexed (the limit is {self.max_pending}): "
                    f"retry in a few seconds")
            task = db.execute("INSERT INTO tasks (created, ops, last_seq) VALUES (?, ?, 0)",
                              (time.time(), len(ops))).lastrowid
            db.executemany("INSERT INTO ops (task, kind, doc_id, doc) VALUES (?, ?, ?, ?)",
                           [(task, op.kind, op.doc_id, encode(op.doc) if op.doc else None) for op in ops])
            last = db.execute("SELECT max(seq) FROM ops WHERE task = ?", (task,)).fetchone()[0]
            db.execute("UPDATE tasks SET last_seq = ? WHERE task = ?", (last, task))
            return task

        return self._tx(work)

    # -- reading (any process)

    def status(self, task: int) -> dict | None:
        """{"task", "status": enqueued|indexed, "documents", "failed"} or None if no such task."""
        try:
            db = self._db()
            row = db.execute("SELECT ops, last_seq FROM tasks WHERE task = ?", (task,)).fetchone()
            applied, forgotten = self._state(db)
            if row is None:
                if 0 < task <= forgotten:
                    return {"task": task, "status": "indexed", "documents": None, "failed": []}
                return None
            failed = [{"id": doc_id, "error": error} for doc_id, error in
                      db.execute("SELECT doc_id, error FROM failures WHERE task = ?", (task,))]
        except sqlite3.OperationalError as e:
            self._local.db = None
            raise QueueUnavailable(f"the write queue cannot be read now ({e})") from None
        ops, last_seq = row
        return {"task": task, "status": "indexed" if last_seq <= applied else "enqueued",
                "documents": ops, "failed": failed}

    def summary(self) -> dict:
        """For /health: ops waiting, the last task given out and the last one indexed."""
        db = self._db()
        pending = db.execute("SELECT count(*) FROM ops WHERE seq > ?", (self._state(db)[0],)).fetchone()[0]
        last_task = db.execute("SELECT max(task) FROM tasks").fetchone()[0] or 0
        applied, forgotten = self._state(db)
        last_task = max(last_task, forgotten)
        first_waiting = db.execute("SELECT min(task) FROM tasks WHERE last_seq > ?", (applied,)).fetchone()[0]
        indexed = last_task if first_waiting is None else first_waiting - 1
        return {"pending": pending, "last_task": last_task, "indexed_task": indexed}

    @staticmethod
    def _state(db) -> tuple[int, int]:
        values = dict(db.execute("SELECT name, value FROM state"))
        return values["applied_seq"], values["forgotten_task"]

    # -- draining (the one writer)

    def take(self, limit: int) -> list[Pending]:
        """The oldest ops not applied yet, at most `limit`."""
        db = self._db()
        rows = db.execute("SELECT seq, task, kind, doc_id, doc FROM ops WHERE seq > ? ORDER BY seq LIMIT ?",
                          (self._state(db)[0], limit)).fetchall()
        return [Pending(seq, task, Op(kind, doc_id, decode(doc) if doc else None))
                for seq, task, kind, doc_id, doc in rows]

    def oldest_waiting(self) -> float | None:
        """When the task of the oldest op not applied yet was enqueued (time.time()); None
        if none waits. Two primary-key lookups: the writer asks every IDLE_POLL."""
        db = self._db()
        row = db.execute("SELECT task FROM ops WHERE seq > ? ORDER BY seq LIMIT 1",
                         (self._state(db)[0],)).fetchone()
        if row is None:
            return None
        created = db.execute("SELECT created FROM tasks WHERE task = ?", row).fetchone()
        return created[0] if created else 0.0  # a task forgotten meanwhile: long overdue

    def applied(self, upto_seq: int, failures: list[tuple[int, str, str]] = ()) -> None:
        """Every op up to `upto_seq` is committed to the index (searchable)."""
        def work(db):
            db.execute("UPDATE state SET value = max(value, ?) WHERE name = 'applied_seq'", (upto_seq,))
            db.executemany("INSERT INTO failures VALUES (?, ?, ?)", failures)

        self._tx(work)

    def applied_seq(self) -> int:
        return self._state(self._db())[0]

    def rewind(self) -> None:
        """A new writer: apply again everything after the last checkpoint."""
        self._tx(lambda db: db.execute(
            "UPDATE state SET value = (SELECT value FROM state WHERE name = 'durable_seq') "
            "WHERE name = 'applied_seq'"))

    def durable(self, upto_seq: int) -> None:
        """The index's files holding every op up to `upto_seq` are fsynced: drop those ops."""
        def work(db):
            db.execute("DELETE FROM ops WHERE seq <= ?", (upto_seq,))
            db.execute("UPDATE state SET value = max(value, ?) WHERE name = 'durable_seq'", (upto_seq,))
            old = db.execute("SELECT max(task) FROM tasks WHERE created < ? AND last_seq <= ?",
                             (time.time() - KEEP_TASKS_SECONDS, upto_seq)).fetchone()[0]
            if old:
                db.execute("DELETE FROM tasks WHERE task <= ?", (old,))
                db.execute("DELETE FROM failures WHERE task <= ?", (old,))
                db.execute("UPDATE state SET value = max(value, ?) WHERE name = 'forgotten_task'", (old,))

        self._tx(work)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
