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
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from whoosh.reading import EmptyReader, MultiReader
from whoosh.searching import Searcher

from . import codec, files, storage
from .errors import BadRequest, IndexVersionMismatch, LintasError
from .schema import SCHEMA_VERSION, build_schema, changes_since

MANIFEST = "shards.json"
MAX_SHARDS = 256


def is_sharded(index_dir: str | Path) -> bool:
    return (Path(index_dir) / MANIFEST).is_file()


def _manifest(index_dir: str | Path) -> tuple[int, str]:
    """(N, the directory under the index's root that holds the shards: "" for the root)."""
    path = Path(index_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        n, schema, sub = int(manifest["shards"]), manifest.get("schema"), str(manifest.get("dir", ""))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LintasError(f"{path} is not a readable shard manifest ({e})") from None
    if schema != SCHEMA_VERSION:
        raise IndexVersionMismatch(
            f"the sharded index at {index_dir} has schema version {schema}, this Lintas uses "
            f"{SCHEMA_VERSION}{changes_since(schema)}: rebuild it with "
            f"`lintas index --rebuild --shards {n} --index {index_dir}`")
    if sub and not _GENERATION.match(sub):
        raise LintasError(f"{path} names no shard directory of this index ({sub!r})")
    return n, sub


def shard_count(index_dir: str | Path) -> int:
    """N of a sharded index (raises IndexVersionMismatch for another schema's manifest)."""
    return _manifest(index_dir)[0]


def shard_dir(index_dir: str | Path, shard: int) -> Path:
    return shard_dirs(index_dir)[shard]


def shard_dirs(index_dir: str | Path) -> list[Path]:
    n, sub = _manifest(index_dir)
    return _dirs(Path(index_dir) / sub if sub else Path(index_dir), n)


def _dirs(base: Path, n: int) -> list[Path]:
    return [base / f"shard-{i:03d}" for i in range(n)]


def shard_of(doc_id: str, shards: int) -> int:
    """The shard that owns `doc_id`: the same on every machine and Python (not hash())."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def create(index_dir: str | Path, shards: int) -> list[Path]:
    """A new sharded index of `shards` empty shards (replacing the shards' contents)."""
    _check_count(shards)
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    dirs = _dirs(root, shards)
    for d in dirs:
        storage.create_index(d)
    # Written last: a run killed before this point leaves no manifest, hence no
    # half-made sharded index that would open.
    _write_manifest(root, shards, "")
    return dirs


def _check_count(shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS:
        raise BadRequest(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")


def _write_manifest(root: Path, shards: int, sub: str) -> None:
    manifest = {"shards": shards, "schema": SCHEMA_VERSION, **({"dir": sub} if sub else {})}
    with files.atomic_write(root / MANIFEST, "w", sync_dir=True) as f:
        f.write(json.dumps(manifest) + "\n")


# A rebuild's shards: built beside the live ones, in a directory of their own, and made
# the index in one step, by the manifest naming that directory (`switch`).
_GENERATION = re.compile(r"^shards-[0-9a-f]{12}$")


def stage(index_dir: str | Path, shards: int) -> tuple[str, list[Path]]:
    """Empty shards for a rebuild, which readers do not see until `switch`."""
    _check_count(shards)
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    sub = f"shards-{secrets.token_hex(6)}"
    dirs = _dirs(root / sub, shards)
    for d in dirs:
        storage.create_index(d)
    return sub, dirs


def switch(index_dir: str | Path, shards: int, sub: str) -> None:
    """Make the staged shards in `sub` the index (atomically: one manifest replaced), then
    remove every other generation of shards."""
    root = Path(index_dir)
    _write_manifest(root, shards, sub)
    remove_unused(root)


def remove_unused(index_dir: str | Path) -> None:
    """Shards the manifest does not name: an older generation, or a killed rebuild's."""
    root = Path(index_dir)
    _n, sub = _manifest(root)
    for d in root.iterdir():
        if d.is_dir() and _GENERATION.match(d.name) and d.name != sub:
            shutil.rmtree(d, ignore_errors=True)
    if sub:
        for d in root.glob("shard-[0-9][0-9][0-9]"):
            shutil.rmtree(d, ignore_errors=True)


@dataclass(frozen=True)
class ShardSpan:
    """Where one shard's documents sit among the sharded reader's docnums."""

    shard: int
    start: int
    stop: int


class ShardedIndex:
    """What the engine needs of a Whoosh index (schema, reader, searcher, generation),
    over every shard at once."""

    def __init__(self, index_dir: str | Path, dirs: list[Path] | None = None):
        self.index_dir = Path(index_dir)
        # `dirs`: shards not (yet) named by the manifest, a rebuild's.
        self._fixed = dirs is not None
        self.dirs = list(dirs) if dirs is not None else shard_dirs(self.index_dir)
        self.schema = build_schema()
        self._ix: dict[int, object] = {}
        self.failed: dict[int, str] = {}  # shard -> why it is left out
        self._manifest_seen = self._manifest_stat()
        self._epoch = 0  # rebuilds seen: the generation keeps growing across them
        self._open_missing()

    def _manifest_stat(self):
        try:
            st = (self.index_dir / MANIFEST).stat()
            return st.st_mtime_ns, st.st_size, st.st_ino
        except OSError:
            return None

    def _follow_rebuild(self) -> None:
        """A rebuild replaced the manifest: read the shards it names from now on."""
        seen = self._manifest_stat()
        if self._fixed or seen == self._manifest_seen:
            return
        try:
            dirs = shard_dirs(self.index_dir)
        except LintasError:
            return  # mid-replace or broken: keep what is open
        self._manifest_seen = seen
        if dirs != self.dirs:
            self.dirs, self._ix, self.failed = dirs, {}, {}
            self._epoch += 1
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
        or when a shard left out comes back (hence the bonus per open shard), or a rebuild
        replaces the shards (the epoch)."""
        self._follow_rebuild()
        if self.failed:
            self._open_missing()
        gens = []
        for i in sorted(self._ix):
            try:
                gens.append(self._ix[i].latest_generation())
            except OSError as e:  # the shard's directory went away under us
                del self._ix[i]
                self.failed[i] = str(e)
        return sum(gens) + (1 << 20) * len(gens) + (self._epoch << 40)

    def shard_indexes(self) -> dict[int, object]:
        return dict(self._ix)

    def reader(self, reuse: dict | None = None):
        """A reader over every open shard; `reuse` as for codec.reopen."""
        gen = self.latest_generation()
        leaves, spans, start = [], [], 0
        for i in sorted(self._ix):
            r = self._ix[i].reader() if reuse is None else codec.reopen(self._ix[i], reuse, top=False)
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
