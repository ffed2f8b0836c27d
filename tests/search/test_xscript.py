"""A name typed in one script finds the seeds that write it in the other (issue 13's must-show)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest
from search.searchers import REFRESH_EVERY

ROOT = Path(__file__).resolve().parents[2]
LINTAS = Path(sys.executable).with_name("lintas")
INDONESIAN = {"000", "001", "002", "004"}


def ids(results) -> set[str]:
    return {h.id[:3] for h in results.hits}


def search(engine: Engine, q: str, **kw):
    return engine.search(SearchRequest(q=q, **kw))


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("xscript-cli")
    out = subprocess.run([str(LINTAS), "index", "--index", str(index_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return index_dir


def lintas(index_dir, *args) -> subprocess.CompletedProcess:
    out = subprocess.run([str(LINTAS), "search", *args, "--index", str(index_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def test_cli_latin_name_finds_the_persian_article_and_marks_it(cli_index):
    data = json.loads(lintas(cli_index, "Azerbaijan", "--json").stdout)
    by_id = {r["id"][:3]: r for r in data["results"]}
    assert "003" in by_id
    assert "<mark>آذربایجان</mark>" in by_id["003"]["snippet"]
    assert "آذربایجان" in data["also_searched"]["Azerbaijan"]


def test_cli_no_xscript_lists_only_the_indonesian_seeds(cli_index):
    data = json.loads(lintas(cli_index, "Azerbaijan", "--no-xscript", "--json").stdout)
    assert {r["id"][:3] for r in data["results"]} == {"000", "001", "002"}
    assert data["also_searched"] == {}
    text = lintas(cli_index, "Teheran").stdout
    assert "Also searched: تهران (for Teheran)" in text


def test_teheran_finds_tehran_in_persian(engine):
    assert "003" in ids(search(engine, "Teheran"))


def test_ali_bagheri_finds_both_scripts(engine):
    found = ids(search(engine, "Ali Bagheri"))
    assert {"003", "004"} <= found


def test_persian_name_finds_the_indonesian_articles(engine):
    results = search(engine, "آذربایجان", lang="id")
    assert {"000", "001", "002"} <= ids(results)
    assert results.also_searched  # and says so


def test_persian_city_finds_the_article_writing_it_in_latin(engine):
    # باکو <-> Baku comes from CLDR: "baku" is also an Indonesian word ("standard").
    assert "001" in ids(search(engine, "باکو"))


def test_a_common_word_crosses_no_script(engine):
    results = search(engine, "hubungan", lang="fa")
    assert results.total == 0 and results.also_searched == {}
    assert search(engine, "baku", lang="fa").total == 0  # lowercase dictionary word


def test_capitalized_dictionary_word_is_read_as_a_name(engine):
    assert "003" in ids(search(engine, "Baku", lang="fa"))


def test_cross_script_match_counts_less_than_the_same_script(engine):
    results = search(engine, "Azerbaijan")
    scores = {h.id[:3]: h.score for h in results.hits}
    assert scores["003"] < min(scores[d] for d in ("000", "001"))
    # Same script alone is untouched by the expansion.
    plain = search(engine, "Azerbaijan", xscript=False)
    assert {h.id: h.score for h in plain.hits} == {h.id: h.score for h in results.hits if h.id[:3] != "003"}


@pytest.fixture(scope="module")
def exonym_engine(tmp_path_factory):
    """Two articles naming Germany and Egypt each in its own language's word."""
    index_dir = tmp_path_factory.mktemp("xscript-exonyms")
    docs = [
        Document(id="fa1", lang="fa", title="سفر به آلمان",
                 text="وزیر خارجه برای دیدار با همتای خود به آلمان و سپس به مصر سفر کرد."),
        Document(id="id1", lang="id", title="Kunjungan ke Jerman",
                 text="Menteri luar negeri berkunjung ke Jerman dan kemudian ke Mesir pekan ini."),
    ]
    assert Indexer(index_dir).add_documents(docs).added == 2
    return Engine(index_dir)


