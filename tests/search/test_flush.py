"""Our flush (search/codec/write.py) writes exactly the segment files Whoosh's own writes.

The same documents (Persian, Indonesian and English, titles, bodies with
character spans, names, the Existence `words` field, lsh keywords, dates), an
update and a delete, go into two real indexes on disk, once through Whoosh's
add_document and FieldWriter.add_postings and once through ours; the second commit leaves a
second segment; an optimizing commit (Whoosh's merge at commit) and a background
merge (codec.merge_segments) merge them. Every segment file is compared byte for byte, position for
position in the TOC (segment ids are random, so names are not). Whoosh's side stores a block's small
pickle uncompressed, as its _write_block means to (codec.write.COMPRESS_FROM).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from contextlib import contextmanager, nullcontext
from datetime import date
from pickle import dumps

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import PostingPool, SegmentWriter

from search import codec, sidecar, sidecar_build
from search.documents import Document
from search.indexer import Indexer, to_fields
from tests.search.test_vectorized import _seed_documents


def _whooshs_write_block(self, last=False):
    """W3PostingsWriter._write_block with its rule for small pickles working, at our threshold
    (codec.write.COMPRESS_FROM): the block's pickle is what it computes first."""
    data = dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 2)
    saved = self._compression
    if len(data) < codec.write.COMPRESS_FROM:
        self._compression = 0
    try:
        return WHOOSH_WRITE_BLOCK(self, last)
    finally:
        self._compression = saved


WHOOSH_WRITE_BLOCK = W3PostingsWriter._write_block


@contextmanager
def whooshs_own_flush():
    """Whoosh's own add_document, merge reading, flush and segment finishing, for the span of a with."""
    ours = [(cls, name, getattr(cls, name)) for cls, name, _ in _WHOOSHS]
    for cls, name, whooshs in _WHOOSHS:
        setattr(cls, name, whooshs)
    try:
        yield
    finally:
        for cls, name, mine in ours:
            setattr(cls, name, mine)


_WHOOSHS = [(W3FieldWriter, "add_postings", codec.WHOOSH_ADD_POSTINGS),
            (SegmentWriter, "add_document", codec.WHOOSH_ADD_DOCUMENT),
            (SegmentWriter, "add_postings_to_pool", codec.WHOOSH_ADD_POSTINGS_TO_POOL),
            (SegmentWriter, "_finalize_segment", codec.WHOOSH_FINALIZE_SEGMENT),
            (PostingPool, "items", codec.WHOOSH_POOL_ITEMS),
            (PostingPool, "save", codec.WHOOSH_POOL_SAVE),
            (W3PostingsWriter, "_write_block", _whooshs_write_block)]


def _documents() -> list[Document]:
    """450 documents, so the common words of each language have over 128 postings (several blocks)."""
    seeds = _seed_documents()
    docs = []
    for r in range(3):
        for i, d in enumerate(seeds):
            day = date(2024, 1 + (i % 12), 1 + (r * 7 + i) % 28) if i % 4 else None
            docs.append(dataclasses.replace(d, id=f"{d.id}-r{r}", date=day,
                                            title=d.title or (d.text[:40] if r == 1 else "")))
    return docs


def _build(path) -> None:
    docs = _documents()
    indexer = Indexer(path, procs=1)
    indexer.add_documents(docs[:400])
    # Another commit, small: Whoosh's MERGE_SMALL merges the first segment into it.
    assert indexer.delete([docs[5].id, docs[77].id]) == 2
    changed = docs[10]
    indexer.add_documents([dataclasses.replace(changed, text=changed.text + " " + docs[300].text)] + docs[400:])


def _segment_files(path) -> list[tuple[int, str, bytes]]:
    ix = whoosh_index.open_dir(str(path))
    out = []
    for n, seg in enumerate(ix._segments()):
        prefix = seg.segment_id()
        for name in sorted(os.listdir(path)):
            if name.startswith(prefix) and not name.endswith(".sidecar"):
                with open(os.path.join(path, name), "rb") as f:
                    out.append((n, name[len(prefix):], f.read()))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    theirs, ours = tmp_path_factory.mktemp("flush-whoosh"), tmp_path_factory.mktemp("flush-ours")
    with whooshs_own_flush():
        assert W3FieldWriter.add_postings is codec.WHOOSH_ADD_POSTINGS
        _build(theirs)
    assert W3FieldWriter.add_postings is codec.add_postings and SegmentWriter.add_document is codec.add_document
    _build(ours)
    return theirs, ours


