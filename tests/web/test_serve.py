"""`lintas serve`: a real server (waitress, or gunicorn with --workers 2) on a free loopback port."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from web.cli import cli

REPO = Path(__file__).resolve().parents[2]
START_LINE = re.compile(
    r"^Lintas serving (?P<what>.+) from (?P<dir>.+) at http://127\.0\.0\.1:(?P<port>\d+)/ \(Ctrl\+C to stop\)$"
)


def test_lintas_collects_the_search_commands_and_serve():
    assert set(cli.list_commands(click.Context(cli))) == {"index", "delete", "search", "stats", "serve"}
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--index", "--workers", "--threads"):
        assert option in result.output


def serve(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.mark.parametrize("workers", ["1", "2"], ids=["waitress", "gunicorn"])
@pytest.mark.parametrize("built", [True, False], ids=["with-index", "before-index"])
def test_serve_prints_where_and_answers(index_dir, tmp_path, built, workers):
    index = index_dir if built else tmp_path / "not-yet"
    proc = serve("--index", str(index), "--threads", "2", "--workers", workers)
    try:
        line = proc.stdout.readline().strip()
        match = START_LINE.match(line)
        assert match, f"start-up line {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        assert match["dir"] == str(index)
        status, body = get_json(f"http://127.0.0.1:{match['port']}/health")
        if built:
            assert match["what"] == "5 documents"
            assert (status, body) == (200, {"ok": True, "documents": 5})
            # A very long URL through the real server is a JSON 4xx, not a crash.
            status, body = get_json(f"http://127.0.0.1:{match['port']}/search?q=x&pad={'a' * 100_000}")
            assert status == 414 and body["ok"] is False
        else:
            assert match["what"] == "no documents yet"
            assert status == 503 and body["ok"] is False
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        proc.wait(timeout=10)
    assert proc.stdout.read().strip() == "Lintas stopped."
    assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize("workers", ["1", "2"], ids=["waitress", "gunicorn"])
def test_serve_refuses_an_index_of_another_schema_version(index_dir, tmp_path, workers):
    import shutil

    old = tmp_path / "old-index"
    shutil.copytree(index_dir, old)
    marker = old / "lintas.json"
    meta = json.loads(marker.read_text())
    meta["schema"] = 1
    marker.write_text(json.dumps(meta))
    proc = serve("--index", str(old), "--workers", workers)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert "lintas index --rebuild" in err and "schema version 1" in err
