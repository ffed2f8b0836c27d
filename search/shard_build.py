"""`lintas index --shards N`: documents routed to their shards, each shard built as Dask tasks.

This process reads the input once: per document its language and content hash,
its shard (search/shards.py), and whether that shard already holds this very
version (then it is skipped, so an incremental run touches only the shards
whose documents changed). Changed documents are spooled per shard in batches
of `commit_every`; each batch is one Dask task that adds it to its shard with
the ordinary Indexer and commits, and a shard's batches run one after another
(each task waits for the previous one of its shard) while different shards'
run in parallel on the workers. A batch's task starts as soon as its first
document is spooled and reads the rest as they come (search/spool.py), so the
workers index while this process is still reading.

A worker killed mid-task loses only that batch's uncommitted documents: Dask
runs the task again on another worker (or, past its retry limit, the run fails
naming the shard), and a re-run of the same command skips every committed
document and adds the rest. The shard's Whoosh write lock is an flock, released
when its holder dies.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path

from tqdm import tqdm

from analyzers import detect_lang

from . import cluster, dedup, run_bands, shard_stats, shards, storage
from . import spool as spool_mod
from .documents import Document, LoadError, iter_documents
from .errors import BadRequest, IndexBusy, LintasError
from .formats import Skipped
from .indexer import COMMIT_EVERY, Indexer, IndexReport, _estimate, _known_hashes, content_hash
from .writer import WriterLock

SPOOL = ".build"


def build(index_dir: str | Path, paths=(), documents=None, shards_wanted: int | None = None,
          rebuild: bool = False, scheduler: str | None = None, workers: int | None = None,
          commit_every: int = COMMIT_EVERY, progress: bool = False, client=None) -> IndexReport:
    """Index `paths` (or `documents`) into the sharded index at `index_dir`, creating it with
    `shards_wanted` shards if it does not exist. `client`: an already connected Dask client.

    A rebuild builds new shards beside the live ones, which stay searchable, and makes them
    the index in one step at the end (search/shards.py `switch`); a rebuild that fails or is
    killed leaves the index as it was."""
    root = Path(index_dir)
    lock = WriterLock(root)
    if not lock.try_acquire():
        raise IndexBusy(f"another Lintas process is writing to {root}: try again when it has finished")
    plan = None
    try:
        plan = _prepare(root, shards_wanted, rebuild)
        items = iter_documents(list(paths)) if documents is None else iter(documents)
        total = _estimate(list(paths)) if documents is None else None
        if client is not None:
            report = _run(client, root, plan.dirs, items, total, commit_every, progress)
        else:
            with cluster.client(scheduler, workers) as c:
                report = _run(c, root, plan.dirs, items, total, commit_every, progress)
        plan.finish()
        return report
    finally:
        if plan is not None:
            plan.release()
        lock.release()


class _Plan:
    """The shards a run writes to, and (a rebuild) what makes them the index."""

    def __init__(self, root: Path, dirs: list[Path], staged: str | None = None, plain: bool = False):
        self.root, self.dirs, self.staged, self.plain = root, dirs, staged, plain
        self.held: list[WriterLock] = []

    def hold_writers(self, dirs: list[Path]) -> None:
        """The live shards' writer locks, so that no server writes to what is being replaced."""
        for i, d in enumerate(dirs):
            lock = WriterLock(d)
            if not lock.try_acquire():
                self.release()
                raise IndexBusy(f"a server is writing to shard {i} of {self.root}: stop it to rebuild the "
                                "index, or index without --rebuild")
            self.held.append(lock)

    def finish(self) -> None:
        if self.staged is None:
            return
        shards.switch(self.root, len(self.dirs), self.staged)
        if self.plain:
            _remove_plain_index(self.root)

    def release(self) -> None:
        for lock in self.held:
            lock.release()
        self.held = []


def _prepare(root: Path, wanted: int | None, rebuild: bool) -> _Plan:
    if shards.is_sharded(root):
        try:
            n = shards.shard_count(root)
        except LintasError:
            if not rebuild:
                raise
            n = None
        if rebuild:
            plan = _Plan(root, [])
            if n is not None:
                plan.hold_writers(shards.shard_dirs(root))
            plan.staged, plan.dirs = shards.stage(root, wanted or n or 1)
            return plan
        if wanted is not None and wanted != n:
            raise BadRequest(f"{root} has {n} shards, fixed when it was created: index into it without "
                             f"--shards, or rebuild it with `--rebuild --shards {wanted}`")
        shards.remove_unused(root)  # a killed rebuild's shards
        return _Plan(root, shards.shard_dirs(root))
    if wanted is None:
        raise BadRequest(f"{root} is not a sharded index: give --shards N to create one")
    if storage.exists(root) and not rebuild:
        raise BadRequest(f"{root} holds an index without shards: rebuild it with "
                         f"`lintas index --rebuild --shards {wanted}`, or choose another --index")
    if storage.exists(root):
        staged, dirs = shards.stage(root, wanted)
        return _Plan(root, dirs, staged, plain=True)
    return _Plan(root, shards.create(root, wanted))


def _remove_plain_index(root: Path) -> None:
    # Whoosh's files and our sidecars of the unsharded index; the write queue and keys stay.
    for f in root.iterdir():
        if f.is_file() and (f.suffix in (".toc", ".seg", ".pst", ".trm", ".fdt", ".fdi", ".dci", ".dcz",
                                         ".pos", ".vps", ".lns", ".pickle")
                            or f.name.startswith(("_MAIN", "MAIN", "xscript-")) or f.name == storage.MARKER):
            f.unlink()


