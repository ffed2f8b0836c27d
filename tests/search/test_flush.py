"""Our flush (search/codec/write.py) writes exactly the segment files Whoosh's own writes.

The same documents (Persian, Indonesian and English, titles, bodies with
character spans, names, the Existence `words` field, lsh keywords, dates), an
update and a delete, go into two real indexes on disk, once through Whoosh's
FieldWriter.add_postings and once through ours; the second commit leaves a
second segment; an optimizing commit (Whoosh's merge at commit) and a background
merge (codec.merge_segments) merge them. Every segment file is compared byte for byte, position for
position in the TOC (segment ids are random, so names are not).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from contextlib import contextmanager, nullcontext
from datetime import date

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3FieldWriter

from search import codec, sidecar_build
from search.documents import Document
from search.indexer import Indexer
from tests.search.test_vectorized import _seed_documents


@contextmanager
def whooshs_own_flush():
    ours = W3FieldWriter.add_postings
    W3FieldWriter.add_postings = codec.WHOOSH_ADD_POSTINGS
    try:
        yield
    finally:
        W3FieldWriter.add_postings = ours


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
    assert W3FieldWriter.add_postings is codec.add_postings
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


def test_a_merge_at_commit_writes_whooshs_bytes(built, tmp_path):
    theirs = _optimized(built[0], tmp_path / "theirs", whooshs=True)
    ours = _optimized(built[1], tmp_path / "ours", whooshs=False)
    assert ".pst" in _same_files(theirs, ours)
    assert len(whoosh_index.open_dir(str(ours))._segments()) == 1


def test_a_background_merge_writes_whooshs_bytes(built):
    files = {}
    for src, whooshs in zip(built, (True, False)):
        ix = whoosh_index.open_dir(str(src))
        with whooshs_own_flush() if whooshs else nullcontext():
            seg = codec.merge_segments(str(src), ix.schema, ix._segments(), "MERGED", limitmb=64)
        prefix = seg.segment_id()
        names = sorted(n for n in os.listdir(src) if n.startswith(prefix))
        files[whooshs] = {n[len(prefix):]: (src / n).read_bytes() for n in names}
        for n in names:
            os.unlink(src / n)
    assert ".pst" in files[False] and files[True] == files[False]


def test_the_sidecars_are_the_same(built):
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