def test_exonyms_from_cldr(exonym_engine):
    # Jerman/Germany and آلمان share no transliteration; CLDR (Babel) pairs them.
    results = search(exonym_engine, "Jerman", lang="fa")
    assert ids(results) == {"fa1"} and results.also_searched == {"Jerman": ["آلمان"]}
    assert ids(search(exonym_engine, "مصر", lang="id")) == {"id1"}
    assert ids(search(exonym_engine, "Jerman", lang="fa", xscript=False)) == set()
    # What is excluded is excluded in both scripts: fa1 writes مصر.
    assert ids(search(exonym_engine, "Jerman NOT Mesir", lang="fa")) == set()
    assert ids(search(exonym_engine, "Jerman NOT Mesir", lang="id")) == set()


def test_zwnj_and_space_variants_are_one_name(engine):
    for q in ("علی‌اف", "علی اف", "علیاف"):
        results = search(engine, q, lang="id")
        assert "001" in ids(results), q


def test_phrases_of_names_cross_as_phrases(engine):
    assert "003" in ids(search(engine, '"Ali Bagheri"', lang="fa"))
    assert ids(search(engine, '"Bagheri Ali"', lang="fa")) == set()  # not the order 003 writes


def test_not_excludes_both_scripts(engine):
    # Every Indonesian seed writes Iran: NOT ایران leaves none of them.
    results = search(engine, "NOT ایران")
    assert not any(h.lang == "id" for h in results.hits)
    assert search(engine, "NOT ایران", xscript=False).facets["lang"]["id"] == 4


def test_key_tables_are_built_at_commit_and_loaded(tmp_path):
    from search import xscript

    docs = [Document(id="a", lang="id", title="Kabar", text="Kata Menteri Lavrov di Moskow, lalu Lavrov pulang."),
            Document(id="b", lang="fa", title="خبر", text="لاوروف در مسکو گفت.")]
    Indexer(tmp_path).add_documents(docs)
    stored = list(tmp_path.glob("xscript-*.pickle"))
    assert len(stored) == 1
    engine = Engine(tmp_path)
    reader = engine.searchers.searcher().reader()
    loaded = xscript.load(tmp_path, reader)
    built = xscript.build(reader)
    assert [(x.fa, x.names) for x in loaded.layers] == [(x.fa, x.names) for x in built.layers]
    assert loaded.latin_names("id", "LRF", reader) == ["lavrov"]
    assert "a" in {h.id for h in engine.search(SearchRequest(q="لاوروف")).hits}
    # A newer commit replaces the stored tables; an unreadable file is rebuilt, not trusted.
    Indexer(tmp_path).add_documents([Document(id="c", lang="id", title="Lagi", text="Lalu Lavrov datang.")])
    assert [p.name for p in tmp_path.glob("xscript-*.pickle")] != [p.name for p in stored]
    for p in tmp_path.glob("xscript-*.pickle"):
        p.write_bytes(b"not a pickle")
    fresh = Engine(tmp_path)
    assert "a" in {h.id for h in fresh.search(SearchRequest(q="لاوروف")).hits}


