"""A tiny slice of bench/ingest_load.py: a write stream beside searches, on a real server.

No timing assertions (CI shares a noisy 2-core machine). What must hold at any
speed: every batch posted is acknowledged, the prober finds every acknowledged
probe through /search, the searches beside the stream answer without errors,
and every document ends up in the index. The documents come from seeds/, so the
test needs no ../shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RATE, SECONDS, BATCH, BASE = 10, 3, 5, 300


def test_a_write_stream_is_acknowledged_found_and_measured(tmp_path):
    cmd = [sys.executable, str(ROOT / "bench" / "ingest_load.py"), "--synthetic", "--base", str(BASE),
           "--rate", str(RATE), "--seconds", str(SECONDS), "--batch", str(BATCH), "--clients", "1",
           "--out", str(tmp_path / "out"), "--json", str(tmp_path / "ingest.json")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"bench/ingest_load.py failed:\n{proc.stderr[-3000:]}"
    summary = json.loads((tmp_path / "ingest.json").read_text())
    write = summary["phases"]["write"]
    batches = write["probes"]  # one probe word per batch; a batch due at the end may make it
    assert RATE * SECONDS // BATCH <= batches <= RATE * SECONDS // BATCH + 1
    assert write["posts_refused"] == 0 and write["docs_posted"] == batches * BATCH
    assert write["not_visible_in_120_s"] == 0
    assert 0 < write["visible_p50_s"] <= write["visible_p95_s"] <= write["visible_max_s"] < 120
    assert all(p["search_errors"] == 0 and p["search_rps"] > 0 for p in summary["phases"].values())
    assert summary["documents_after"] == BASE + batches * BATCH
    assert 0 < summary["search_ratio_write_vs_idle"] and summary["writer_cpu_ms_per_doc"] > 0
