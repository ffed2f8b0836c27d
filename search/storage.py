"""Opening the on-disk index: existence, version check, creation."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import index as whoosh_index

from .errors import IndexNotFound, IndexVersionMismatch
from .schema import SCHEMA_VERSION, build_schema, changes_since

MARKER = "lintas.json"


def exists(index_dir: str | Path) -> bool:
    path = Path(index_dir)
    return path.is_dir() and whoosh_index.exists_in(str(path))


def open_index(index_dir: str | Path):
    """Open an existing index, or raise IndexNotFound / IndexVersionMismatch."""
    path = Path(index_dir)
    if not exists(path):
        raise IndexNotFound(
            f"no Lintas index at {path}: build one with `lintas index [PATH...] --index {path}`"
        )
    check_version(path)
    return whoosh_index.open_dir(str(path))


def check_version(path: Path) -> None:
    try:
        found = json.loads((path / MARKER).read_text()).get("schema")
    except (OSError, ValueError, AttributeError):
        found = None
    if found != SCHEMA_VERSION:
        raise IndexVersionMismatch(
            f"the index at {path} has schema version {found}, this Lintas uses {SCHEMA_VERSION}"
            f"{changes_since(found)}: "
            f"rebuild it with `lintas index --rebuild --index {path}`"
        )


def create_index(index_dir: str | Path):
    """Create an empty index (replacing whatever index was there)."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), build_schema())
    (path / MARKER).write_text(json.dumps({"schema": SCHEMA_VERSION}) + "\n")
    return ix
