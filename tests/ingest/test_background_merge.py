"""The server's writer merges its small segments in a child process (search/merging.py)
and swaps the result in at a later commit: nothing lost, nothing doubled, and what was
updated or deleted while the merge ran stays updated or deleted."""

from __future__ import annotations

import pickle
import time

from search import codec, merging, storage, xtables
from search import writer as writer_mod
from search.documents import Document
from search.indexer import Indexer
from search.queue import Op, WriteQueue
from search.writer import MAX_SEGMENTS, TIER_WIDTH, IndexWriter, merge_candidates


def _put(i: int, text: str = "") -> Op:
    return Op("put", f"w{i}", Document(id=f"w{i}", lang="id", title=f"Kabar {i}",
                                       text=text or f"Hujan turun di kota nomor {i} pada pagi hari."))


def _commit(writer: IndexWriter, ops: list[Op]) -> None:
    WriteQueue(writer.index_dir).enqueue(ops)
    assert writer.apply_batch() == len(ops)


def test_a_background_merge_swaps_in_with_the_updates_and_deletes_made_meanwhile(tmp_path):
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Awal", text="Berita pertama.")])
    writer = IndexWriter(tmp_path, background_merges=True)
    writer.max_segments = 4  # the base's segment and three batches
    writer.start()
    try:
        for n in range(3):
            _commit(writer, [_put(2 * n + 1), _put(2 * n + 2)])
        assert writer._merge is not None  # 4 small segments: a merge of them runs
        sources = set(writer._merge.ids)
        # While it runs: w1 updated, w2 deleted (both in segments being merged).
        _commit(writer, [_put(1, "Banjir besar melanda kota pelabuhan."), Op("delete", "w2")])
        deadline = time.monotonic() + 60
        while writer._merge is not None and writer._merge.finished() is False:
            assert time.monotonic() < deadline, "merge did not finish"
            time.sleep(0.05)
        writer.max_segments = 100  # no further merge after the swap
        _commit(writer, [_put(7)])  # this commit swaps the merged segment in
        assert writer._merge is None
    finally:
        writer.close()
    ix = storage.open_index(tmp_path)
    with ix.searcher() as s:
        segments = {leaf.segment().segment_id() for leaf, _ in s.reader().leaf_readers()}
        assert not segments & sources  # the merged sources are gone
        assert len(segments) == 3  # merged, w1's update, w7
        ids = sorted(s.reader().all_stored_fields(), key=lambda f: f["id"])
        assert [f["id"] for f in ids] == ["a", "w1", "w3", "w4", "w5", "w6", "w7"]  # each once, w2 gone
        assert ids[1]["text"] == "Banjir besar melanda kota pelabuhan."
        # Batch segments are written uncompressed (codec.live_codec), the merged one with
        # Whoosh's compression (on blocks of COMPRESS_FROM bytes or more: these are smaller).
        kinds = {}
        for leaf, _ in s.reader().leaf_readers():
            btext = next(iter(leaf.lexicon("body_id")))
            blocks = codec.blocks(codec.term_matcher(leaf, "body_id", btext))
            kinds[leaf.doc_count_all()] = ({b.compression for b in blocks}, leaf.segment().codec()._compression)
        assert kinds == {7: ({0}, 3), 1: ({0}, 0)}  # merged: a, w1-w6; w1's update and w7: one each
    names = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in names if n.startswith((merging.MERGE_NAME, "merge-job-", "merge-done-"))]
    # Each segment's cross-script layer is stored, the merged one's by the merge itself
    # under the id the swap gave it: no search worker builds one.
    layers = {sid: pickle.loads((tmp_path / f"{sid}{xtables.LAYER_EXT}").read_bytes())["layer"]
              for sid in segments}
    assert all(layer.segments == {sid} for sid, layer in layers.items())
    assert sorted(layer.docs for layer in layers.values()) == [1, 1, 7]


def test_a_merge_left_by_a_killed_writer_is_cleaned_and_changes_nothing(tmp_path):
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Awal", text="Berita pertama.")])
    writer = IndexWriter(tmp_path, background_merges=True)
    writer.max_segments = 2
    writer.start()
    _commit(writer, [_put(1)])
    assert writer._merge is not None
    writer._merge.proc.kill()  # as a kill -9 of the server would
    writer._merge.proc.wait()
    after = IndexWriter(tmp_path, background_merges=True)
    after.start()  # the next writer
    names = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in names if n.startswith((merging.MERGE_NAME, "merge-job-", "merge-done-"))]
    WriteQueue(tmp_path).enqueue([_put(2)])
    after.drain()  # w1 again (after the last checkpoint: idempotent), then w2
    after.close()
    with storage.open_index(tmp_path).searcher() as s:
        assert sorted(f["id"] for f in s.reader().all_stored_fields()) == ["a", "w1", "w2"]


