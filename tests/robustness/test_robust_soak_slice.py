"""A short slice of bench/soak.py in CI: 300 generated hostile requests from 4 threads
against a real `lintas serve` over loopback; no 5xx, no dropped connection, every API
error in the JSON envelope, no traceback in the server log."""

from __future__ import annotations

import pytest

from bench import soak
from bench.serving import LintasServer

pytestmark = pytest.mark.slow


def test_soak_slice(rb_index_dir):
    server = LintasServer(rb_index_dir, threads=4)
    try:
        soak.warm_up(server.url)
        report = soak.run(server.url, requests=300, threads=4, seed=20240630, max_seconds=90)
    finally:
        log = server.stop()
    report.server_log_errors = log.count("Traceback (most recent call last)")
    print(report.text())
    assert report.requests == 300, report.text()
    assert report.ok, report.text() + "\n" + log[-3000:]
    assert report.statuses[200] > 50 and any(400 <= s < 500 for s in report.statuses)
