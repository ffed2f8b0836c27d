"""Indexer: add, skip unchanged, update, delete, rebuild, bad input, version check."""

import json

import pytest

from search import storage
from search.documents import Document
from search.engine import Engine
from search.errors import IndexVersionMismatch
from search.indexer import Indexer
from search.request import SearchRequest


def doc(i, text="kabar", **kw):
    return Document(id=f"d{i}", title=f"judul {i}", text=f"{text} nomor{i}", lang="id", **kw)


def ids(index_dir, q):
    return sorted(h.id for h in Engine(index_dir).search(SearchRequest(q=q, per_page=100)).hits)


def test_add_skip_update(tmp_path):
    indexer = Indexer(tmp_path)
    r = indexer.add_documents([doc(1), doc(2)])
    assert (r.added, r.updated, r.unchanged) == (2, 0, 0)
    r = indexer.add_documents([doc(1), doc(2, text="berita")])
    assert (r.added, r.updated, r.unchanged) == (0, 1, 1)
    assert ids(tmp_path, "berita") == ["d2"]
    assert Engine(tmp_path).count() == 2


def test_delete(tmp_path):
    indexer = Indexer(tmp_path)
    indexer.add_documents([doc(1), doc(2)])
    assert indexer.delete(["d1", "missing"]) == 1
    assert ids(tmp_path, "kabar") == ["d2"]


def test_rebuild_replaces_everything_at_once(tmp_path):
    indexer = Indexer(tmp_path)
    indexer.add_documents([doc(1), doc(2)])
    r = indexer.add_documents([doc(3)], rebuild=True)
    assert r.added == 1
    assert ids(tmp_path, "kabar") == ["d3"]


def test_commits_in_batches(tmp_path):
    Indexer(tmp_path, commit_every=3).add_documents(doc(i) for i in range(10))
    assert Engine(tmp_path).count() == 10


def test_language_is_detected_when_missing(tmp_path):
    Indexer(tmp_path).add_documents([
        Document(id="fa", title="", text="روابط ایران و آذربایجان در سال جاری"),
        Document(id="id", title="", text="Hubungan antara kedua negara yang bertetangga"),
    ])
    engine = Engine(tmp_path)
    assert engine.document("fa").lang == "fa" and engine.document("id").lang == "id"


def test_bad_items_are_reported_and_the_rest_indexed(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "text": "satu"}\n{broken\n\xff\xfe\n{"id": "b", "text": "dua"}\n')
    r = Indexer(tmp_path / "ix").index_paths([src])
    assert r.added == 2 and r.partial
    assert len(r.errors) == 2
    assert "in.jsonl:2:" in r.errors[0] and "in.jsonl:3:" in r.errors[1]


def test_schema_version_mismatch_asks_for_rebuild(tmp_path):
    Indexer(tmp_path).add_documents([doc(1)])
    (tmp_path / storage.MARKER).write_text(json.dumps({"schema": -1}))
    with pytest.raises(IndexVersionMismatch, match="--rebuild"):
        Engine(tmp_path)
    with pytest.raises(IndexVersionMismatch):
        Indexer(tmp_path).add_documents([doc(2)])
    Indexer(tmp_path).add_documents([doc(2)], rebuild=True)
    assert ids(tmp_path, "kabar") == ["d2"]


def test_an_index_rebuilt_from_nothing_answers_with_nothing(tmp_path):
    # Whoosh's reader of an index without segments is one EmptyReader with no segment.
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Kabar", text="Kata Lavrov di Moskow.")])
    Indexer(tmp_path).add_documents([], rebuild=True)
    engine = Engine(tmp_path)
    engine.warm_up()
    results = engine.search(SearchRequest(q="Lavrov OR لاوروف"))
    assert (results.total, results.hits, engine.count()) == (0, [], 0)
    assert engine.complete("lav") == []


def _long_doc(i):
    words = " ".join(f"kata{(i * 37 + k) % 997} berita{k % 53}" for k in range(150))
    return Document(id=f"L{i}", title=f"judul panjang {i}", text=words, lang="id")


def _segments(index_dir):
    with storage.open_index(index_dir).reader() as reader:
        return [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]


@pytest.mark.parametrize("procs", [1, 2])
def test_a_run_commits_before_its_pools_spill(tmp_path, monkeypatch, procs):
    """With a small budget the run commits when a pool (in this process, or in a forked
    worker) nears it, instead of spilling sorted runs to disk at commit_every."""
    from whoosh.writing import PostingPool

    spills = []
    save = PostingPool.save
    monkeypatch.setattr(PostingPool, "save", lambda pool: (spills.append(1), save(pool))[1])
    # Forked workers report their fill late (they start, load the analyzers, then read
    # batches of 50): enough documents that the parent, whose job queue holds 8 batches,
    # is still adding when they do.
    n, limitmb = (120, 2) if procs == 1 else (1000, 16)
    Indexer(tmp_path, limitmb=limitmb, procs=procs).add_documents(_long_doc(i) for i in range(n))
    sizes = _segments(tmp_path)
    # One commit makes one segment per process; more are commits the budget asked for
    # (a worker's fill reaches the parent a batch of 50 documents late).
    assert sum(sizes) == n and len(sizes) >= procs + 1
    if procs == 1:
        assert spills == []  # a forked worker's spills are not seen here; its segments are
    engine = Engine(tmp_path)
    assert engine.count() == n
    want = {d.id for d in map(_long_doc, range(n)) if "kata5 " in d.text}
    res = engine.search(SearchRequest(q="kata5", per_page=100, collapse=False))
    assert want and res.total == len(want) and {h.id for h in res.hits} <= want


def test_a_run_whose_last_document_ends_a_commit_stores_its_tables(tmp_path):
    """The cross-script tables are stored for the run's last generation even when no
    document is left after its last commit (10 documents in commits of 5)."""
    Indexer(tmp_path, commit_every=5).add_documents(doc(i) for i in range(10))
    with storage.open_index(tmp_path).reader() as reader:
        generation = reader.generation()
    assert sorted(p.name for p in tmp_path.glob("xscript-*.pickle")) == [f"xscript-{generation}.pickle"]