def _same_files(theirs, ours) -> list[str]:
    a, b = _segment_files(theirs), _segment_files(ours)
    assert [(n, ext) for n, ext, _ in a] == [(n, ext) for n, ext, _ in b]
    for (n, ext, x), (_n, _ext, y) in zip(a, b):
        assert x == y, f"segment {n} file {ext} differs"
    return [ext for _n, ext, _ in a]


def test_the_segment_files_are_whooshs_bytes(built):
    theirs, ours = built
    assert {".trm", ".pst", "._body_fa_len.col"} <= set(_same_files(theirs, ours))
    ix = whoosh_index.open_dir(str(ours))
    assert len(ix._segments()) == 2 and ix.doc_count() == 448
    with ix.reader() as reader:
        # The lists really span blocks; every kind of field is there.
        assert max(reader.doc_frequency("words", t) for t in reader.lexicon("words")) > 2 * 128
        assert max(reader.doc_frequency("body_id", t) for t in reader.lexicon("body_id")) > 128  # Characters
        assert max(reader.doc_frequency("names_id", t) for t in reader.lexicon("names_id")) > 128  # Frequency
        assert {"lsh", "names_en", "names_id", "words", "date", "title_fa"} <= set(reader.indexed_field_names())


def _optimized(src, dst, whooshs: bool):
    shutil.copytree(src, dst)
    ix = whoosh_index.open_dir(str(dst))
    with whooshs_own_flush() if whooshs else nullcontext():
        ix.writer(compound=False).commit(optimize=True)  # as Indexer writes; Whoosh's merge at commit: add_reader, its pool, a flush
    return dst


def _derived_sidecar_is_the_flushs(leaf, tmp_path) -> None:
    """The sidecar the flush wrote (no sync has run) is byte for byte the one derived from the segment."""
    seg_id = leaf.segment().segment_id()
    flushed = sidecar.path_for(codec.segment_folder(leaf), seg_id)
    derived = tmp_path / f"derived-{seg_id}{sidecar.EXT}"
    sidecar.write(derived, sidecar.expected(leaf), sidecar_build.build(leaf))
    assert flushed.read_bytes() == derived.read_bytes()
    assert sidecar.open_checked(leaf) is not None


def test_a_merge_at_commit_writes_whooshs_bytes(built, tmp_path):
    theirs = _optimized(built[0], tmp_path / "theirs", whooshs=True)
    ours = _optimized(built[1], tmp_path / "ours", whooshs=False)
    assert ".pst" in _same_files(theirs, ours)
    (leaf,) = _leaves(ours)
    _derived_sidecar_is_the_flushs(leaf, tmp_path)
    # Whoosh's own flush captures nothing: that sidecar would be derived by the next sync.
    assert not sidecar.path_for(theirs, _leaves(theirs)[0].segment().segment_id()).exists()


def test_a_background_merge_writes_whooshs_bytes(built, tmp_path):
    files = {}
    for src, whooshs in zip(built, (True, False)):
        ix = whoosh_index.open_dir(str(src))
        with whooshs_own_flush() if whooshs else nullcontext():
            seg = codec.merge_segments(str(src), ix.schema, ix._segments(), "MERGED", limitmb=64)
        prefix = seg.segment_id()
        names = sorted(n for n in os.listdir(src) if n.startswith(prefix))
        files[whooshs] = {n[len(prefix):]: (src / n).read_bytes() for n in names}
        if not whooshs:
            # merging.py's swap renames the files to the index's name and restamps the sidecar.
            reader = SegmentReader(FileStorage(str(src)), ix.schema, seg)
            renamed = tmp_path / "MAIN_renamed.sidecar"
            shutil.copy(src / f"{prefix}{sidecar.EXT}", renamed)
            sidecar_build.restamp(renamed, "MAIN_renamed")
            derived = tmp_path / "derived.sidecar"
            sidecar.write(derived, {**sidecar.expected(reader), "segment": "MAIN_renamed"}, sidecar_build.build(reader))
            assert renamed.read_bytes() == derived.read_bytes()
            reader.close()
        for n in names:
            os.unlink(src / n)
    flushed = files[False].pop(sidecar.EXT)
    assert ".pst" in files[False] and files[True] == files[False]
    assert flushed[:len(sidecar.MAGIC)] == sidecar.MAGIC


