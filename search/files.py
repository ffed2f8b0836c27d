"""Files of the index that must be whole or absent after a crash.

Every derived file beside the Whoosh segments (posting sidecars, vectors and
their manifest, cross-script tables, shard statistics) is written the same way:
to a temporary name, fsynced, then renamed over the old one, so a reader or a
process restarted after `kill -9` never sees half a file. The temporary name
carries the writer's pid, so two writers never share one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def temp_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp{os.getpid()}")


@contextmanager
def atomic_write(path: Path, mode: str = "wb", sync_dir: bool = False) -> Iterator[IO]:
    """Open a temporary file for `path`; on a clean exit fsync it and rename it over `path`
    (and fsync the folder, so the rename itself survives power loss, when `sync_dir`)."""
    tmp = temp_name(path)
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a folder's renames and new names durable (POSIX; a no-op where a folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
