"""`lintas index` killed with SIGKILL mid-run: the index still opens, holds exactly the
documents of its last commit (a whole number of commit batches, in input order, each
searchable), no stale lock blocks the next writer, and re-running completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from bench import serving
from rb_helpers import LINTAS, REPO, doc_token, lintas, write_jsonl
from search.engine import Engine
from search.errors import DocumentNotFound
from search.request import SearchRequest

pytestmark = pytest.mark.slow

DOCS = 2000
COMMIT_EVERY = 100


@pytest.fixture(scope="module")
def docs_file(tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("crash") / "docs.jsonl", range(DOCS))


def _kill_after(index, docs_file, delay: float) -> int | None:
    """Start `lintas index`, SIGKILL it after `delay` s; returns its exit code if it had ended."""
    proc = subprocess.Popen(
        [*LINTAS, "index", str(docs_file), "--index", str(index), "--no-progress"],
        env=serving.environment({"LINTAS_COMMIT_EVERY": str(COMMIT_EVERY)}),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )
    time.sleep(delay)
    ended = proc.poll()
    if ended is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return ended


def _assert_whole_commits(index) -> int:
    """The index opens and holds doc0..doc(n-1) for a whole number of batches; returns n."""
    engine = Engine(index)
    n = engine.count()
    assert n % COMMIT_EVERY == 0 or n == DOCS, f"{n} documents: a torn commit"
    # Input order is commit order: the first n ids are there, the next is not.
    for i in range(n):
        assert engine.document(f"doc{i}").id == f"doc{i}"
    if n < DOCS:
        assert engine.stats()["documents"] == n
        with pytest.raises(DocumentNotFound):
            engine.document(f"doc{n}")
    # Searchable, not just stored: a sample of words unique to one document.
    for i in sorted({0, n // 2, n - 1} if n else set()):
        hits = engine.search(SearchRequest(q=doc_token(i))).hits
        assert [h.id for h in hits] == [f"doc{i}"], (i, hits)
    return n


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_sigkill_then_reopen_and_resume(tmp_path, docs_file, delay):
    index = tmp_path / "ix"
    _kill_after(index, docs_file, delay)
    # Killed before the index was created, there is nothing to check but that a run works.
    if (index / "lintas.json").exists():
        n = _assert_whole_commits(index)
        print(f"killed after {delay}s: {n} of {DOCS} documents committed")
        stats = lintas("stats", "--index", str(index), "--json", check=True)
        assert f'"documents": {n}' in stats.stdout
    # No stale lock: the next writer starts at once (a left-over lock would make it wait
    # WRITE_LOCK_TIMEOUT, 30 s, then fail) and completes the index.
    started = time.monotonic()
    proc = lintas("index", str(docs_file), "--index", str(index), env={"LINTAS_COMMIT_EVERY": "1000"},
                  timeout=120, check=True)
    assert time.monotonic() - started < 60, proc.stdout
    assert "0 updated" in proc.stdout  # what the killed run committed is kept as it was
    assert _assert_whole_commits(index) == DOCS


def test_sigkill_during_rebuild_keeps_the_old_index(tmp_path, docs_file):
    """A rebuild commits once, at the end: killed before it, the old index is untouched."""
    index = tmp_path / "ix"
    small = write_jsonl(tmp_path / "small.jsonl", range(50))
    lintas("index", str(small), "--index", str(index), check=True)
    proc = subprocess.Popen([*LINTAS, "index", str(docs_file), "--index", str(index), "--rebuild"], env=serving.environment(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    time.sleep(2.0)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    count = Engine(index).count()
    assert count in (50, DOCS), count  # old index whole, or the rebuild had finished
    lintas("index", str(docs_file), "--index", str(index), "--rebuild", timeout=120, check=True)
    assert Engine(index).count() == DOCS
