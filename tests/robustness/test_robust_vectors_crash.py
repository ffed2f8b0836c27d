"""The embedding pass killed with SIGKILL mid-run: the vectors it stored still open, each one
is the vector of the document it is stored for, and the next pass completes the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rb_helpers import REPO
from search import embed_pass, embedding, vectors
from search.documents import Document
from search.engine import Engine
from search.indexer import Indexer
from search.request import SearchRequest

pytestmark = pytest.mark.slow

DOCS = 48
FLUSH = 8  # vectors per segment: a kill after a few seconds leaves some segments behind


def _docs():
    topics = ["banjir di Jakarta", "harga beras naik", "pemilu presiden", "gempa bumi di Sulawesi",
              "tim nasional sepak bola", "vaksin dan kesehatan"]
    return [Document(id=f"v{i}", title=f"Berita {i}: {topics[i % len(topics)]}", lang="id",
                     text=f"Laporan nomor {i} tentang {topics[i % len(topics)]}. " * 3) for i in range(DOCS)]


def test_a_killed_embedding_pass_leaves_only_right_vectors(tmp_path):
    index = tmp_path / "ix"
    Indexer(index).add_documents(_docs())
    embed_pass.enable(index)
    proc = subprocess.Popen([sys.executable, "-m", "search.embed_pass", "--index", str(index)],
                            env={**os.environ, "LINTAS_VECTOR_FLUSH_ROWS": str(FLUSH)}, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = vectors.vectors_dir(index) / vectors.MANIFEST
    deadline = time.monotonic() + 240
    # Kill once some but not all of the work is stored.
    while time.monotonic() < deadline and proc.poll() is None:
        segments = json.loads(manifest.read_text())["segments"]
        if len(segments) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the pass ended before it could be killed: raise DOCS"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    live, without = embed_pass.missing(index)
    assert live == DOCS and 0 < without < DOCS
    engine = Engine(index, time_limit=30.0)
    searcher = engine.searchers.searcher()
    view = engine.dense.view(searcher, engine.searchers.present_langs(searcher))
    stored = np.flatnonzero(view.has_vector)
    assert len(stored) == DOCS - without
    for docnum in stored[:: max(1, len(stored) // 4)]:
        f = searcher.stored_fields(int(docnum))
        fresh = embedding.embed_passages([embedding.passage_text(f["title"], f["text"])])[0]
        assert float(fresh @ view.snapshot.vector(int(view.rows[docnum]))) > 0.999, f["id"]
    # Meanwhile every document is still found by its words.
    assert engine.search(SearchRequest(q="Laporan nomor", per_page=100)).total == DOCS

    report = embed_pass.run(index, procs=1)
    assert report.embedded == without and embed_pass.missing(index) == (DOCS, 0)
    # Nothing the killed writer left half-written survives the next writer.
    leftovers = [f.name for f in vectors.vectors_dir(index).iterdir() if ".tmp" in f.name]
    assert leftovers == []
