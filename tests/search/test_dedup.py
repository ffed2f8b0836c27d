"""Near-duplicates: a re-posted article joins its original's cluster, others do not,
whether the two arrive in one run, in two runs, or the copy is later edited away."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search import dedup
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest
from tests.web.reader_corpus import COPY_ID, reader_documents

ORIGINAL = "002_2e6686a3ccd039ae"


@pytest.fixture(scope="module")
def docs():
    return {d.id: d for d in reader_documents()}


def test_copy_is_similar_and_others_are_not(docs):
    assert dedup.similarity(docs[ORIGINAL].text, docs[COPY_ID].text) > 0.8
    others = [d for d in docs if d not in (ORIGINAL, COPY_ID)]
    assert all(dedup.similarity(docs[ORIGINAL].text, docs[o].text) < 0.3 for o in others)


def test_short_texts_are_never_clustered():
    assert dedup.signature("Iran dan Rusia") is None


def clusters(index_dir) -> dict[str, set[str]]:
    engine = Engine(index_dir)
    res = engine.search(SearchRequest(q="Rusia OR Iran OR ایران", per_page=50))
    return {h.id: {s["id"] for s in h.similar} for h in res.hits}


def test_one_run_folds_the_copy(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    found = clusters(tmp_path)
    assert {ORIGINAL, COPY_ID} & set(found) and len({ORIGINAL, COPY_ID} & set(found)) == 1
    shown = ORIGINAL if ORIGINAL in found else COPY_ID
    assert found[shown] == {ORIGINAL, COPY_ID} - {shown}
    assert all(not v for k, v in found.items() if k != shown)


def test_copy_indexed_in_a_later_run_joins_the_cluster(tmp_path, docs):
    Indexer(tmp_path).add_documents([d for k, d in docs.items() if k != COPY_ID])
    Indexer(tmp_path).add_documents([docs[COPY_ID]])
    res = Engine(tmp_path).search(SearchRequest(q="Rusia"))
    assert res.total == 3 and res.total_collapsed == 2


def test_an_edited_copy_leaves_the_cluster(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    fresh = " ".join(f"laporan{i} baru" for i in range(60))  # like no other document
    rewritten = replace(docs[COPY_ID], text=f"Rusia dan Indonesia {fresh}")
    Indexer(tmp_path).add_documents([rewritten])
    res = Engine(tmp_path).search(SearchRequest(q="Rusia"))
    assert res.total == 3 and res.total_collapsed == 3


def test_collapse_off_lists_every_copy(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    engine = Engine(tmp_path)
    on = engine.search(SearchRequest(q="Rusia"))
    off = engine.search(SearchRequest(q="Rusia", collapse=False))
    assert (on.total, on.total_collapsed, len(on.hits)) == (3, 2, 2)
    assert (off.total, off.total_collapsed, len(off.hits)) == (3, 3, 3)
    assert sum(h.similar_count for h in on.hits) == 1 and not any(h.similar_count for h in off.hits)


def dup_labels(index_dir) -> dict[str, str]:
    engine = Engine(index_dir)
    reader = engine.searchers.searcher().reader()
    ids, labels = reader.column_reader("id"), reader.column_reader("dup")
    return {ids[n]: labels[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}


def test_http_writer_batches_join_clusters_in_small_and_big_segments(tmp_path, docs):
    """The writer's band table covers the small segments; big ones are looked up on disk."""
    from search.queue import Op, WriteQueue
    from search.writer import IndexWriter

    originals = [d for k, d in docs.items() if k != COPY_ID]
    Indexer(tmp_path).add_documents(originals)  # one segment of len(originals) documents: "big"
    writer = IndexWriter(tmp_path)
    writer._bands = dedup.BandTable(small_docs=len(originals))
    fresh = replace(docs[COPY_ID], id="fresh", text=" ".join(f"warta{i} hari ini" for i in range(40)))
    for op in (Op("put", COPY_ID, docs[COPY_ID]), Op("put", "fresh", fresh),
               Op("put", "fresh-copy", replace(fresh, id="fresh-copy", text=fresh.text + " Foto: dokumentasi."))):
        WriteQueue(tmp_path).enqueue([op])
        writer.apply_batch()  # a commit (a small segment) per document
    # Each writer segment is covered as it is committed, from its own documents' keys:
    # the same table as reading the segments back.
    assert len(writer._bands.segments) == 3
    read_back = dedup.BandTable(small_docs=len(originals))
    read_back.refresh(Engine(tmp_path).searchers.searcher().reader())
    assert read_back.segments == writer._bands.segments and read_back.labels == writer._bands.labels
    labels = dup_labels(tmp_path)
    assert labels[COPY_ID] == labels[ORIGINAL]  # found in the big segment
    assert labels["fresh-copy"] == labels["fresh"] != labels[ORIGINAL]  # found in the band table
    assert len(set(labels.values())) == len(originals) + 1