def test_a_merge_whose_files_are_gone_is_dropped_and_its_sources_kept(tmp_path):
    Indexer(tmp_path).add_documents([Document(id="a", lang="id", title="Awal", text="Berita pertama.")])
    writer = IndexWriter(tmp_path, background_merges=True)
    writer.max_segments = 3
    writer.start()
    try:
        _commit(writer, [_put(1)])
        _commit(writer, [_put(2)])
        assert writer._merge is not None
        deadline = time.monotonic() + 60
        while writer._merge.finished() is False:
            assert time.monotonic() < deadline, "merge did not finish"
            time.sleep(0.05)
        for p in tmp_path.glob(f"{merging.MERGE_NAME}_*"):
            p.unlink()  # the merge's output lost: the swap must not name files that are gone
        writer.max_segments = 100
        _commit(writer, [_put(3)])
        assert writer._merge is None
    finally:
        writer.close()
    with storage.open_index(tmp_path).searcher() as s:
        assert sorted(f["id"] for f in s.reader().all_stored_fields()) == ["a", "w1", "w2", "w3"]


class _Seg:
    def __init__(self, n: int):
        self.n = n

    def doc_count_all(self) -> int:
        return self.n


def test_merge_candidates_small_first_then_the_middle_tier_never_bulk():
    bulk = [_Seg(10_000), _Seg(9_600)]  # `lintas index` commits: above the ceiling
    batches = [_Seg(50) for _ in range(MAX_SEGMENTS)]
    assert merge_candidates(bulk + batches[:-1]) == []
    assert merge_candidates(bulk + batches) == batches
    merged = [_Seg(1_200) for _ in range(TIER_WIDTH)]
    assert merge_candidates(bulk + merged[:-1] + batches[:3]) == []
    assert merge_candidates(bulk + merged + batches[:3]) == merged
    assert merge_candidates(bulk + merged + [_Seg(1_200)]) == merged  # the first TIER_WIDTH, in index order
    assert merge_candidates(bulk * 20) == []


def test_a_long_stream_keeps_the_segment_count_bounded(tmp_path, monkeypatch):
    """Batch after batch, merge after merge: the small ones merge, what they made merges
    again, the bulk segment stays, and every document is there once."""
    monkeypatch.setattr(writer_mod, "SMALL_SEGMENT_DOCS", 2)
    monkeypatch.setattr(writer_mod, "TIER_WIDTH", 2)
    monkeypatch.setattr(writer_mod, "TIER_CEILING", 10)
    Indexer(tmp_path).add_documents([Document(id=f"b{i}", lang="id", title="Awal", text=f"Berita {i}.")
                                     for i in range(12)])
    bulk = {s.segment_id() for s in storage.open_index(tmp_path)._segments()}
    writer = IndexWriter(tmp_path, background_merges=True)
    writer.max_segments = 3
    writer.start()
    counts = []
    try:
        for n in range(24):
            _commit(writer, [_put(n)])
            deadline = time.monotonic() + 60
            while writer._merge is not None and writer._merge.finished() is False:
                assert time.monotonic() < deadline, "merge did not finish"
                time.sleep(0.02)
            counts.append(len(storage.open_index(tmp_path)._segments()))
    finally:
        writer.close()
    segments = storage.open_index(tmp_path)._segments()
    assert bulk <= {s.segment_id() for s in segments}  # never merged
    sizes = sorted(s.doc_count_all() for s in segments)
    assert max(counts) <= 1 + 3 + 2 + 2  # bulk, small ones, the middle tier, merged past it
    assert len([n for n in sizes if n >= 10]) == 2, sizes  # the bulk one, and merges of merges past the tier
    with storage.open_index(tmp_path).searcher() as s:
        ids = sorted(f["id"] for f in s.reader().all_stored_fields())
    assert ids == sorted([f"b{i}" for i in range(12)] + [f"w{n}" for n in range(24)])