def test_writer_commits_add_a_layer_per_new_segment(tmp_path):
    """An HTTP-writer commit stores its segment's layer: a searcher adds layers for the new
    segments only, reusing the base stored by `lintas index`, and counts a name across layers."""
    from search import xtables
    from search.queue import Op, WriteQueue
    from search.writer import IndexWriter

    base = [Document(id="a", lang="id", title="Kabar", text="Kata Menteri Lavrov di Moskow, lalu Lavrov pulang."),
            Document(id="b", lang="fa", title="خبر", text="لاوروف و ظریف در مسکو گفتند.")]
    # Enough documents that two one-document batches stay under REBASE_SHARE of the base.
    base += [Document(id=f"f{i}", lang="id", title="Cuaca", text=f"Hujan turun pada hari ke-{i}.")
             for i in range(10)]
    Indexer(tmp_path).add_documents(base)
    engine = Engine(tmp_path)
    first = engine._xscript_tables(engine.searchers.searcher())
    assert len(first.layers) == 1
    # Zarif is capitalized once in each of two writer batches: a name only across them.
    writer = IndexWriter(tmp_path)
    for i in (1, 2):
        WriteQueue(tmp_path).enqueue([Op("put", f"w{i}", Document(
            id=f"w{i}", lang="id", title="Lagi", text=f"Lalu Zarif datang ke Teheran hari ke-{i}."))])
        writer.apply_batch()
    assert len(list(tmp_path.glob("*.xlayer"))) == 2  # one per batch's segment
    time.sleep(REFRESH_EVERY + 0.05)  # the engine's searchers look for a new generation this often
    assert "w1" in {h.id for h in engine.search(SearchRequest(q="ظریف", lang="id")).hits}
    tables = engine._xscript_tables(engine.searchers.searcher())
    assert tables.layers[0] is first.layers[0]  # the base was not rebuilt
    assert len(tables.layers) == 3 and [x.filtered for x in tables.layers] == [True, False, False]
    reader = engine.searchers.searcher().reader()
    assert tables.latin_names("id", "SRF", reader) == ["zarif"]
    assert "w1" in {h.id for h in engine.search(SearchRequest(q="ظریف", lang="id")).hits}
    assert xtables.build(reader).latin_names("id", "SRF", reader) == ["zarif"]
    # A rebuild leaves none of the base's segments: one base layer over the new ones.
    Indexer(tmp_path).add_documents(base, rebuild=True)
    time.sleep(REFRESH_EVERY + 0.05)
    rebuilt = engine._xscript_tables(engine.searchers.searcher())
    assert len(rebuilt.layers) == 1 and rebuilt.layers[0] is not first.layers[0]


