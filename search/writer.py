"""The one writer of an index: drains the write queue (search/queue.py) into Whoosh.

Only the holder of `writer.lock` (an flock on a file in the index directory)
writes to the index: the writer process `lintas serve` starts (`python -m
search.writer`, so that analysing documents never holds a search worker's GIL),
or a `lintas index` / `lintas delete` run while no server is up. Every server
worker also runs a WriterThread that tries the lock after a grace period and
then waits on it: if the writer process dies (the kernel drops a dead process's
flock) a worker takes over within LOCK_POLL seconds. Two Whoosh writers never
meet, so no LockError.

Crash safety: a batch is marked applied (searchable) after its Whoosh commit;
ops leave the queue only at a checkpoint (every CHECKPOINT_EVERY seconds, in a
thread of its own) that has fsynced the index files written since the last one.
Whoever takes the lock next starts again from the last checkpoint. Applying an
op twice changes nothing (a put is an update by id, a delete is idempotent), so
a kill at any moment leaves every acknowledged document to be indexed, and
none twice.

A batch is taken when its oldest op has waited the commit budget (COMMIT_BUDGET_DEFAULT,
or `lintas serve --refresh-interval`) less the expected
commit time, not as soon as anything waits: the commit's cost (per distinct term,
and each search worker's refresh after it) is then shared by a second's documents.

Commits do not merge segments (Whoosh's default merges small segments on every
commit: 0.5-2 s each on a live index) until MAX_SEGMENTS small ones exist (or
TIER_WIDTH of what such merges made: merge_candidates). Then the
server's writer merges those in a child process and swaps the result in at a later
commit (search/merging.py: merging 24 batches of 50 took 16 CPU s, which every
document posted meanwhile waited for when it ran inside a commit); a CLI run, which
exits when done, merges them inside its commit (merge_live).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from pathlib import Path

from whoosh.reading import SegmentReader

from analyzers import detect_lang

from . import codec, dedup, files, merging, sidecar_build, storage, xtables
from .documents import Document, LoadError
from .formats import Skipped
from .indexer import IndexReport, content_hash, to_fields
from .queue import QUEUE_FILE, Op, Pending, QueueFull, WriteQueue
from .schema import field_lang

LOCK_FILE = "writer.lock"
LOCK_POLL = 0.25  # seconds between tries of a held lock
IDLE_POLL = 0.05  # seconds between looks at an empty queue: bounds the 202 -> indexed latency
# Seconds from an op's 202 to the end of the commit that makes it searchable, aimed at
# for the oldest op of each batch: the writer commits as late as that allows (its
# expected commit time is taken off), so that a commit's cost, which is per distinct
# term of its batch, is shared by as many documents as the latency budget lets wait.
# A commit slower than the budget is followed at once by the next: batches then grow,
# and cost less per document, until the writer keeps up.
COMMIT_BUDGET_DEFAULT = 1.0
# The longest an operator may ask for: past it a crash-free queue would still be
# durable, but "near real time" would no longer be what the server is.
COMMIT_BUDGET_MIN, COMMIT_BUDGET_MAX = 0.05, 60.0  # web/cli.py's --refresh-interval range too


def commit_budget() -> float:
    """LINTAS_REFRESH_INTERVAL (`lintas serve --refresh-interval`): seconds, like
    Elasticsearch's refresh_interval; unset, not a number or out of range: the default."""
    try:
        seconds = float(os.environ.get("LINTAS_REFRESH_INTERVAL", COMMIT_BUDGET_DEFAULT))
    except ValueError:
        return COMMIT_BUDGET_DEFAULT
    return seconds if COMMIT_BUDGET_MIN <= seconds <= COMMIT_BUDGET_MAX else COMMIT_BUDGET_DEFAULT


