"""Two analysis processes (Whoosh's multiprocessing writer) build the same index as one.

Big runs use two processes and keep each worker's segment; this checks that what
users search is the same: documents, counts, scores, snippets, updates and the
clean-up of files that no segment uses.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from search import indexer as indexer_mod
from search.documents import Document, iter_documents
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUERIES = ["hubungan", "Lavrov", "ایران", "روابط ایران و آذربایجان", '"Sergei Lavrov"',
           "presiden OR menteri", "ایران NOT آذربایجان", "kerja*"]


def corpus(n: int = 240) -> list[Document]:
    """Seed articles reshuffled into n distinct documents (enough for many worker batches)."""
    seeds = [d for d in iter_documents([SEEDS]) if isinstance(d, Document)]
    rng = random.Random(7)
    docs = []
    for i in range(n):
        base = seeds[i % len(seeds)]
        sentences = base.text.split(". ")
        rng.shuffle(sentences)
        docs.append(Document(id=f"p{i:04d}", title=base.title, text=". ".join(sentences[: 3 + i % 7]),
                             lang=base.lang))
    return docs


def results(index_dir: Path):
    engine = Engine(index_dir)
    out = {}
    for q in QUERIES:
        # Every match, sorted: equal scores are ordered by docnum, which differs
        # between one segment and several. Unfolded, since which copy of a
        # near-duplicate is shown depends on that order too; the number of
        # clusters must not.
        pages = [engine.search(SearchRequest(q=q, per_page=100, page=p, collapse=False)) for p in (1, 2, 3)]
        hits = [h for res in pages for h in res.hits]
        folded = engine.search(SearchRequest(q=q, per_page=1)).total_collapsed
        out[q] = (pages[0].total, folded, pages[0].facets,
                  sorted((-round(h.score, 4), h.id, h.snippet) for h in hits))
    return engine.count(), out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    docs = corpus()
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    Indexer(one, procs=1).add_documents(docs)
    Indexer(two, procs=2).add_documents(docs)
    return docs, one, two


def test_two_processes_index_what_one_does(built):
    docs, one, two = built
    assert Engine(two).stats()["segments"] >= 2  # really the parallel path
    count, found = results(two)
    assert count == len(docs)
    assert (count, found) == results(one)
    assert all(found[q][0] > 0 for q in QUERIES if "NOT" not in q)


def test_parallel_updates_and_skips(built, tmp_path):
    docs = built[0]
    Indexer(tmp_path, procs=2).add_documents(docs)
    changed = [Document(id=d.id, title=d.title, text=d.text + " zebraword", lang=d.lang) for d in docs[:100]]
    report = Indexer(tmp_path, procs=2).add_documents(changed + docs[100:])
    assert (report.added, report.updated, report.unchanged) == (0, 100, len(docs) - 100)
    engine = Engine(tmp_path)
    assert engine.count() == len(docs)
    assert engine.search(SearchRequest(q="zebraword", per_page=5)).total == 100


def test_no_files_left_that_no_segment_uses(built, tmp_path):
    docs = built[0]
    Indexer(tmp_path, procs=2).add_documents(docs[:120])
    Indexer(tmp_path, procs=2).add_documents(docs[120:])
    engine = Engine(tmp_path)
    live = {seg.segment_id() for seg in engine._ix._segments()}
    for f in tmp_path.iterdir():
        if f.name.startswith("MAIN_") and f.suffix != ".toc" and "WRITELOCK" not in f.name:
            segid = f.name.split(".")[0]
            assert segid in live, f"{f.name} belongs to no segment"


def test_streams_of_unknown_size_choose_parallel_when_big(monkeypatch, tmp_path):
    chosen = []
    real = Indexer._writer

    def spy(self, ix, procs=1):
        chosen.append(procs)
        return real(self, ix, procs)

    monkeypatch.setattr(Indexer, "_writer", spy)
    monkeypatch.setattr(indexer_mod, "PARALLEL_MIN_DOCS", 50)
    docs = corpus(80)
    Indexer(tmp_path / "small").add_documents(iter(docs[:30]))
    Indexer(tmp_path / "big").add_documents(iter(docs))
    assert chosen[0] == 1 and chosen[-1] == min(2, __import__("os").cpu_count() or 1)
    assert Engine(tmp_path / "big").count() == 80
    assert Engine(tmp_path / "small").count() == 30
