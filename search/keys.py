"""API keys: created, listed and revoked by `lintas keys`, checked on every HTTP request
that needs one.

A key is `lintas_<id>_<secret>`: the id (8 hex characters) names it in listings
and revocations; only a SHA-256 of the whole key is stored (keys.sqlite3 in the
index directory), never the key. A plain hash and not a slow password hash:
the secret is 32 random bytes, so there is nothing to brute-force, and a
request must not pay 100 ms to be checked. The stored and the computed digests
are compared with hmac.compare_digest; an unknown id is compared against a
dummy, so a miss costs what a hit does.

Roles: `admin` may write (POST/DELETE /documents) and search; `search` may only
search, and matters only under `lintas serve --require-key`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import LintasError

KEYS_FILE = "keys.sqlite3"
ROLES = ("admin", "search")
_KEY = re.compile(r"lintas_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")
_DUMMY = hashlib.sha256(b"lintas: no such key").hexdigest()


class KeyNotFound(LintasError):
    status = 404


@dataclass(frozen=True)
class KeyInfo:
    id: str
    role: str
    name: str
    created: float
    revoked: float | None


class KeyStore:
    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / KEYS_FILE
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, role TEXT NOT NULL, "
                       "name TEXT NOT NULL, digest TEXT NOT NULL, created REAL NOT NULL, revoked REAL)")
            self._local.db = db
        return db

    def create(self, role: str, name: str = "") -> tuple[KeyInfo, str]:
        """A new key: (its info, the key itself, to show once and never again)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        db = self._db()
        while True:
            key_id = secrets.token_hex(4)
            key = f"lintas_{key_id}_{secrets.token_urlsafe(32)}"
            info = KeyInfo(key_id, role, name, time.time(), None)
            try:
                db.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?, NULL)",
                           (key_id, role, name, _digest(key), info.created))
                return info, key
            except sqlite3.IntegrityError:  # the id is taken: draw again
                continue

    def list(self) -> list[KeyInfo]:
        rows = self._db().execute("SELECT id, role, name, created, revoked FROM keys ORDER BY created")
        return [KeyInfo(*row) for row in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        db = self._db()
        db.execute("UPDATE keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id))
        row = db.execute("SELECT id, role, name, created, revoked FROM keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise KeyNotFound(f"no key with id {key_id!r}: `lintas keys list` shows them")
        return KeyInfo(*row)

    def role_of(self, key: str) -> str | None:
        """The role of a valid, unrevoked key; None for anything else."""
        match = _KEY.fullmatch(key)
        row = None
        if match:
            row = self._db().execute("SELECT digest, role, revoked FROM keys WHERE id = ?",
                                     (match[1],)).fetchone()
        stored = row[0] if row else _DUMMY
        same = hmac.compare_digest(stored, _digest(key))
        if not (match and row and same) or row[2] is not None:
            return None
        return row[1]

    def any(self) -> bool:
        return self.path.exists() and self._db().execute(
            "SELECT 1 FROM keys WHERE revoked IS NULL LIMIT 1").fetchone() is not None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
