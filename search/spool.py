"""The batch files a sharded build's coordinator streams to its shard tasks.

A batch's task is submitted when the batch's first document is spooled, not when
its last one is: the worker indexes while the coordinator is still reading the
input, instead of the whole first round of batches (commit_every documents per
shard) being read, hashed and clustered before any worker starts.

A batch file is JSON lines, ended by an `{"end": count}` line when the batch is
complete, or an `{"abort": why}` line when the run failed. The task reads lines
as they are written; an incomplete last line waits for the rest. A coordinator
that dies without saying so stops touching its heartbeat file: a task that sees
it stale for STALL_SECONDS, or gone (a later run cleared the spool), gives up
with nothing committed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from .errors import LintasError

HEARTBEAT = "coordinator.alive"
BEAT_SECONDS = 2.0
# Long: a coordinator on a loaded machine, or reading a long run of unchanged
# documents, may write nothing to one shard for minutes.
STALL_SECONDS = 600.0
POLL_SECONDS = 0.02
FLUSH_EVERY = 32


class BatchAborted(LintasError):
    """The coordinator gave up on the run, or is gone: the batch is not committed."""


class Heartbeat:
    """Touches `<spool>/coordinator.alive` every BEAT_SECONDS while the run lasts."""

    def __init__(self, spool: Path):
        self.path = Path(spool) / HEARTBEAT
        self.path.touch()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lintas-spool-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_SECONDS):
            try:
                os.utime(self.path)
            except OSError:
                return  # the spool was removed: the run is over

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class BatchWriter:
    """One batch being spooled: records appended, then `end()` (or `abort()`)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.count = 0
        self._fh = open(self.path, "w", encoding="utf-8")

    def append(self, record: dict) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1
        if self.count % FLUSH_EVERY == 0:
            self._fh.flush()

    def end(self) -> None:
        self._close({"end": self.count})

    def abort(self, why: str) -> None:
        if not self._fh.closed:
            self._close({"abort": why})

    def _close(self, last: dict) -> None:
        self._fh.write(json.dumps(last) + "\n")
        self._fh.close()


def read(path: str | Path, stall: float = STALL_SECONDS, poll: float = POLL_SECONDS):
    """The records of a batch file, as they are written; raises BatchAborted if the run
    failed or its coordinator is gone, LintasError if the file is not a batch."""
    path = Path(path)
    beat = path.parent / HEARTBEAT
    last_beat, quiet_since = None, time.monotonic()
    with open(path, "rb") as fh:
        partial = b""
        while True:
            chunk = fh.readline()
            if chunk.endswith(b"\n"):
                rec = json.loads(partial + chunk)
                partial = b""
                if "end" in rec and len(rec) == 1:
                    return
                if "abort" in rec and len(rec) == 1:
                    raise BatchAborted(f"the build was stopped: {rec['abort']}")
                yield rec
                continue
            partial += chunk
            try:
                mtime = beat.stat().st_mtime_ns
            except OSError:
                raise BatchAborted(f"the build that wrote {path.name} is gone") from None
            now = time.monotonic()
            if mtime != last_beat:
                last_beat, quiet_since = mtime, now
            elif now - quiet_since > stall:
                raise BatchAborted(f"the build that writes {path.name} has not been heard from "
                                   f"for {stall:.0f} s")
            time.sleep(poll)
