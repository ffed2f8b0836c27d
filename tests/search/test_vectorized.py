"""The vectorized path ranks and counts exactly as Whoosh's matchers do.

Reference: the same Engine with `vectorize = False`, which sends every query
through Whoosh. The index has several segments, deletions and an update, so
docnum offsets, live masks and per-segment statistics are all exercised.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from whoosh import query as wq

from search import postings, vectorized
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _seed_documents() -> list[Document]:
    """~150 short documents cut from the seed articles: windows of their sentences."""
    rng = random.Random(7)
    docs = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        sentences = [s for line in lines[1:] for s in re.split(r"(?<=[.!?؟])\s+", line) if len(s) > 20]
        for i in range(30):
            k = rng.randint(1, 4)
            start = rng.randrange(len(sentences))
            text = " ".join(sentences[start:start + k])
            title = lines[0] if i % 3 == 0 else ""
            docs.append(Document(id=f"{path.stem}-{i}", title=title, text=text))
    return docs


def whoosh_postings(m) -> tuple[list, list, list]:
    """(ids, weights, values) of a Whoosh matcher, read one posting at a time."""
    ids, tfs, values = [], [], []
    while m.is_active():
        ids.append(m.id())
        tfs.append(m.weight())
        values.append(m.value())
        m.next()
    return ids, tfs, values


def build_multi_segment_index(index_dir) -> list[Document]:
    """The seed documents in several segments (one commit per 50), with deletes and an update."""
    docs = _seed_documents()
    indexer = Indexer(index_dir)
    for start in range(0, len(docs), 50):  # one commit, one segment, per batch
        indexer.add_documents(docs[start:start + 50])
    assert indexer.delete([docs[3].id, docs[60].id, docs[120].id]) == 3
    changed = docs[10]
    indexer.add_documents([Document(id=changed.id, title="", text=changed.text + " " + docs[140].text)])
    return docs


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    index_dir = tmp_path_factory.mktemp("vector-index")
    build_multi_segment_index(index_dir)
    engine = Engine(index_dir)
    assert engine.stats()["segments"] >= 2
    return engine


def _words(engine: Engine) -> list[str]:
    text = " ".join(d.text for d in _seed_documents()[::7])
    words = sorted({w for w in re.findall(r"[^\W\d_]{3,}", text)})
    return random.Random(3).sample(words, 40)


def _queries(engine: Engine) -> list[str]:
    w = _words(engine)
    rng = random.Random(11)
    queries = list(w[:15])
    for _ in range(25):
        a, b, c = rng.sample(w, 3)
        queries += [f"{a} {b}", f"{a} AND {b}", f"{a} {b} NOT {c}", f"({a} OR {b}) AND {c}", f"title:{a} {b}"]
    # Phrases that occur (adjacent words of the text), and ones that do not.
    for d in _seed_documents()[::9]:
        words = re.findall(r"[^\W\d_]{3,}", d.text)
        if len(words) > 4:
            queries += [f'"{words[1]} {words[2]}"', f'"{words[2]} {words[3]} {words[4]}"', f'"{words[3]} {words[1]}"']
    return queries


def _both(engine: Engine, req: SearchRequest):
    engine.vectorize = True
    fast = engine.search(req)
    engine.vectorize = False
    try:
        slow = engine.search(req)
    finally:
        engine.vectorize = True
    return fast, slow


def test_rankings_scores_and_counts_equal_whooshs(engine):
    checked = 0
    for text in _queries(engine):
        for lang in (None, "fa", "id"):
            fast, slow = _both(engine, SearchRequest(q=text, lang=lang, per_page=100, snippets=True))
            assert [h.id for h in fast.hits] == [h.id for h in slow.hits], text
            assert [h.score for h in fast.hits] == pytest.approx([h.score for h in slow.hits], rel=1e-9)
            assert [h.snippet for h in fast.hits] == [h.snippet for h in slow.hits]
            assert fast.facets == slow.facets and fast.total == slow.total, text
            checked += bool(fast.hits)
    assert checked > 100, "the queries should mostly match something"


def test_second_page_continues_the_first(engine):
    text = " ".join(_words(engine)[:6])
    first = engine.search(SearchRequest(q=text, per_page=5))
    second = engine.search(SearchRequest(q=text, per_page=5, page=2))
    both = engine.search(SearchRequest(q=text, per_page=10))
    assert first.total > 10
    assert [h.id for h in first.hits + second.hits] == [h.id for h in both.hits]


def test_deleted_and_replaced_documents(engine):
    docs = _seed_documents()
    for gone in (docs[3], docs[60], docs[120]):
        words = " ".join(re.findall(r"[^\W\d_]{4,}", gone.text)[:4])
        res = engine.search(SearchRequest(q=words, per_page=100))
        assert gone.id not in [h.id for h in res.hits]
    # The updated document is found once, by a word only its new text has (not folded:
    # its new text holds all of docs[140]'s, so it may be taken for a copy of it).
    extra = docs[140].text.split()
    res = engine.search(SearchRequest(q=" ".join(extra[:8]), per_page=100, collapse=False))
    assert [h.id for h in res.hits].count(docs[10].id) == 1


def test_what_goes_to_whoosh(engine):
    schema = engine._ix.schema
    assert vectorized.supports(wq.Or([wq.Term("body_id", "a"), wq.And([wq.Term("title_fa", "b")])]), schema)
    assert vectorized.supports(wq.AndNot(wq.Term("body_id", "a"), wq.Term("body_id", "b")), schema)
    assert vectorized.supports(wq.Phrase("body_id", ["a", "b"]), schema)
    assert not vectorized.supports(wq.Phrase("body_id", ["a", "b"], slop=3), schema)
    assert not vectorized.supports(wq.Prefix("body_id", "ker"), schema)
    assert not vectorized.supports(wq.Or([wq.Term("body_id", "a"), wq.Term("body_id", "b")], scale=0.9), schema)
    assert not vectorized.supports(wq.Term("lang", "id"), schema)  # not a scored field


def test_top_breaks_ties_by_lower_docnum():
    import numpy as np

    m = vectorized.Matches(np.array([2, 5, 7, 9]), np.array([1.0, 3.0, 3.0, 1.0]))
    assert m.top(3) == [(3.0, 5), (3.0, 7), (1.0, 2)]
    assert m.top(10) == [(3.0, 5), (3.0, 7), (1.0, 2), (1.0, 9)]
    assert m.top(0) == []


def test_posting_lists_decode_to_whooshs_own(engine):
    # The decoding of segments without sidecar (test_sidecar.py holds the sidecar's).
    reader = engine.searchers.searcher().reader()
    for leaf, _offset in reader.leaf_readers():
        for fieldname in ("body_id", "body_fa"):
            for btext in list(leaf.lexicon(fieldname))[:60]:
                plist = postings.whoosh_postings(leaf, fieldname, btext)
                m = leaf._terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
                ids, tfs, values = whoosh_postings(m)
                assert plist.ids.tolist() == ids
                assert plist.tfs.tolist() == tfs
                assert postings.values_at(leaf, fieldname, plist, range(len(ids))) == values


def test_past_the_deadline_terms_count_as_absent(engine):
    stats = vectorized.TermStats(engine.searchers.searcher())
    q = wq.Or([wq.Term("body_id", "iran"), wq.Term("body_fa", "ایران")])
    assert len(vectorized.match(engine.searchers.searcher(), q, stats)) > 0
    stats.deadline = 0.0  # long past
    assert len(vectorized.match(engine.searchers.searcher(), q, stats)) == 0


def test_positions_equal_whooshs_decoders(engine):
    reader = engine.searchers.searcher().reader()
    checked = 0
    for leaf, _offset in reader.leaf_readers():
        for fieldname in ("body_id", "title_id", "body_fa", "title_fa"):
            fmt = leaf.schema[fieldname].format
            for btext in list(leaf.lexicon(fieldname))[:40]:
                plist = postings.whoosh_postings(leaf, fieldname, btext)
                values = postings.values_at(leaf, fieldname, plist, range(len(plist.ids)))
                owner, pos = postings.positions(fmt, values)
                expected = [(j, p) for j, v in enumerate(values) for p in fmt.decoder("positions")(v)]
                assert list(zip(owner.tolist(), pos.tolist())) == expected
                checked += len(expected)
    assert checked > 100