# Ops per commit at most: under load commits get bigger, not more frequent.
BATCH = 1000
# Whoosh's in-memory buffer per commit; a batch of BATCH news articles is ~10 MB.
LIMIT_MB = 256
# Seconds between checkpoints: the ops of at most this long are applied again after a crash.
CHECKPOINT_EVERY = 2.0
# Small segments (the writer's own, under SMALL_SEGMENT_DOCS documents) the index may
# have before a commit merges them into one. Big segments (a bulk `lintas index`)
# are never merged here: Whoosh's MERGE_SMALL did, and one such commit on a 10k
# index took 18 s (137 CPU ms per document of its batch) while the writer fell behind.
# Merging cost as much as indexing (Whoosh's: 12 s for 600 documents in 12 segments;
# codec.merge_postings: 6.8 CPU s for 1,200 in 24), hence 24.
MAX_SEGMENTS = 24
SMALL_SEGMENT_DOCS = 1000
# What those merges make (~1,200 documents) is merged again, TIER_WIDTH at a time, while
# under TIER_CEILING documents: a server that ingests for months then adds one segment
# per ~10k documents it took in, not one per 1,200 (each costs every query ~0.06 ms, 2.7 %
# of a query at 10k). Bulk segments (`lintas index` commits ~10k documents a process)
# are above the ceiling and stay as they are; each level of merging costs ~5.6 CPU ms a
# document, in the merge's own process.
TIER_WIDTH = 8
TIER_CEILING = 8_000
SEND_CHUNK = 500  # documents per task when `lintas index` goes through a server's queue

log = logging.getLogger("lintas.writer")


