"""A tiny slice of bench/perf.py: every section runs and produces numbers.

No timing assertions: CI shares a noisy 2-core machine, so speed is only
reported (run bench/perf.py by hand for the real figures). What must hold at
any speed: each engine builds and answers, the server serves without errors,
and the CLI exits 0. The corpus is the judged slice the project carries
(tests/data/eval, both languages), written in the bench data's format, so the
test needs no ../shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import corpus, relevance

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "tests" / "data" / "eval"
DOCS, QUERIES = 300, 20


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    docs = [d for lang in relevance.EVAL_LANGS for d in relevance.load_evalset(SLICE, lang).docs]
    data = corpus.write_bench_data(docs, tmp_path_factory.mktemp("bench-data"))
    out = tmp_path_factory.mktemp("perf")
    cmd = [
        sys.executable, str(ROOT / "bench" / "perf.py"),
        "--data", str(data), "--out", str(out), "--sizes", str(DOCS), "--runs", "1",
        "--queries", str(QUERIES), "--http-clients", "1,8", "--http-duration", "1.5",
        "--json", str(out / "perf.json"),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)  # minutes only on a loaded machine; a hang still ends
    assert proc.returncode == 0, f"bench/perf.py failed:\n{proc.stderr[-3000:]}"
    return proc.stdout, json.loads((out / "perf.json").read_text())


def test_every_engine_builds_the_whole_corpus(report):
    _, res = report
    for engine in ("lintas", "whoosh", "fts5"):
        b = res["build"][str(DOCS)][engine]
        assert b["runs"][0]["docs"] == DOCS, engine
        assert b["docs_per_s"] > 0 and b["mb_per_s"] > 0, engine
        assert b["vmhwm_kb"] > 0 and b["index_bytes"] > 0, engine


def test_every_engine_answers_queries_with_and_without_snippets(report):
    _, res = report
    for engine in ("lintas", "whoosh", "fts5"):
        q = res["query"][str(DOCS)][engine]
        for mode in ("plain", "snippets"):
            assert all(q[mode][k] is not None for k in ("p50", "p95", "p99")), (engine, mode)
        # Queries were sampled from the full corpus, so many miss 300 docs, but not all.
        assert q["zero_hits"] < QUERIES, f"{engine} found nothing for any query"


def test_http_serves_every_request_without_error(report):
    _, res = report
    h = res["http"][str(DOCS)]
    for clients in ("1", "8"):
        level = h["levels"][clients]
        assert level["requests"] > 0, clients
        assert level["errors"] == 0, f"{clients} clients: {level['first_error']}"
    assert h["rss_startup_kb"] > 0 and h["rss_served_kb"] > 0


def test_cli_search_runs_for_both_languages(report):
    _, res = report
    cli = res["cli"][str(DOCS)]
    assert set(cli) == {"id", "fa"}
    assert all(c["median_s"] > 0 for c in cli.values())


def test_report_prints_every_section_and_the_targets(report):
    stdout, _ = report
    for heading in ("1. Index build", "2. In-process query latency", "3. HTTP /search", "4. `lintas search`",
                    "Targets", "synthetic"):
        assert heading in stdout