def test_every_sidecar_the_flush_wrote_is_the_derived_one(built, tmp_path):
    """After `Indexer`'s commits (a new segment, a merge of an update and a delete)."""
    leaves = _leaves(built[1])
    assert len(leaves) == 2
    for leaf in leaves:
        _derived_sidecar_is_the_flushs(leaf, tmp_path)
    # A plain Whoosh writer's commit, with no sync after it, leaves its sidecar too.
    copy = shutil.copytree(built[1], tmp_path / "copy")
    ix = whoosh_index.open_dir(str(copy))
    w = ix.writer(compound=False)
    doc = _documents()[7]
    w.add_document(**to_fields(dataclasses.replace(doc, id="extra"), "id", "d" * 40))
    w.commit(merge=False)
    (new,) = [leaf for leaf in _leaves(copy) if leaf.segment().segment_id()
              not in {x.segment().segment_id() for x in leaves}]
    _derived_sidecar_is_the_flushs(new, tmp_path)


def test_the_sidecars_are_the_same(built):
    """Derived from Whoosh's files and from ours."""
    for la, lb in zip(_leaves(built[0]), _leaves(built[1])):
        sa, sb = sidecar_build.build(la), sidecar_build.build(lb)
        assert sa.keys() == sb.keys() and sa
        for field, arrays in sa.items():
            assert arrays.keys() == sb[field].keys()
            for name, arr in arrays.items():
                assert arr.dtype == sb[field][name].dtype and (arr == sb[field][name]).all(), (field, name)


def _leaves(path):
    reader = whoosh_index.open_dir(str(path)).reader()
    return [leaf for leaf, _offset in reader.leaf_readers()]


def test_a_new_segments_sidecar_comes_from_the_added_occurrences(tmp_path, monkeypatch):
    """Documents added through our add_document: the flush makes the sidecar from what
    their analysis collected, unpickling no value; a merge's postings take the values' way."""
    unpickled = []
    real = sidecar_build._occurrences
    monkeypatch.setattr(sidecar_build, "_occurrences", lambda *a: unpickled.append(len(a[0])) or real(*a))
    path = tmp_path / "ix"
    Indexer(path, procs=1).add_documents(_documents()[:120])
    assert unpickled == []
    (leaf,) = _leaves(path)
    _derived_sidecar_is_the_flushs(leaf, tmp_path)  # unpickles, to derive: counted from here
    derived = len(unpickled)
    Indexer(path, procs=1).add_documents(_documents()[120:130])
    assert len(unpickled) == derived  # a second segment, merged by nobody yet
    whoosh_index.open_dir(str(path)).writer(compound=False).commit(optimize=True)
    assert len(unpickled) > derived
    (merged,) = _leaves(path)
    _derived_sidecar_is_the_flushs(merged, tmp_path)


def test_a_pool_that_spills_runs_to_disk_writes_whooshs_bytes(tmp_path, monkeypatch):
    """Past its memory budget the pool writes sorted runs and merges them back (_pool_save)."""
    saves = []
    monkeypatch.setattr(PostingPool, "save", lambda self: saves.append(1) or codec.write._pool_save(self))
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    docs = _documents()[:300]
    # A rebuild commits once, at its end (a run that adds commits before its pool is full).
    with whooshs_own_flush():
        Indexer(theirs, procs=1, limitmb=1).add_documents(docs, rebuild=True)
    Indexer(ours, procs=1, limitmb=1).add_documents(docs, rebuild=True)
    assert len(saves) > 2  # several runs, in our pool
    assert ".pst" in _same_files(theirs, ours)


def test_postings_out_of_docnum_order_are_refused(tmp_path):
    """The pool's sort relies on a term's postings coming in docnum order: the flush checks it."""
    from whoosh.fields import ID, TEXT, Schema

    ix = whoosh_index.create_in(str(tmp_path), Schema(id=ID(stored=True), body=TEXT()))
    w = ix.writer()
    w.add_document(id="a", body="alpha beta")
    w.add_document(id="b", body="alpha gamma")
    w.pool.current.reverse()  # as if the second document's postings had come first
    with pytest.raises(codec.write.OutOfOrderError, match="alpha"):
        w.commit()
