"""Completions come from the index's surface words, most documents first, in both scripts."""

from __future__ import annotations

import pytest

from search import completions
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.queue import Op, WriteQueue
from search.writer import IndexWriter


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("complete")
    docs = [
        Document(id="a", title="Hubungan bilateral", text="hubungan dagang berhubungan erat", lang="id"),
        Document(id="b", title="Hubungan baru", text="hubungannya baik, hubungan lama", lang="id"),
        Document(id="c", title="Huruf", text="hubungi kami", lang="id"),
        Document(id="d", title="روابط ایران و آذربایجان", text="جمهوری آذربايجان و آذربایجانی‌ها می‌گویند", lang="fa"),
    ]
    Indexer(path).add_documents(docs)
    return Engine(path)


def words(engine, q, limit=8):
    return [(c.word, c.documents) for c in engine.complete(q, limit)]


def test_surface_forms_not_stems_ranked_by_documents(engine):
    assert words(engine, "hubung") == [("hubungan", 2), ("hubungannya", 1), ("hubungi", 1)]
    assert "hubung" not in [w for w, _ in words(engine, "hub")]


def test_persian_completes_with_folded_letters_and_zwnj(engine):
    # «آذربايجان» with an Arabic yeh in the text is the same word as with a Persian one.
    assert words(engine, "آذرب") == [("آذربایجان", 1), ("آذربایجانی\u200cها", 1)]
    assert words(engine, "آذربايج")[0] == ("آذربایجان", 1)  # typed with an Arabic yeh
    assert words(engine, "می")[0][0] == "می\u200cگویند"


def test_last_word_completed_earlier_words_kept(engine):
    found = engine.complete("relasi Hubung", 2)
    assert [c.text for c in found] == ["relasi hubungan", "relasi hubungannya"]


def test_limits_and_nothing_typed(engine):
    assert len(engine.complete("h", 1)) == 1
    assert engine.complete("", 5) == [] and engine.complete("   ", 5) == []
    assert engine.complete("zzzz") == []


def test_the_packed_table_of_several_segments_holds_whooshs_words_and_frequencies(tmp_path):
    for batch in (["hubungan dagang", "hubungi kami"], ["hubungan lama", "روابط ایران"], ["جمهوری آذربایجان"]):
        Indexer(tmp_path).add_documents(
            [Document(id=f"{text}-{i}", title="", text=text, lang="fa" if text[0] > "z" else "id")
             for i, text in enumerate(batch)])
    searcher = Engine(tmp_path).searchers.searcher()
    reader = searcher.reader()
    assert len(reader.leaf_readers()) >= 2
    table = completions.table(reader)
    expected = sorted(set(reader.lexicon(completions.FIELD)))
    assert list(table.terms) == expected and len(table.terms) == len(expected)
    assert [table.terms[i] for i in range(len(expected))] == expected
    assert table.freqs.tolist() == [reader.doc_frequency(completions.FIELD, t) for t in expected]


def test_a_live_index_completes_from_its_big_and_recent_segments_exactly(tmp_path, monkeypatch):
    """Big segments' table kept, small ones' merged per generation: every prefix's
    top words and counts equal a count over Whoosh's own lexicon of all segments."""
    import random

    monkeypatch.setattr(completions, "BASE_DOCS", 6)
    rng = random.Random(7)
    vocab = [f"{a}{b}{c}" for a in "hks" for b in "aiu" for c in ("bar", "but", "ngan", "nya", "ri", "ta")]
    weights = [rng.random() ** 3 for _ in vocab]
    n = 0
    writer = IndexWriter(tmp_path, background_merges=True)  # a commit per batch, no merge
    writer.max_segments = 100
    writer.start()
    for size in (12, 9, 3, 2, 1, 2):  # two big segments (>= 6 documents), four small ones
        docs = [Document(id=f"d{n + i}", title="", lang="id", text=" ".join(rng.choices(vocab, weights, k=6)))
                for i in range(size)]
        WriteQueue(tmp_path).enqueue([Op("put", d.id, d) for d in docs])
        assert writer.apply_batch() == size
        n += size
    writer.close()
    reader = Engine(tmp_path).searchers.searcher().reader()
    sizes = [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]
    assert sum(1 for s in sizes if s >= 6) >= 2 and sum(1 for s in sizes if s < 6) >= 2, sizes
    table = completions.table(reader)
    assert isinstance(table, completions._Split)
    docs = {t: reader.doc_frequency(completions.FIELD, t) for t in reader.lexicon(completions.FIELD)}
    checked = 0
    for prefix in sorted({w[:k] for w in vocab for k in (1, 2, 3)}):
        for limit in (1, 3, 8):
            want = sorted(((t.decode(), f) for t, f in docs.items() if t.startswith(prefix.encode())),
                          key=lambda x: (-x[1], x[0]))
            got = table.top(prefix.encode(), limit)
            # Equal counts may tie at the cut: compare the counts, and the words above the tie.
            assert [f for _w, f in got] == [f for _w, f in want[:limit]], (prefix, limit)
            cut = want[limit - 1][1] if len(want) >= limit else -1
            assert [w for w, f in got if f > cut] == [w for w, f in want[:limit] if f > cut]
            checked += 1
    assert checked > 100


def test_a_word_below_both_tables_own_tops_still_ranks_by_its_whole_count(tmp_path, monkeypatch):
    # Base: hujan in 10 documents, hutan in 9; recent: hukum in 5, hutan in 2. hutan has 11.
    monkeypatch.setattr(completions, "BASE_DOCS", 6)
    writer = IndexWriter(tmp_path, background_merges=True)
    writer.max_segments = 100
    writer.start()
    big = [Document(id=f"b{i}", title="", lang="id",
                    text=" ".join(w for w, k in (("hujan", 10), ("hutan", 9)) if i < k) or "kabar")
           for i in range(12)]
    small = [Document(id=f"s{i}", title="", lang="id", text="hukum" if i < 5 else "hutan") for i in range(7)]
    for batch in (big, small[:3], small[3:5], small[5:]):
        WriteQueue(tmp_path).enqueue([Op("put", d.id, d) for d in batch])
        assert writer.apply_batch() == len(batch)
    writer.close()
    table = completions.table(Engine(tmp_path).searchers.searcher().reader())
    assert isinstance(table, completions._Split)
    assert table.top(b"hu", 1) == [("hutan", 11)]
    assert table.top(b"hu", 3) == [("hutan", 11), ("hujan", 10), ("hukum", 5)]
