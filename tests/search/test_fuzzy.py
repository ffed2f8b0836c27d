"""search.fuzzy.terms_within finds exactly the terms Whoosh's own terms_within finds.

A real multi-segment index (deletions, an update) of the seed documents; words
near its terms (a letter dropped, doubled, swapped with the next, replaced) in
both languages; distances 1 and 2; and segments whose sidecar is missing.
"""

from __future__ import annotations

import os
import random
import shutil

import pytest
from whoosh import index as whoosh_index

from search import sidecar
from search.engine import Engine
from search.fuzzy import terms_within
from search.request import SearchRequest
from tests.search.test_vectorized import build_multi_segment_index


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzzy-index")
    build_multi_segment_index(path)
    return path


def _typos(reader, fieldname: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    terms = sorted(t for t in reader.lexicon(fieldname) if len(t) >= 4)
    words = []
    for btext in rng.sample(terms, n):
        w = btext.decode("utf-8")
        i = rng.randrange(1, len(w))  # the first letter is the shared prefix
        kind = rng.randrange(4)
        if kind == 0:
            w = w[:i] + w[i + 1:]
        elif kind == 1:
            w = w[:i] + w[i] + w[i:]
        elif kind == 2 and i + 1 < len(w):
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        else:
            w = w[:i] + rng.choice(w) + w[i + 1:]
        words.append(w)
    return words


@pytest.mark.parametrize("fieldname", ["body_id", "body_fa"])
def test_the_same_terms_as_whooshs_walk(index_dir, fieldname):
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    assert len(reader.leaf_readers()) >= 3
    found = 0
    for word in _typos(reader, fieldname, 60, seed=len(fieldname)):
        for maxdist in (1, 2):
            theirs = sorted(reader.terms_within(fieldname, word, maxdist, prefix=1))
            ours = sorted(terms_within(reader, fieldname, word, maxdist, prefix=1))
            assert ours == theirs, (word, maxdist)
            found += len(ours)
    assert found > 60  # the typos do find their terms


def test_segments_without_a_sidecar_use_whooshs_terms(index_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy)
    for name in os.listdir(copy):
        if name.endswith(sidecar.EXT):
            os.remove(copy / name)
    sidecar.forget()
    reader = whoosh_index.open_dir(str(copy)).reader()
    assert all(sidecar.of(leaf) is None for leaf, _ in reader.leaf_readers())
    for word in _typos(reader, "body_id", 20, seed=5):
        assert sorted(terms_within(reader, "body_id", word, 2)) == sorted(reader.terms_within("body_id", word, 2, prefix=1))


def test_did_you_mean_corrects_a_typo(index_dir):
    engine = Engine(index_dir)
    reader = whoosh_index.open_dir(str(index_dir)).reader()
    # A frequent Indonesian word of the seeds with one letter dropped: no document has it.
    surface = max(("pemerintah", "indonesia", "presiden"), key=lambda w: reader.doc_frequency("words", w))
    assert reader.doc_frequency("words", surface) > 5
    typo = surface[:3] + surface[4:]
    assert reader.doc_frequency("words", typo) == 0
    assert engine.search(SearchRequest(q=typo)).suggestion == surface
