"""Add, update, delete and rebuild: documents in, one Whoosh index out.

Commits are Whoosh's atomic TOC swaps: a process killed mid-run leaves the index
as of its last commit. A plain run commits every `commit_every` documents so a
crash loses little; a rebuild commits once, at the end, so the old index stays
whole until the new one is complete.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from tqdm import tqdm
from whoosh.index import LockError
from whoosh.writing import CLEAR

from analyzers import detect_lang
from analyzers.words import surface_words

from . import codec, dedup, sidecar_build, storage, xtables
from .documents import Document, LoadError, iter_documents
from .errors import IndexBusy, IndexVersionMismatch
from .formats import Skipped
from .schema import NAME_LANGS, SCHEMA_VERSION, body_field, names_field, title_field

WRITE_LOCK_TIMEOUT = 30.0
PARALLEL_MIN_DOCS = 5000
# A run commits every COMMIT_EVERY documents, and sooner when a writer pool is
# POOL_FULL of its budget (LIMIT_MB, split between the worker processes): past
# it Whoosh's pool spills sorted runs to disk and merges them back in Python at
# the flush. Measured on 20k bench documents, two workers, one commit: 512 MB
# each spilled, 9.5 CPU ms a document; 2 GB each, no spill, 4.3 ms (a worker's
# peak RSS 1.1 GB). Long documents fill a pool with fewer of them, so the
# budget, not the count, decides: as Lucene's writer flushes at its RAM buffer.
COMMIT_EVERY = 20_000
LIMIT_MB = 2048
# A worker's pool can take a few more batches after the parent sees this fill
# (the job queue holds 4 batches of 50 documents per worker).
POOL_FULL = 0.85


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    # Items that are no documents and no errors (WARC request records, a second
    # copy of an article), by reason.
    skipped: Counter = field(default_factory=Counter)

    @property
    def partial(self) -> bool:
        """Some input could not be indexed (the rest was)."""
        return bool(self.errors)

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        if self.errors:
            parts.append(f"{len(self.errors)} skipped with errors")
        if self.skipped:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
            parts.append(f"{sum(self.skipped.values())} not documents ({reasons})")
        return ", ".join(parts)


def content_hash(doc: Document, lang: str) -> str:
    payload = [SCHEMA_VERSION, doc.id, doc.title, doc.text, lang,
               doc.date.isoformat() if doc.date else None, doc.source, doc.url, doc.author]
    return hashlib.sha1(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def to_fields(doc: Document, lang: str, digest: str, clusterer: dedup.Clusterer | None = None) -> dict:
    fields = {
        "id": doc.id,
        "lang": lang,
        "title": doc.title,
        "text": doc.text,
        "hash": digest,
        title_field(lang): doc.title,
        body_field(lang): doc.text,
    }
    # The text's surface words serve the completions' field and the near-duplicate
    # shingles; the field takes them as tokens (what its analyzer makes of title and text).
    words = surface_words(doc.text)
    fields["words"] = surface_words(doc.title) + words
    if lang in NAME_LANGS:
        fields[names_field(lang)] = doc.text
    if clusterer is not None:
        fields.update(clusterer.fields(doc.text, digest, words))
    if doc.source:
        fields["source"] = doc.source
    if doc.url:
        fields["url"] = doc.url
    if doc.author:
        fields["author"] = doc.author
    if doc.date:
        fields["date"] = datetime.combine(doc.date, time())
    return fields


class Indexer:
    """Writes documents into the index at `index_dir`, creating it if missing."""

    def __init__(self, index_dir: str | Path, commit_every: int = COMMIT_EVERY, limitmb: int = LIMIT_MB,
                 procs: int | None = None, sidecars: bool = True, clusters: dict[str, dict] | None = None):
        self.index_dir = Path(index_dir)
        # The cross-script tables stored beside each commit; a shard of a sharded index
        # goes without (search/shards.py: servers build them over all shards at once).
        self.sidecars = sidecars
        # Near-duplicate fields decided elsewhere, by content hash: a shard's documents are
        # clustered against every shard's (search/shard_build.py), not against its own alone.
        self.clusters = clusters
        self.commit_every = commit_every
        self.limitmb = limitmb
        # Analysis (Hazm, Sastrawi) is most of indexing's cost and runs per document:
        # with several cores, Whoosh's multiprocessing writer spreads it over them.
        # None: decide per run; several processes pay off only for big runs, since
        # each worker loads the analyzers' tables first.
        self.procs = procs

    def index_paths(self, paths: Iterable[str | Path], rebuild: bool = False,
                    progress: bool = False) -> IndexReport:
        """Index .txt/.jsonl files and directories; bad items are reported and skipped."""
        paths = list(paths)
        total = _estimate(paths)
        return self._index(iter_documents(paths), rebuild, progress, total=total)

    def add_documents(self, docs: Iterable[Document], rebuild: bool = False,
                      progress: bool = False) -> IndexReport:
        return self._index(docs, rebuild, progress, total=None)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete documents by id; returns how many existed."""
        ix = self._open(create=False)
        writer = self._writer(ix)
        try:
            count = sum(writer.delete_by_term("id", doc_id) for doc_id in ids)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self._save_sidecars(ix)
        sidecar_build.sync(self.index_dir)
        return count

    # -- internals

    def _save_sidecars(self, ix) -> None:
        if self.sidecars:
            xtables.save(self.index_dir, ix)

    def _open(self, create: bool):
        if not storage.exists(self.index_dir):
            if not create:
                return storage.open_index(self.index_dir)  # raises IndexNotFound
            return storage.create_index(self.index_dir)
        try:
            return storage.open_index(self.index_dir)
        except IndexVersionMismatch:
            if not create:
                raise
            return None

    def _writer(self, ix, procs: int = 1):
        try:
            # compound=False: Whoosh reads a file out of a compound segment through
            # BytesIO, a private copy of the whole file in every searcher of every
            # server thread (600 MB per searcher at 100k documents). Plain segment
            # files are read through the shared page cache instead.
            options = dict(compound=False, timeout=WRITE_LOCK_TIMEOUT, delay=0.25)
            if procs > 1:
                # multisegment: each worker's segment is kept as it is. Merging them
                # would re-read every posting in this one process, which took a
                # quarter of a parallel build's time.
                return ix.writer(procs=procs, limitmb=self.limitmb // procs, batchsize=50,
                                 multisegment=True, **options)
            return ix.writer(limitmb=self.limitmb, **options)
        except LockError:
            raise IndexBusy(
                f"another process is writing to the index at {self.index_dir} "
                f"(waited {WRITE_LOCK_TIMEOUT:.0f}s): try again when it has finished"
            ) from None

    def _index(self, items: Iterable[Document | LoadError], rebuild: bool, progress: bool,
               total: int | None) -> IndexReport:
        ix = self._open(create=True)
        if ix is None:
            if not rebuild:
                storage.open_index(self.index_dir)  # raises the version mismatch
            ix = storage.create_index(self.index_dir)
        report = IndexReport()
        known = {} if rebuild else _known_hashes(ix)
        seen: set[str] = set()
        procs = self.procs
        if procs is None:
            if total is None:
                # Unknown size (a stream, a .gz): look ahead before choosing.
                items = iter(items)
                head = list(itertools.islice(items, PARALLEL_MIN_DOCS))
                total = len(head) if len(head) < PARALLEL_MIN_DOCS else None
                items = itertools.chain(head, items)
            big = total is None or total >= PARALLEL_MIN_DOCS
            procs = min(2, os.cpu_count() or 1) if big else 1
        gauge = codec.pool_fill_gauge()  # before _writer forks its workers: they share it
        gauge.value = 0.0
        writer = self._writer(ix, procs)
        # A long run's band keys are filtered through each segment's sorted codes
        # (BandTable.in_big), not looked up in every segment's term table: a 100k run's
        # later commits did 16 keys x 8-10 segments of lookups a document.
        bands = dedup.BandTable(small_docs=0, lazy=True)
        clusterer = dedup.Clusterer(None if rebuild else ix.reader(), bands=bands) \
            if self.clusters is None else dedup.Given(self.clusters)
        pending = 0
        committed = False  # by the run itself, before its end
        bar = tqdm(total=total, unit="doc", desc="indexing", disable=not progress, leave=False)
        try:
            for item in items:
                bar.update(1)
                if isinstance(item, LoadError):
                    report.errors.append(str(item))
                    continue
                if isinstance(item, Skipped):
                    report.skipped[item.reason] += 1
                    continue
                lang = item.lang or detect_lang(f"{item.title}\n{item.text}")
                digest = content_hash(item, lang)
                old = known.get(item.id)
                if old == digest and item.id not in seen:
                    report.unchanged += 1
                    seen.add(item.id)
                    continue
                if old is not None or item.id in seen:
                    writer.update_document(**to_fields(item, lang, digest, clusterer))
                    report.updated += 1
                else:
                    writer.add_document(**to_fields(item, lang, digest, clusterer))
                    report.added += 1
                seen.add(item.id)
                pending += 1
                if not rebuild and (pending >= self.commit_every or gauge.value >= POOL_FULL):
                    # The key tables are stored once, after the run's last commit: a
                    # server that opens an intermediate generation builds what it lacks.
                    writer.commit()
                    clusterer.committed(ix.reader())
                    gauge.value = 0.0
                    writer = self._writer(ix, procs)
                    pending = 0
                    committed = True
        except BaseException:
            writer.cancel()
            raise
        finally:
            bar.close()
            clusterer.close()
        if rebuild:
            # CLEAR drops every older segment in the same atomic commit.
            writer.commit(mergetype=CLEAR)
        elif pending:
            writer.commit()
        else:
            writer.cancel()
            if not committed:
                # Nothing new, but a missing or damaged sidecar is still written again.
                sidecar_build.sync(self.index_dir)
                return report
            # The run's last document ended a commit (100k documents in commits of 20,000):
            # its tables are still to be stored, or every server worker builds them itself.
        # The cross-script key tables of this generation, built once here for every server.
        self._save_sidecars(ix)
        # The posting arrays every searcher reads (search/sidecar.py), once per run like the tables.
        sidecar_build.sync(self.index_dir)
        return report


def _known_hashes(ix) -> dict[str, str]:
    """id -> content hash of every live document, read from the sortable columns."""
    with ix.reader() as reader:
        if reader.doc_count_all() == 0:
            return {}
        ids = reader.column_reader("id")
        hashes = reader.column_reader("hash")
        return {
            ids[n]: hashes[n]
            for n in range(reader.doc_count_all())
            if not reader.is_deleted(n)
        }


def _estimate(paths: list[str | Path]) -> int | None:
    """Documents to expect, for the progress bar; None if counting would cost a read."""
    total = 0
    for path in map(Path, paths):
        files: Iterator[Path] = path.rglob("*") if path.is_dir() else iter([path])
        for f in files:
            name = f.name.lower()
            if name.endswith((".txt", ".html", ".htm")):
                total += 1
            elif name.endswith(".jsonl") and f.is_file():
                with open(f, "rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            elif name.endswith((".gz", ".warc", ".xml", ".rss", ".atom")):
                return None
    return total
