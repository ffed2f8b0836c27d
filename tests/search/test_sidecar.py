"""The posting sidecar holds exactly Whoosh's postings, and is never used when wrong.

A real index on disk with several segments, deletions and an update (as in
test_vectorized.py); Whoosh's own matchers and decoders are the reference.
"""

from __future__ import annotations

import gc
import os
import shutil

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search import postings, sidecar, sidecar_build
from search.engine import Engine
from search.request import SearchRequest
from tests.search.test_vectorized import _queries, _seed_documents, build_multi_segment_index, whoosh_postings


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("sidecar-index")
    build_multi_segment_index(path)
    return path


def _sidecars(path) -> list[str]:
    return sorted(n for n in os.listdir(path) if n.endswith(sidecar.EXT))


def _segments(path) -> list[str]:
    ix = whoosh_index.open_dir(str(path))
    return sorted(seg.segment_id() for seg in ix._segments())


def _leaves(path):
    reader = whoosh_index.open_dir(str(path)).reader()
    return [leaf for leaf, _offset in reader.leaf_readers()]


def test_every_commit_writes_one_sidecar_per_segment(index_dir):
    segments = _segments(index_dir)
    assert len(segments) >= 3
    assert _sidecars(index_dir) == [f"{s}{sidecar.EXT}" for s in segments]
    assert all(sidecar.of(leaf) is not None for leaf in _leaves(index_dir))


def test_sidecar_equals_whooshs_own_decoding(index_dir):
    checked = 0
    for leaf in _leaves(index_dir):
        assert leaf.has_deletions() or leaf.doc_count() == leaf.doc_count_all()
        sc = sidecar.of(leaf)
        assert set(sc.fields) == {"title_fa", "title_id", "title_en", "body_fa", "body_id", "body_en"} \
            & set(leaf.indexed_field_names())
        for fieldname, fp in sc.fields.items():
            fmt = leaf.schema[fieldname].format
            terms = list(leaf.lexicon(fieldname))
            assert len(fp.keys) == len(terms)
            for btext in terms:
                plist = postings.postings(leaf, fieldname, btext)
                assert plist.field is fp
                m = leaf._terms.matcher(fieldname, btext, fmt)
                ids, tfs, values = whoosh_postings(m)
                assert plist.ids.tolist() == ids
                assert plist.tfs.astype(float).tolist() == tfs
                owner, pos = postings.positions_of(leaf, fieldname, plist, np.arange(len(ids)))
                assert list(zip(owner.tolist(), pos.tolist())) == \
                    [(j, p) for j, v in enumerate(values) for p in fmt.decoder("positions")(v)]
                if fieldname.startswith("body"):
                    for i, v in enumerate(values):
                        chars = [tuple(x) for x in fmt.decoder("characters")(v)]
                        assert postings.spans_at(leaf, fieldname, plist, i) == chars
                        assert postings.spans_of(leaf, fieldname, btext, ids[i]) == [(a, b) for _p, a, b in chars]
                    missing = sorted(set(range(leaf.doc_count_all())) - set(ids))[:3]
                    assert all(postings.spans_of(leaf, fieldname, btext, d) == [] for d in missing)
                checked += len(ids)
            assert postings.postings(leaf, fieldname, b"\xff-not-a-term") is None
            # Every term was looked up twice above, through the remembered lookups.
            assert fp.find(b"\xff-not-a-term") == -1 and 0 < len(fp.found) <= sidecar.FOUND_TERMS
            assert all(fp.find(t) == i for i, t in list(enumerate(terms))[:50])
            everyone = np.arange(leaf.doc_count_all())
            assert postings.lengths_of(leaf, fieldname, everyone).tolist() == \
                [leaf.doc_field_length(n, fieldname) or 0 for n in everyone]
    assert checked > 5000


def _sidecar_mappings() -> list[str]:
    """This process's mappings of sidecar files (Linux /proc/self/maps)."""
    with open("/proc/self/maps") as f:
        return [line for line in f if line.rstrip().endswith(sidecar.EXT)]


def test_searches_read_the_sidecars_and_map_none_of_them(index_dir):
    """A worker's RSS never holds sidecar pages: they are read into buffers, not mapped."""
    sidecar.forget()
    engine = Engine(index_dir)
    expected = _same_as_whoosh(engine)
    assert any(sidecar.of(leaf) is not None for leaf in _leaves(index_dir))
    assert _sidecar_mappings() == []
    assert _same_as_whoosh(engine) == expected