class WriterLock:
    """The index's writer lock: held by at most one process (and one thread in it)."""

    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / LOCK_FILE
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if _lock(fd):
            self._fd = fd
            return True
        os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: one byte locked with msvcrt
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class IndexWriter:
    """Applies queued ops to the index, a batch per Whoosh commit. Call only with the lock held."""

    def __init__(self, index_dir: str | Path, queue: WriteQueue | None = None, batch: int = BATCH,
                 background_merges: bool = False):
        self.index_dir = Path(index_dir)
        # The server's writer merges in a child process (search/merging.py); a CLI
        # run, which exits when done, merges inside its commits (merge_live).
        self.background_merges = background_merges
        self.max_segments = MAX_SEGMENTS
        self._merge: merging.Merge | None = None
        self.queue = queue or WriteQueue(index_dir)
        self.batch = batch
        self._durable = -1
        self._checkpoint_started = 0.0  # the first checkpoint fsyncs every file
        self._bands = dedup.BandTable(SMALL_SEGMENT_DOCS)  # near-duplicate keys of the small segments
        self.commit_seconds = 0.0  # the recent commits' wall time, smoothed
        self.budget = commit_budget()

    def due_in(self) -> float | None:
        """Seconds until the next batch should be taken (<= 0: now); None if nothing waits."""
        created = self.queue.oldest_waiting()
        if created is None:
            return None
        return created + self.budget - min(self.commit_seconds, self.budget) - time.time()

    def apply_batch(self) -> int:
        """Apply the oldest waiting ops (at most `batch`); returns how many."""
        pending = self.queue.take(self.batch)
        if not pending:
            return 0
        started = time.perf_counter()
        ix = storage.open_index(self.index_dir) if storage.exists(self.index_dir) \
            else storage.create_index(self.index_dir)
        try:
            self._commit(ix, pending)
            failures = []
        except Exception:  # noqa: BLE001 - one bad op must not block the queue for ever
            log.exception("a batch of %d ops failed; applying them one by one", len(pending))
            failures = self._one_by_one(ix, pending)
        self.queue.applied(pending[-1].seq, failures)
        self.commit_seconds = 0.5 * self.commit_seconds + 0.5 * (time.perf_counter() - started)
        return len(pending)

    def start(self) -> None:
        """Begin as the writer: whatever came after the last checkpoint is applied again."""
        self.queue.rewind()
        merging.clean(self.index_dir)  # a merge a killed writer left unfinished
        if storage.exists(self.index_dir):
            # An index written before sidecars, or one a crash left without some.
            sidecar_build.sync(self.index_dir)
            try:
                _warm_analyzers(storage.open_index(self.index_dir).schema)
            except storage.IndexVersionMismatch:
                pass  # nothing is written until it is rebuilt (said by the writer loop)

    def checkpoint(self) -> None:
        """fsync the index files written since the last checkpoint, then drop the ops they hold."""
        seq = self.queue.applied_seq()
        if seq <= self._durable:
            return
        started = time.time()
        if self.index_dir.is_dir():
            _fsync_since(self.index_dir, self._checkpoint_started)
        self.queue.durable(seq)
        self._durable, self._checkpoint_started = seq, started

    def drain(self) -> int:
        total = 0
        while n := self.apply_batch():
            total += n
        self.checkpoint()
        return total

    def _commit(self, ix, pending: list[Pending]) -> None:
        # Within one Whoosh writer a delete cannot see documents added by the same
        # writer: so per id only its last op counts (it supersedes the others).
        last: dict[str, Op] = {}
        for p in pending:
            last.pop(p.op.doc_id, None)
            last[p.op.doc_id] = p.op
        # The server's batch segments are uncompressed (codec.live_codec); a CLI run
        # merges in its commits, and a merged segment is kept compressed.
        live = {"codec": codec.live_codec()} if self.background_merges else {}
        writer = ix.writer(compound=False, limitmb=LIMIT_MB, timeout=30.0, delay=0.25, **live)
        writer.lintas_after_segment = lambda segment: xtables.save_segment_layer(self.index_dir, ix.schema, segment)
        # Near-duplicate labels against the committed index, as `lintas index` gives them.
        reader = ix.reader()
        before = _segment_ids(reader)
        self._bands.refresh(reader)
        clusterer = dedup.Clusterer(reader, self._bands)
        keys = []  # (band keys, label) of each document put, in docnum order
        try:
            for doc_id, op in last.items():
                if op.kind == "delete":
                    writer.delete_by_term("id", doc_id)
                else:
                    fields = _fields(op.doc, clusterer)
                    keys.append((fields.get("lsh", "").split(), fields["dup"]))
                    writer.update_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        finally:
            clusterer.close()
        own = writer.newsegment.segment_id()
        writer.commit(mergetype=self._swap_merged if self.background_merges else merge_live)
        sidecar_build.sync(self.index_dir)
        # Derived, like the sidecars: a failure leaves the workers to build the layer themselves.
        try:
            with ix.reader() as fresh:
                new = _segment_ids(fresh) - before
                if own in new:
                    # The band table learns this batch's keys as given, not by reading them back.
                    self._bands.add(own, keys)
                xtables.save_layers(self.index_dir, fresh,
                                    {sid for sid in new if not xtables.has_layer(self.index_dir, sid)})
                if self.background_merges and self._merge is None:
                    chosen = merge_candidates([leaf.segment() for leaf, _ in fresh.leaf_readers()],
                                              self.max_segments)
                    if chosen:
                        self._merge = merging.Merge(self.index_dir, fresh.schema, chosen)
        except Exception:  # noqa: BLE001 - never a failed batch for a derived file or a merge
            log.exception("after a commit: no cross-script layer stored, or no merge started")

    def _swap_merged(self, writer, segments):
        """Whoosh merge policy: the finished background merge's segment instead of its sources."""
        m = self._merge
        if m is None:
            return segments
        done = m.finished()
        if done is False:
            return segments
        self._merge = None
        if done is not None:
            try:
                return m.swap(writer, segments)
            except Exception:  # noqa: BLE001 - inside Whoosh's commit: the batch must still commit
                log.exception("could not swap a merged segment in")
        # Its sources stay as they are; renamed files no TOC names go at this commit.
        log.warning("a background merge failed; its segments stay as they are")
        merging.clean(self.index_dir)
        return segments

    def close(self) -> None:
        """Stop a merge under way (its files are removed when a writer starts next)."""
        if self._merge is not None:
            self._merge.stop()
            self._merge = None

    def _one_by_one(self, ix, pending: list[Pending]) -> list[tuple[int, str, str]]:
        failures = []
        for p in pending:
            try:
                self._commit(ix, [p])
            except Exception as e:  # noqa: BLE001 - recorded on the task, shown by /tasks/<n>
                log.exception("op %d (%s %s) failed", p.seq, p.op.kind, p.op.doc_id)
                failures.append((p.task, p.op.doc_id, f"{type(e).__name__}: could not be indexed"))
        return failures


