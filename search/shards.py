"""An index in shards: a manifest, and one ordinary Lintas index per shard.

    <index>/shards.json          {"shards": N, "schema": SCHEMA_VERSION}
    <index>/shard-000/ ...       each a whole Whoosh index (its own commits, locks, sidecars)

A document's shard is a stable hash of its id (`shard_of`), so an update or a
delete always reaches the shard that holds the old version; N is fixed when the
index is created (moving documents between shards would be a rebuild).

`ShardedIndex` opens every shard and presents their segments as one reader: its
searchers see the same terms, document frequencies, field lengths and
per-language document counts as one index of the same documents, so BM25F,
respelling, suggestions and the cross-script tables compute what they compute
on one index, exactly (the statistics are sums over segments either way). A
shard that cannot be opened is left out and named in `failed`: searches then
answer from the others and say so (`partial`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from whoosh.reading import EmptyReader, MultiReader
from whoosh.searching import Searcher

from . import storage
from .errors import BadRequest, IndexVersionMismatch, LintasError
from .schema import SCHEMA_VERSION, build_schema

MANIFEST = "shards.json"
MAX_SHARDS = 256


def is_sharded(index_dir: str | Path) -> bool:
    return (Path(index_dir) / MANIFEST).is_file()


def shard_count(index_dir: str | Path) -> int:
    """N of a sharded index (raises IndexVersionMismatch for another schema's manifest)."""
    path = Path(index_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        n, schema = int(manifest["shards"]), manifest.get("schema")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LintasError(f"{path} is not a readable shard manifest ({e})") from None
    if schema != SCHEMA_VERSION:
        raise IndexVersionMismatch(
            f"the sharded index at {index_dir} has schema version {schema}, this Lintas uses "
            f"{SCHEMA_VERSION}: rebuild it with `lintas index --rebuild --shards {n} --index {index_dir}`")
    return n


def shard_dir(index_dir: str | Path, shard: int) -> Path:
    return Path(index_dir) / f"shard-{shard:03d}"


def shard_dirs(index_dir: str | Path) -> list[Path]:
    return [shard_dir(index_dir, i) for i in range(shard_count(index_dir))]


def shard_of(doc_id: str, shards: int) -> int:
    """The shard that owns `doc_id`: the same on every machine and Python (not hash())."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def create(index_dir: str | Path, shards: int) -> list[Path]:
    """A new sharded index of `shards` empty shards (replacing the shards' contents)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise BadRequest(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    dirs = [shard_dir(root, i) for i in range(shards)]
    for d in dirs:
        storage.create_index(d)
    # Written last: a run killed before this point leaves no manifest, hence no
    # half-made sharded index that would open.
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"shards": shards, "schema": SCHEMA_VERSION}) + "\n")
    tmp.replace(root / MANIFEST)
    return dirs


@dataclass(frozen=True)
class ShardSpan:
    """Where one shard's documents sit among the sharded reader's docnums."""

    shard: int
    start: int
    stop: int


class ShardedIndex:
    """What the engine needs of a Whoosh index (schema, reader, searcher, generation),
    over every shard at once."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self.dirs = shard_dirs(self.index_dir)
        self.schema = build_schema()
        self._ix: dict[int, object] = {}
        self.failed: dict[int, str] = {}  # shard -> why it is left out
        self._open_missing()

    @property
    def shards(self) -> int:
        return len(self.dirs)

    def _open_missing(self) -> None:
        for i, d in enumerate(self.dirs):
            if i in self._ix:
                continue
            try:
                self._ix[i] = storage.open_index(d)
                self.failed.pop(i, None)
            except (LintasError, OSError, ValueError, EOFError) as e:
                self.failed[i] = str(e)

    def latest_generation(self) -> int:
        """A number that grows with every commit to any shard (their generations' sum),
        or when a shard left out comes back (hence the bonus per open shard)."""
        if self.failed:
            self._open_missing()
        gens = []
        for i in sorted(self._ix):
            try:
                gens.append(self._ix[i].latest_generation())
            except OSError as e:  # the shard's directory went away under us
                del self._ix[i]
                self.failed[i] = str(e)
        return sum(gens) + (1 << 20) * len(gens)

    def shard_indexes(self) -> dict[int, object]:
        return dict(self._ix)

    def reader(self):
        gen = self.latest_generation()
        leaves, spans, start = [], [], 0
        for i in sorted(self._ix):
            r = self._ix[i].reader()
            parts = [leaf for leaf, _ in r.leaf_readers()] if r.doc_count_all() else []
            n = sum(p.doc_count_all() for p in parts)
            leaves.extend(parts)
            spans.append(ShardSpan(i, start, start + n))
            start += n
        reader = MultiReader(leaves, generation=gen) if leaves else _Empty(self.schema, gen)
        reader.shard_spans = spans
        return reader

    def searcher(self, **kwargs) -> Searcher:
        return Searcher(self.reader(), fromindex=self, **kwargs)


class _Empty(EmptyReader):
    def __init__(self, schema, gen):
        super().__init__(schema)
        self._gen = gen

    def generation(self):
        return self._gen


def open_any(index_dir: str | Path):
    """A sharded index if `index_dir` has a shard manifest, else the plain Whoosh index."""
    if is_sharded(index_dir):
        return ShardedIndex(index_dir)
    return storage.open_index(index_dir)


def index_size(index_dir: str | Path) -> int:
    root = Path(index_dir)
    dirs = shard_dirs(root) if is_sharded(root) else [root]
    return sum(f.stat().st_size for d in dirs if d.is_dir() for f in d.iterdir() if f.is_file())