def test_each_sidecar_is_opened_once_per_process_and_closed_with_its_last_reader(index_dir):
    sidecar.forget()
    leaves = _leaves(index_dir)
    first = [sidecar.of(leaf) for leaf in leaves]
    again = [sidecar.of(leaf) for leaf in _leaves(index_dir)]  # new readers, same files
    assert all(a is b for a, b in zip(first, again))
    fds = [sc.file.fd for sc in first]
    assert len(set(fds)) == len(fds)
    assert all(os.readlink(f"/proc/self/fd/{fd}") == str(sc.path) for fd, sc in zip(fds, first))
    sidecar.forget()
    del first, again, leaves
    gc.collect()
    assert not any(os.path.exists(f"/proc/self/fd/{fd}") and
                   os.readlink(f"/proc/self/fd/{fd}").endswith(sidecar.EXT) for fd in fds)


def test_the_directory_finds_every_term_and_no_other(index_dir):
    large = 0
    for leaf in _leaves(index_dir):
        for fieldname, fp in sidecar.of(leaf).fields.items():
            terms = list(leaf.lexicon(fieldname))
            large += len(terms) > 4 * sidecar.SAMPLE  # lookups across several runs of sampled keys
            fp.found.clear()
            assert [fp.find(t) for t in terms] == list(range(len(terms)))
            fp.found.clear()
            known = set(terms)
            between = [t + b"\x00" for t in terms] + [t[:-1] for t in terms] + [b"", b"\x00", b"\xff" * 20]
            assert all(fp.find(t) == -1 for t in between if t not in known)
    assert large >= 1


def test_searches_on_the_sidecar_equal_whooshs(index_dir):
    assert all(sidecar.of(leaf) is not None for leaf in _leaves(index_dir))
    assert _same_as_whoosh(Engine(index_dir)) > 30


def test_searches_without_sidecars_equal_whooshs(index_dir, tmp_path):
    """An index written before sidecars: Whoosh's blocks decoded, the same results."""
    bare = tmp_path / "bare"
    shutil.copytree(index_dir, bare, ignore=shutil.ignore_patterns(f"*{sidecar.EXT}"))
    assert _sidecars(bare) == []
    assert all(sidecar.of(leaf) is None for leaf in _leaves(bare))
    assert _same_as_whoosh(Engine(bare)) > 30


def _same_as_whoosh(engine) -> int:
    checked = 0
    for text in _queries(engine)[::3]:
        engine.vectorize = True
        fast = engine.search(SearchRequest(q=text, per_page=100, snippets=True))
        engine.vectorize = False
        slow = engine.search(SearchRequest(q=text, per_page=100, snippets=True))
        engine.vectorize = True
        assert [h.id for h in fast.hits] == [h.id for h in slow.hits], text
        assert [h.score for h in fast.hits] == pytest.approx([h.score for h in slow.hits], rel=1e-9)
        assert [h.snippet for h in fast.hits] == [h.snippet for h in slow.hits]
        assert fast.total == slow.total
        checked += bool(fast.hits)
    return checked


@pytest.fixture
def copy(index_dir, tmp_path):
    """A copy of the index to damage."""
    dst = tmp_path / "index"
    shutil.copytree(index_dir, dst)
    sidecar.forget()
    yield dst
    sidecar.forget()


def _first_sidecar(path):
    leaf = min(_leaves(path), key=lambda lf: lf.segment().segment_id())
    return leaf, sidecar.path_for(path, leaf.segment().segment_id())


def test_a_truncated_sidecar_is_not_used_and_is_rebuilt(copy):
    leaf, path = _first_sidecar(copy)
    good = path.read_bytes()
    with open(path, "r+b") as f:
        f.truncate(len(good) - 100)
    with pytest.raises(sidecar.BadSidecar, match="bytes, not"):
        sidecar.read(path, sidecar.expected(leaf))
    fresh = min(_leaves(copy), key=lambda lf: lf.segment().segment_id())
    assert sidecar.of(fresh) is None
    # Searches still answer, from Whoosh's own lists, exactly as before.
    plist = postings.postings(fresh, "body_id", next(iter(fresh.lexicon("body_id"))))
    assert plist.field is None and plist.blocks
    report = sidecar_build.sync(copy)
    assert report.written == [path.name]
    assert path.read_bytes() == good  # derived data: the same bytes again
    assert sidecar.read(path, sidecar.expected(fresh)) is not None


def test_a_corrupt_or_foreign_sidecar_is_detected_and_rebuilt(copy):
    leaves = sorted(_leaves(copy), key=lambda lf: lf.segment().segment_id())
    a = sidecar.path_for(copy, leaves[0].segment().segment_id())
    b = sidecar.path_for(copy, leaves[1].segment().segment_id())
    good_b = b.read_bytes()
    shutil.copyfile(a, b)  # segment 0's sidecar under segment 1's name
    with pytest.raises(sidecar.BadSidecar, match="segment is"):
        sidecar.read(b, sidecar.expected(leaves[1]))
    data = bytearray(a.read_bytes())
    data[-70] ^= 0xFF  # one flipped byte in the arrays
    a.write_bytes(bytes(data))
    with pytest.raises(sidecar.BadSidecar, match="checksum"):
        sidecar.read(a, sidecar.expected(leaves[0]))
    report = sidecar_build.sync(copy)
    assert sorted(report.written) == sorted([a.name, b.name])
    assert b.read_bytes() == good_b


