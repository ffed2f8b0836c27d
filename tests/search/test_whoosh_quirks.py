"""Whoosh behaviours that Lintas works around, pinned in Whoosh itself.

Each test shows the quirk in plain Whoosh and then Lintas's answer to it. If a
Whoosh release changes the behaviour, the first half fails: the workaround named
in the failure may then be dead code.
"""

from __future__ import annotations

import pytest
from whoosh import query as wq
from whoosh import scoring
from whoosh.collectors import TimeLimitCollector
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from search import collect
from search.documents import Document
from search.indexer import Indexer
from search.matchers import AndNot
from search.ranking import weighting
from search.storage import open_index

# docnum: tag, body
DOCS = [("x", "beta"), ("y", "alpha beta"), ("x", "alpha"), ("y", "alpha")]


@pytest.fixture(scope="module")
def searcher():
    ix = RamStorage().create_index(Schema(id=ID(stored=True), tag=ID, body=TEXT))
    with ix.writer() as w:
        for i, (tag, body) in enumerate(DOCS):
            w.add_document(id=str(i), tag=tag, body=body)
    with ix.searcher() as s:
        yield s


def ids(results) -> list[str]:
    return sorted(hit["id"] for hit in results)


def test_time_limit_collector_ignores_the_wrapped_collectors_filter(searcher):
    alpha, only_x = wq.Term("body", "alpha"), wq.Term("tag", "x")
    plain = searcher.collector(limit=10, filter=only_x)
    searcher.search_with_collector(alpha, plain)
    assert ids(plain.results()) == ["2"]
    limited = TimeLimitCollector(searcher.collector(limit=10, filter=only_x), timelimit=5, use_alarm=False)
    searcher.search_with_collector(alpha, limited)
    assert ids(limited.results()) == ["1", "2", "3"]  # the quirk: the filter was not applied
    # Lintas collects with neither: search/collect.py steps the matchers itself under the
    # request's deadline, and filters are applied to every match's arrays (search/browse.py).
    docnums = collect.matches(searcher, wq.And([alpha, wq.ConstantScoreQuery(only_x, 0.0)]),
                              deadline=float("inf")).docnums
    assert docnums.tolist() == [2]


def test_and_not_keeps_its_first_document_when_the_exclusion_starts_lower(searcher):
    # alpha: docs 1, 2, 3; beta: docs 0, 1. The exclusion starts at 0, below alpha's first (1).
    alpha, beta = wq.Term("body", "alpha"), wq.Term("body", "beta")
    assert sorted(wq.AndNot(alpha, beta).matcher(searcher).all_ids()) == [1, 2, 3]  # the quirk: 1 has beta
    # search/matchers.py: AndNot checks the first document too.
    assert sorted(AndNot(alpha, beta).matcher(searcher).all_ids()) == [2, 3]


def test_whoosh_averages_a_fields_length_over_every_document_of_the_index(tmp_path):
    docs = [Document(id="fa", title="", lang="fa", text="ایران و آذربایجان روابط دارند")]
    docs += [Document(id=f"id{i}", title="", lang="id", text="hubungan dagang " * (i + 1)) for i in range(3)]
    Indexer(tmp_path).add_documents(docs)
    ix = open_index(tmp_path)
    with ix.searcher(weighting=scoring.BM25F()) as s:
        fa_length = s.field_length("body_fa")
        assert s.doc_count_all() == 4
        # The quirk: one Persian passage, averaged over four documents, looks a quarter as long.
        assert s.weighting.scorer(s, "body_fa", "ایران").avgfl == fa_length / 4
    # search/bm25.py: the average over the field's own language.
    with ix.searcher(weighting=weighting()) as s:
        assert s.weighting.scorer(s, "body_fa", "ایران").avgfl == fa_length / 1
        assert s.weighting.scorer(s, "body_id", "hubung").avgfl == s.field_length("body_id") / 3


def test_a_missing_length_column_is_looked_for_once_per_segment_reader(tmp_path):
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.fields import KEYWORD
    from whoosh.index import create_in

    from search import codec

    ix = create_in(str(tmp_path), Schema(id=ID(stored=True), tags=KEYWORD(scorable=False), body=TEXT))
    with ix.writer() as w:
        for i, (tag, body) in enumerate(DOCS):
            w.add_document(id=str(i), tags=tag, body=body)
    with ix.reader() as reader:
        perdoc = reader._perdoc
        looked = []
        exists = perdoc._storage.file_exists
        perdoc._storage.file_exists = lambda name: looked.append(name) or exists(name)
        column = _lenfield("tags")  # not scorable: the segment has no length column for it
        for _ in range(5):
            assert codec.WHOOSH_CACHED_READER(perdoc, column, LENGTHS_COLUMN) is None
        assert len(looked) == 5  # the quirk: Whoosh stats the file again at every call
        # Lintas: a commit's flush asks once per posting (search/codec/read.py); now once.
        looked.clear()
        assert [perdoc.doc_field_length(d, "tags") for d in range(4)] == [0, 0, 0, 0]
        assert [perdoc.doc_field_length(d, "body") for d in range(4)] == [1, 2, 1, 1]
        assert len(looked) == 2  # one look per column, found or not