def merge_candidates(segments: list, max_small: int = MAX_SEGMENTS) -> list:
    """The segments the server's writer merges next, in index order ([] for none): every
    small one once there are `max_small`, else the first TIER_WIDTH between
    SMALL_SEGMENT_DOCS and TIER_CEILING documents once there are that many."""
    small = [seg for seg in segments if seg.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) >= max_small:
        return small
    middle = [seg for seg in segments if SMALL_SEGMENT_DOCS <= seg.doc_count_all() < TIER_CEILING]
    return middle[:TIER_WIDTH] if len(middle) >= TIER_WIDTH else []


def merge_live(writer, segments):
    """Whoosh merge policy: fold the small segments into one once there are MAX_SEGMENTS of them."""
    small = [seg for seg in segments if seg.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) < MAX_SEGMENTS:
        return segments
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg not in small]


def _segment_ids(reader) -> set[str]:
    if reader.generation() is None:  # no segment yet
        return set()
    return {leaf.segment().segment_id() for leaf, _offset in reader.leaf_readers()}


def _warm_analyzers(schema) -> None:
    """Load the analyzers' tables (Hazm, Sastrawi) and the cross-script layers' (the word
    list, CLDR's exonyms) now, not inside the first batch's commit: seconds of CPU,
    which the first documents posted after a start waited for."""
    for name in schema.names():
        if field_lang(name) is not None:
            list(schema[name].analyzer("ایران می‌گوید hubungan pemerintah"))
    xtables.preload()


def _fields(doc: Document, clusterer: dedup.Clusterer) -> dict:
    lang = doc.lang or detect_lang(f"{doc.title}\n{doc.text}")
    return to_fields(doc, lang, content_hash(doc, lang), clusterer)


def _fsync_since(index_dir: Path, since: float) -> None:
    """fsync the index files written since `since` (Whoosh does not), then the directory,
    so that ops are dropped from the queue only once their segment is on disk."""
    skip = {QUEUE_FILE, f"{QUEUE_FILE}-wal", f"{QUEUE_FILE}-shm", LOCK_FILE}
    for entry in os.scandir(index_dir):
        try:
            if entry.name in skip or not entry.is_file() or entry.stat().st_mtime < since - 1:
                continue
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            # A segment or TOC a newer commit has just replaced: that commit's own
            # files hold the same ops, and they are in this listing.
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    files.fsync_dir(index_dir)