def test_a_killed_write_leaves_no_sidecar_that_lies(copy):
    leaf, path = _first_sidecar(copy)
    path.unlink()
    # What a kill -9 mid-write leaves: a temporary file, never the sidecar's own name.
    tmp = path.with_name(f"{path.name}.tmp99999")
    tmp.write_bytes(b"LINTASPS half a file")
    assert sidecar.of(min(_leaves(copy), key=lambda lf: lf.segment().segment_id())) is None
    report = sidecar_build.sync(copy)
    assert report.written == [path.name] and report.removed == [tmp.name]
    assert not tmp.exists() and sidecar.read(path, sidecar.expected(leaf)) is not None


def test_a_merge_removes_the_old_sidecars(copy):
    before = _sidecars(copy)
    assert len(before) >= 3
    ix = whoosh_index.open_dir(str(copy))
    ix.writer(compound=False).commit(optimize=True)  # every segment merged into one
    sidecar_build.sync(copy)
    after = _sidecars(copy)
    assert len(after) == 1 and not set(after) & set(before)
    assert after == [f"{s}{sidecar.EXT}" for s in _segments(copy)]
    # And an orphan (a sidecar whose segment is gone) is cleaned by the next sync.
    orphan = copy / f"MAIN_zzzzzzzzzzzzzzzz{sidecar.EXT}"
    orphan.write_bytes(b"x")
    assert sidecar_build.sync(copy).removed == [orphan.name]
    res = Engine(copy).search(SearchRequest(q=_seed_documents()[0].text.split()[2], per_page=5))
    assert res.total > 0


def test_document_frequencies_from_the_sidecar_are_whooshs(index_dir):
    from search import bm25

    checked = 0
    for leaf in _leaves(index_dir):
        assert sidecar.of(leaf) is not None
        for fieldname in ("body_id", "body_fa", "title_id"):
            terms = list(leaf.lexicon(fieldname))
            for btext in terms:
                assert bm25._leaf_df(leaf, fieldname, btext) == leaf.doc_frequency(fieldname, btext)
                assert bm25._leaf_df(leaf, fieldname, btext.decode()) == leaf.doc_frequency(fieldname, btext)
                checked += 1
            assert bm25._leaf_df(leaf, fieldname, "zzqxnotaword") == 0
        # Fields the sidecar does not hold: Whoosh's own.
        assert bm25._leaf_df(leaf, "lang", "id") == leaf.doc_frequency("lang", "id")
    assert checked > 1000


def test_terms_with_a_prefix_come_from_the_directory(index_dir):
    long_ones = 0
    for leaf in _leaves(index_dir):
        for fieldname in ("body_id", "body_fa"):
            fp = sidecar.field_of(leaf, fieldname)
            terms = list(leaf.lexicon(fieldname))
            prefixes = {t[:1] for t in terms[::50]} | {t[:n] for t in terms if len(t) > 17 for n in (16, 17)}
            long_ones += sum(1 for p in prefixes if len(p) >= 16)
            for p in prefixes:
                assert fp.with_prefix(p) == [t for t in terms if t.startswith(p)], p
    assert long_ones > 10  # prefixes as long as the directory's keys, and longer


def test_recent_lists_are_the_files_read_only_and_bounded(index_dir, monkeypatch):
    sidecar.forget()
    monkeypatch.setattr(sidecar, "LISTS_BYTES", 4096)
    seen = 0
    for leaf in _leaves(index_dir):
        fp = sidecar.field_of(leaf, "body_id") or sidecar.field_of(leaf, "body_fa")
        for btext in list(leaf.lexicon("body_id" if sidecar.field_of(leaf, "body_id") else "body_fa"))[:400]:
            t, a, b = fp.lookup(btext)
            ids, occ, tfs = fp.lists(t, a, b)
            assert ids.tolist() == np.asarray(fp.ids)[a:b].tolist()
            assert occ.tolist() == np.asarray(fp.occ)[a:b + 1].tolist()
            assert not ids.flags.writeable and not occ.flags.writeable
            again = fp.lists(t, a, b)
            assert again[0] is ids  # kept: the second ask reads nothing
            assert 0 < sidecar._lists_bytes[0] <= sidecar.LISTS_BYTES
            seen += 1
    assert seen > 400 and len(sidecar._lists) < seen  # the oldest were let go
    assert sidecar._lists_bytes[0] == sum(sum(x.nbytes for x in v if x is not None) for v in sidecar._lists.values())
    sidecar.forget()
    assert sidecar._lists_bytes[0] == 0 and not sidecar._lists