def test_signatures_are_datasketchs_minhash_of_the_shingle_hashes(docs):
    # The index's band keys must not change with how a signature is computed: an
    # index built before keeps clustering new copies with its old documents.
    import numpy as np
    from datasketch import MinHash

    texts = [d.text for d in docs.values()] + ["Banjir melanda Jakarta, Bekasi dan Bogor pada hari Senin pagi ini juga"]
    for text in texts:
        m = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED, scheme=dedup.SCHEME, hashfunc=dedup.shingle_hash)
        m.update_batch(list(dedup.shingles(text)))
        sig = dedup.signature(text)
        assert sig is not None and sig.dtype == m.hashvalues.dtype
        assert np.array_equal(sig, m.hashvalues)
    assert dedup.shingles("satu dua") == {b"satu dua"}
    assert dedup.shingles("satu dua tiga empat") == {b"satu dua tiga", b"dua tiga empat"}
    # Word order counts, and a repeated shingle is one.
    assert dedup.shingle_hash(b"satu dua tiga") != dedup.shingle_hash(b"tiga dua satu")
    assert dedup.shingle_hash(b"satu dua tiga") != dedup.shingle_hash(b"satu dua empat")
    assert len(dedup._shingle_hashes("a b c a b c".split())) == 3
    with pytest.raises(ValueError, match="a shingle is 3 words"):
        dedup.shingle_hash(b"satu dua")


def test_signatures_estimate_the_jaccard_similarity_of_shingles(docs):
    # A fixed value per (text, text) would pass the test above with a broken hash: the
    # estimate must follow the true similarity of the shingle sets, within MinHash's error
    # (sd = sqrt(J (1 - J) / 128) <= 0.045).
    import random

    import numpy as np

    rng = random.Random(7)
    words = " ".join(d.text for d in docs.values()).split()
    errors = []
    for _ in range(60):
        start = rng.randrange(len(words) - 200)
        a = words[start:start + 120]
        cut = rng.randint(5, 100)
        b = a[cut:] + words[start + 130:start + 130 + rng.randint(0, 60)]
        sa, sb = dedup.shingles(" ".join(a)), dedup.shingles(" ".join(b))
        true = len(sa & sb) / len(sa | sb)
        errors.append(dedup.similarity(" ".join(a), " ".join(b)) - true)
    assert abs(np.mean(errors)) < 0.02
    assert np.std(errors) < 0.06


def test_the_big_segment_filter_keeps_exactly_the_keys_the_segment_holds(tmp_path, docs):
    Indexer(tmp_path).add_documents(list(docs.values()))
    leaf = next(leaf for leaf, _ in Engine(tmp_path).searchers.searcher().reader().leaf_readers())
    held = [b.decode() for b in leaf.lexicon("lsh")][::7]
    other = dedup.band_keys(dedup.signature(" ".join(f"kata{i} lain sekali" for i in range(60))))
    bands = dedup.BandTable(small_docs=1)
    mixed = [*held[:20], *other, *held[20:40]]
    assert bands.in_big(leaf, mixed) == [*held[:20], *held[20:40]]
    assert bands.in_big(leaf, other) == []
    assert bands.in_big(leaf, ["not-a-band-key", held[0]]) == ["not-a-band-key", held[0]]  # looked up as before


def test_a_segment_too_big_to_filter_is_looked_up_key_by_key(tmp_path, docs, monkeypatch):
    Indexer(tmp_path).add_documents(list(docs.values()))
    leaf = next(leaf for leaf, _ in Engine(tmp_path).searchers.searcher().reader().leaf_readers())
    monkeypatch.setattr(dedup, "FILTER_KEYS", leaf.doc_count_all() * dedup.BANDS - 1)
    other = dedup.band_keys(dedup.signature(" ".join(f"kata{i} lain sekali" for i in range(60))))
    assert dedup.BandTable(small_docs=1).in_big(leaf, other) == other


def test_a_copy_in_a_later_commit_of_one_run_joins_the_cluster(tmp_path, docs):
    """The run's earlier commits are looked up through the segments' band-key filters."""
    others = [d for k, d in docs.items() if k != COPY_ID]
    Indexer(tmp_path, commit_every=2).add_documents([*others, docs[COPY_ID]])
    res = Engine(tmp_path).search(SearchRequest(q="Rusia"))
    assert res.total == 3 and res.total_collapsed == 2


def test_a_lazy_band_table_reads_a_segments_codes_only_once_lookups_would_cost_as_much(tmp_path, docs):
    from search import storage

    Indexer(tmp_path).add_documents(list(docs.values()))
    with storage.open_index(tmp_path).reader() as reader:
        (leaf, _), = reader.leaf_readers()
        real = [b.decode() for b in leaf.lexicon("lsh")][:2]
        absent = ["0" + "f" * 16, "1" + "e" * 16]
        keys = real + absent
        segment_keys = leaf.doc_count_all() * dedup.BANDS
        table = dedup.BandTable(small_docs=0, lazy=True)
        asked = 0
        while (asked + len(keys)) * dedup.LOOKUP_OVER_READ < segment_keys:
            assert table.in_big(leaf, keys) == keys  # still cheaper to look them all up
            asked += len(keys)
        assert table.in_big(leaf, keys) == real  # now filtered: absent keys need no lookup
        assert dedup.BandTable(small_docs=0).in_big(leaf, keys) == real  # eager: at once