def _run(client, root: Path, dirs: list[Path], items, total, commit_every: int, progress: bool) -> IndexReport:
    n = len(dirs)
    known = []
    for d in dirs:
        ix = storage.open_index(d)
        known.append(_known_hashes(ix))
    # Near-duplicates are found against every shard at once (and this run's documents),
    # as one index would find them: copies of an article fold wherever their ids hash to.
    # Keys and files of this run only: a task of a stopped run that Dask still runs or
    # retries must neither hand this run its outcome (same key) nor read this run's batch
    # (same file name); it finds its spool gone and gives up (search/spool.py).
    run = secrets.token_hex(4)
    shutil.rmtree(root / SPOOL, ignore_errors=True)  # a killed run's batches: re-read from the input
    spool = root / SPOOL / run
    spool.mkdir(parents=True)
    whole = shards.ShardedIndex(root, dirs).reader()
    # The run's band keys: past a bound, on disk (the run is committed only under the shards).
    clusterer = dedup.Clusterer(whole, pending=run_bands.RunBands(spool / "bands.sqlite3"))
    report = IndexReport()
    # Each shard's batch being spooled; its task already runs (search/spool.py).
    open_batch: list[spool_mod.BatchWriter | None] = [None] * n
    last: list = [None] * n  # each shard's newest task: the next batch waits for it
    futures = []
    seen: set[str] = set()
    addresses = cluster.worker_addresses(client)
    bar = tqdm(total=total, unit="doc", desc="indexing", disable=not progress, leave=False)
    beat = spool_mod.Heartbeat(spool)

    def start(shard: int) -> spool_mod.BatchWriter:
        path = spool / f"shard-{shard:03d}-{len(futures):06d}.jsonl"
        batch = open_batch[shard] = spool_mod.BatchWriter(path)
        future = client.submit(build_batch, str(dirs[shard]), str(path), last[shard],
                               key=f"lintas-shard-{shard:03d}-{run}-{len(futures):06d}", pure=False,
                               retries=1, **cluster.placement(addresses, shard))
        last[shard] = future
        futures.append(future)
        return batch

    try:
        for item in items:
            if isinstance(item, LoadError):
                report.errors.append(str(item))
                bar.update(1)
                continue
            if isinstance(item, Skipped):
                report.skipped[item.reason] += 1
                bar.update(1)
                continue
            lang = item.lang or detect_lang(f"{item.title}\n{item.text}")
            shard = shards.shard_of(item.id, n)
            digest = content_hash(item, lang)
            old = known[shard].get(item.id)
            if old == digest and item.id not in seen:
                report.unchanged += 1
                seen.add(item.id)
                bar.update(1)
                continue
            if old is not None or item.id in seen:
                report.updated += 1
            else:
                report.added += 1
            seen.add(item.id)
            record = asdict(item)
            record["lang"] = lang
            record["date"] = item.date.isoformat() if item.date else None
            record["cluster"] = [digest, clusterer.fields(item.text, digest)]
            batch = open_batch[shard] or start(shard)
            batch.append(record)
            if batch.count >= commit_every:
                batch.end()
                open_batch[shard] = None
        for shard in range(n):
            if open_batch[shard] is not None:
                open_batch[shard].end()
                open_batch[shard] = None
        failed = []
        for future in cluster.as_completed(futures):
            try:
                bar.update(future.result())
            except cluster.task_failures() as e:
                failed.append(f"{future.key}: {e}")
            except LintasError as e:
                failed.append(f"{future.key}: {e}")
        if failed:
            raise cluster.ClusterUnavailable(
                f"{len(failed)} batch(es) did not complete ({failed[0]}); what was committed is kept: "
                "run the same command again to complete the index")
    except BaseException as e:
        for batch in open_batch:
            if batch is not None:
                batch.abort(type(e).__name__)
        for f in futures:
            f.cancel()
        raise
    finally:
        beat.stop()
        bar.close()
        clusterer.close()
    shutil.rmtree(root / SPOOL, ignore_errors=True)
    return report


def build_batch(shard_dir: str, path: str, _after=None) -> int:
    """A Dask task: add one spooled batch to its shard as the coordinator writes it,
    commit, publish its statistics. Returns how many documents it added."""
    clusters: dict[str, dict] = {}
    added = 0

    def docs():
        nonlocal added
        for rec in spool_mod.read(path):
            digest, fields = rec.pop("cluster")
            clusters[digest] = fields  # read by dedup.Given as the document is indexed
            if rec.get("date"):
                rec["date"] = date.fromisoformat(rec["date"])
            added += 1
            yield Document(**rec)

    # One process per task: the workers are the parallelism. One commit per batch.
    try:
        Indexer(shard_dir, commit_every=1 << 62, procs=1, sidecars=False,
                clusters=clusters).add_documents(docs())
    except spool_mod.BatchAborted:
        return 0  # nothing committed; the run has failed already (and Dask must not retry this)
    shard_stats.publish(shard_dir, storage.open_index(shard_dir))
    Path(path).unlink(missing_ok=True)
    return added


def delete(index_dir: str | Path, ids: list[str]) -> int:
    """Delete documents by id from the shards that own them; returns how many existed."""
    root = Path(index_dir)
    n = shards.shard_count(root)
    owned: dict[int, list[str]] = {}
    for doc_id in ids:
        owned.setdefault(shards.shard_of(doc_id, n), []).append(doc_id)
    lock = WriterLock(root)
    if not lock.try_acquire():
        raise IndexBusy(f"another Lintas process is writing to {root}: try again when it has finished")
    try:
        count = 0
        for shard, mine in sorted(owned.items()):
            d = shards.shard_dir(root, shard)
            count += Indexer(d, sidecars=False).delete(mine)
            shard_stats.publish(d, storage.open_index(d))
        return count
    finally:
        lock.release()