class WriterThread:
    """The background writer of one server process: waits for the lock, then drains
    the queue for as long as the process lives."""

    def __init__(self, index_dir: str | Path, grace: float = 0.0):
        self.index_dir = Path(index_dir)
        self.grace = grace  # seconds before the first try of the lock
        self.lock = WriterLock(index_dir)
        self.writer = IndexWriter(index_dir, background_merges=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lintas-writer", daemon=True)
        self.error: str | None = None

    def start(self) -> "WriterThread":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch under way, then let the lock go (for tests and a clean shutdown)."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        self._stop.wait(self.grace)
        while not self._stop.is_set() and not self.lock.try_acquire():
            self._stop.wait(LOCK_POLL)
        if self._stop.is_set():
            return
        checkpoints = threading.Thread(target=self._checkpoints, name="lintas-checkpoint", daemon=True)
        try:
            self.writer.start()
            checkpoints.start()
            while not self._stop.is_set():
                try:
                    due = self.writer.due_in()
                    if due is None or due > 0:
                        self._stop.wait(IDLE_POLL if due is None else min(due, self.writer.budget))
                        continue
                    applied = self.writer.apply_batch()
                    self.error = None
                except storage.IndexVersionMismatch as e:
                    # Writes wait in the queue until the index is rebuilt.
                    if self.error != str(e):
                        log.error("cannot write: %s", e)
                    self.error = str(e)
                    self._stop.wait(5.0)
                    continue
                except Exception as e:  # noqa: BLE001 - the thread must outlive a bad moment (disk full)
                    log.exception("the index writer failed; retrying")
                    self.error = f"{type(e).__name__}: {e}"
                    self._stop.wait(1.0)
                    continue
                if not applied:
                    self._stop.wait(IDLE_POLL)
        finally:
            self.writer.close()
            if checkpoints.is_alive():
                checkpoints.join()
            self.lock.release()

    def _checkpoints(self) -> None:
        # Its own thread (fsync waits on the disk, not the GIL), so that a batch's
        # latency never includes a disk flush. A last one runs on stop().
        checkpointer = IndexWriter(self.index_dir)
        while True:
            stopping = self._stop.wait(CHECKPOINT_EVERY)
            try:
                checkpointer.checkpoint()
            except Exception:  # noqa: BLE001 - retried at the next one; the ops stay queued meanwhile
                log.exception("checkpoint failed")
            if stopping:
                return


@contextmanager
def writing(index_dir: str | Path):
    """Hold the writer lock for a CLI run: yields True once held, after draining what
    a server left in the queue; yields False if a running server holds it."""
    lock = WriterLock(index_dir)
    if not lock.try_acquire():
        yield False
        return
    try:
        try:
            writer = IndexWriter(index_dir)
            writer.start()
            writer.drain()  # acknowledged writes first, in their order
        except storage.IndexVersionMismatch:
            pass  # the queue waits for the rebuild this run may be
        yield True
    finally:
        lock.release()


def send(index_dir: str | Path, items: Iterable, deletes: Iterable[str] = (),
         echo=lambda message: None) -> IndexReport:
    """`lintas index` / `lintas delete` while a server writes: the documents go into its
    queue, and this returns once the server has indexed them (or, if the server stops
    meanwhile, once this process has, having taken the lock itself)."""
    queue = WriteQueue(index_dir)
    report = IndexReport()
    tasks: list[int] = []
    chunk: list[Op] = []

    def flush():
        if not chunk:
            return
        warned = False
        while True:
            try:
                tasks.append(queue.enqueue(chunk))
                break
            except QueueFull:
                if not warned:
                    echo("the server's write queue is full: waiting for it to catch up")
                    warned = True
                if _take_over(index_dir):
                    continue
                time.sleep(1.0)
        chunk.clear()

    for item in items:
        if isinstance(item, LoadError):
            report.errors.append(str(item))
            continue
        if isinstance(item, Skipped):
            report.skipped[item.reason] += 1
            continue
        chunk.append(Op("put", item.id, item))
        report.added += 1
        if len(chunk) >= SEND_CHUNK:
            flush()
    for doc_id in deletes:
        chunk.append(Op("delete", doc_id))
        report.deleted += 1
        if len(chunk) >= SEND_CHUNK:
            flush()
    flush()
    if tasks:
        echo(f"waiting for the server to index task {tasks[-1]} ...")
        while queue.status(tasks[-1])["status"] != "indexed":
            if _take_over(index_dir):
                break
            time.sleep(0.2)
    return report


def _take_over(index_dir: str | Path) -> bool:
    """If no server holds the lock any more, drain the queue here; True if this did."""
    lock = WriterLock(index_dir)
    if not lock.try_acquire():
        return False
    try:
        writer = IndexWriter(index_dir)
        writer.start()
        writer.drain()
    finally:
        lock.release()
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m search.writer INDEX_DIR [PARENT_PID]`: the writer process `lintas serve` starts. It
    ends with its parent (a kill -9 of the server leaves no writer behind)."""
    return run_beside_parent("search.writer", WriterThread, argv)


def run_beside_parent(module: str, make_thread, argv: list[str] | None) -> int:
    """The body of a writer process's main: `make_thread(INDEX_DIR)` started, run until the
    parent (PARENT_PID, else the process that started this one) is gone, then stopped."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print(f"usage: python -m {module} INDEX_DIR [PARENT_PID]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="lintas writer: %(levelname)s %(message)s")
    # The parent's pid as it started us: it may be gone before these imports are done.
    parent = int(args[1]) if len(args) == 2 else os.getppid()
    thread = make_thread(args[0]).start()
    with suppress(KeyboardInterrupt):  # Ctrl-C in a terminal: stop as when the parent goes
        while os.getppid() == parent:
            time.sleep(0.5)
    thread.stop()
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
