"""The near-duplicate band keys of one build run's own documents, in bounded memory.

A Clusterer (search/dedup.py) remembers the 16 band keys of every document of its
run until a reader holds them. A sharded build's coordinator clusters a whole run
against every shard and never gets such a reader mid-run, so the table grows with
the run: ~1.8 KB a document as a dict (1.8 GB at 1M documents). This keeps the
first MEMORY_KEYS keys in a dict, as before (a 100k run stays there), and moves
them into a scratch SQLite file once there are more: one lookup and one insert
statement per document from then on, memory bounded by SQLite's page cache.

First label wins, as with dict.setdefault: a key keeps the cluster of the first
document that had it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MEMORY_KEYS = 2_000_000  # ~220 MB of dict; 125k documents
CACHE_KB = 64 * 1024


class RunBands:
    def __init__(self, path: str | Path, memory_keys: int = MEMORY_KEYS):
        self.path = Path(path)
        self.memory_keys = memory_keys
        self._mem: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def labels(self, keys: list[str]) -> list[str]:
        """The labels of those of `keys` already seen, in the order of `keys`."""
        if self._db is None:
            mem = self._mem
            return [mem[k] for k in keys if k in mem]
        found = dict(self._db.execute(
            f"SELECT key, label FROM bands WHERE key IN ({','.join('?' * len(keys))})", keys))
        return [found[k] for k in keys if k in found]

    def remember(self, keys: list[str], label: str) -> None:
        if self._db is None:
            mem = self._mem
            for k in keys:
                mem.setdefault(k, label)
            if len(mem) > self.memory_keys:
                self._spill()
            return
        self._db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", [(k, label) for k in keys])

    def _spill(self) -> None:
        self.path.unlink(missing_ok=True)
        # A scratch file, rebuilt from the input by a re-run: no journal, no fsync.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        db.execute("CREATE TABLE bands (key TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID")
        db.execute("BEGIN")
        db.executemany("INSERT INTO bands VALUES (?, ?)", self._mem.items())
        self._mem = {}
        self._db = db

    def clear(self) -> None:
        self.close()

    def close(self) -> None:
        self._mem = {}
        if self._db is not None:
            self._db.close()
            self._db = None
            self.path.unlink(missing_ok=True)
