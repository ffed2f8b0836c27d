"""`lintas delete ID... --index DIR` and `lintas index --commit-every N`, added for the
crash and concurrency tests: small, but they are commands, so they are tested."""

from __future__ import annotations

from rb_helpers import lintas, write_jsonl
from search.engine import Engine


def test_delete_removes_documents_and_reports_missing_ids(tmp_path):
    index = tmp_path / "ix"
    lintas("index", str(write_jsonl(tmp_path / "d.jsonl", range(5))), "--index", str(index), check=True)
    proc = lintas("delete", "doc1", "doc3", "doc3", "nope", "--index", str(index), check=True)
    assert "2 deleted, 1 not found" in proc.stdout
    engine = Engine(index)
    assert engine.count() == 3
    assert {engine.document(f"doc{i}").id for i in (0, 2, 4)} == {"doc0", "doc2", "doc4"}


def test_delete_needs_an_index_and_an_id(tmp_path):
    proc = lintas("delete", "doc1", "--index", str(tmp_path / "none"))
    assert proc.returncode == 1 and "no Lintas index" in proc.stderr
    proc = lintas("delete", "--index", str(tmp_path / "none"))
    assert proc.returncode == 2 and "Missing argument" in proc.stderr


def test_commit_every_commits_in_batches(tmp_path):
    index = tmp_path / "ix"
    proc = lintas("index", str(write_jsonl(tmp_path / "d.jsonl", range(25))), "--index", str(index),
                  env={"LINTAS_COMMIT_EVERY": "10"}, check=True)
    assert "25 added" in proc.stdout
    # 10 + 10 + 5: three commits, three generations after the empty index's first.
    assert Engine(index).stats()["generation"] >= 3
    bad = lintas("index", str(tmp_path / "d.jsonl"), "--index", str(index), "--commit-every", "0")
    assert bad.returncode == 2 and "commit-every" in bad.stderr
