"""Completions come from the index's surface words, most documents first, in both scripts."""

from __future__ import annotations

import pytest

from search import completions
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer


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