def test_a_batch_segments_layer_is_on_disk_before_the_toc_names_it(tmp_path, monkeypatch):
    """A search worker refreshes within REFRESH_EVERY of a commit: had the layer come after
    the TOC, each worker would build it itself, racing the writer."""
    from search import storage, xtables
    from search.queue import Op, WriteQueue
    from search.writer import IndexWriter

    Indexer(tmp_path).add_documents([Document(id="a", lang="fa", title="خبر", text="لاوروف در مسکو گفت.")])
    seen = []
    store = xtables.save_segment_layer

    def spy(index_dir, schema, segment):
        with storage.open_index(tmp_path).reader() as reader:
            named = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
        seen.append((segment.segment_id(), segment.segment_id() in named))
        store(index_dir, schema, segment)

    monkeypatch.setattr(xtables, "save_segment_layer", spy)
    WriteQueue(tmp_path).enqueue([Op("put", "w1", Document(id="w1", lang="fa", title="خبر",
                                                           text="ظریف در تهران گفت."))])
    IndexWriter(tmp_path).apply_batch()
    assert len(seen) == 1 and seen[0][1] is False  # stored while no TOC named the segment yet
    with storage.open_index(tmp_path).reader() as reader:
        assert seen[0][0] in {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    layer = xtables._layer(tmp_path, seen[0][0], None, None)  # a stored one: no leaf needed
    assert layer.segments == {seen[0][0]} and "ظریف" in {t for ts in layer.fa.values() for t in ts}


def test_a_patronymic_finds_the_two_words_persian_writes(tmp_path):
    docs = [Document(id="fa1", lang="fa", title="خبر", text="الهام علی‌اف رئیس جمهوری آذربایجان با علی باقری دیدار کرد."),
            Document(id="fa2", lang="fa", title="خبر", text="علی لاریجانی گفت که اف نیامد."),
            Document(id="id1", lang="id", title="Kabar", text="Presiden Ilham Aliyev bertemu Menteri Lavrov di Baku.")]
    Indexer(tmp_path).add_documents(docs)
    engine = Engine(tmp_path)
    for q in ("Aliyev", '"Ilham Aliyev"'):
        results = search(engine, q, lang="fa")
        assert [h.id for h in results.hits] == ["fa1"], q  # not fa2, which has both words apart
    assert search(engine, "Aliyev", lang="fa").also_searched == {"Aliyev": ["علی اف"]}
    assert search(engine, "Lavrov", lang="fa").hits == []  # no Persian document writes it


def test_a_searcher_loads_the_layer_the_writer_stored_and_builds_a_broken_ones(tmp_path):
    import pickle

    from search.queue import Op, WriteQueue
    from search.writer import IndexWriter

    Indexer(tmp_path).add_documents([Document(id="a", lang="fa", title="خبر", text="لاوروف در مسکو گفت.")]
                                    + [Document(id=f"f{i}", lang="id", title="Cuaca", text=f"Hujan hari ke-{i}.")
                                       for i in range(10)])
    writer = IndexWriter(tmp_path)
    for i in (1, 2):
        WriteQueue(tmp_path).enqueue([Op("put", f"w{i}", Document(
            id=f"w{i}", lang="fa", title="خبر", text=f"ظریف در تهران گفت {i}."))])
        writer.apply_batch()
    first, second = sorted(tmp_path.glob("*.xlayer"), key=lambda p: p.stat().st_mtime)
    payload = pickle.loads(first.read_bytes())
    built = payload["layer"]
    assert "ظریف" in {t for terms in built.fa.values() for t in terms}
    # Marked, to tell the stored layer from one built again; the other one is broken.
    built.fa["MARK"] = ["stored"]
    first.write_bytes(pickle.dumps(payload))
    second.write_bytes(b"half a pickle")
    engine = Engine(tmp_path)
    tables = engine._xscript_tables(engine.searchers.searcher())
    assert len(tables.layers) == 3  # the base stored by `lintas index`, then one per batch
    marked = [layer for layer in tables.layers if "MARK" in layer.fa]
    rebuilt = [layer for layer in tables.layers[1:] if "MARK" not in layer.fa]
    assert len(marked) == 1 and len(rebuilt) == 1  # loaded, and the broken one built instead
    assert "ظریف" in {t for terms in rebuilt[0].fa.values() for t in terms}
    assert {h.id for h in engine.search(SearchRequest(q="Zarif", lang="fa")).hits} == {"w1", "w2"}


def test_a_generations_names_add_the_new_layers_to_the_previous_sums(tmp_path):
    """latin_names of a generation with layers appended equal the same tables built
    afresh, though only the new layers were summed (a name may become one only now)."""
    from search import xtables
    from search.queue import Op, WriteQueue
    from search.writer import IndexWriter

    base = [Document(id="a", lang="id", title="Kabar", text="Kata Menteri Lavrov di Moskow, lalu Lavrov pulang.")]
    base += [Document(id=f"f{i}", lang="id", title="Cuaca", text=f"Hujan turun pada hari ke-{i}.")
             for i in range(30)]
    Indexer(tmp_path).add_documents(base)
    engine = Engine(tmp_path)
    writer = IndexWriter(tmp_path)
    texts = ["Lalu Zarif datang ke Teheran.", "Zarif dan Lavrov bertemu.", "Menurut Zarif, Lavrov setuju.",
             "Kemudian Zarif pergi ke Baku bersama Aliyev.", "Aliyev menyambut Zarif di Baku."]
    compared = carried = 0
    for i, text in enumerate(texts):
        WriteQueue(tmp_path).enqueue([Op("put", f"w{i}", Document(id=f"w{i}", lang="id", title="Lagi", text=text))])
        writer.apply_batch()
        time.sleep(REFRESH_EVERY + 0.05)
        searcher = engine.searchers.searcher()
        tables = engine._xscript_tables(searcher)
        reader = searcher.reader()
        carried += tables._prev is not None
        keys = {k for layer in tables.layers for k in layer.names["id"]}
        fresh = xtables.Tables(tables.layers, reader)
        for key in sorted(keys):
            assert tables.latin_names("id", key, reader) == fresh.latin_names("id", key, reader), key
            compared += 1
    assert carried >= 3 and compared > 10
    assert "zarif" in tables.latin_names("id", "SRF", reader)
