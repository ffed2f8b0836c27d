"""`lintas serve`: a real server (waitress, or gunicorn with --workers 2) on a free loopback port."""

from __future__ import annotations

import json
import shutil
import signal
import time
import urllib.error
import urllib.request

import click
import pytest
from click.testing import CliRunner

from bench.serving import DidNotStart, LintasServer
from web.cli import cli


def test_lintas_collects_the_search_commands_and_serve():
    assert set(cli.list_commands(click.Context(cli))) == {"index", "delete", "search", "stats", "serve", "keys"}
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--index", "--workers", "--threads", "--require-key", "--max-body-mb"):
        assert option in result.output


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.mark.parametrize("workers", [1, 2], ids=["waitress", "gunicorn"])
@pytest.mark.parametrize("built", [True, False], ids=["with-index", "before-index"])
def test_serve_prints_where_and_answers(index_dir, tmp_path, built, workers):
    index = index_dir if built else tmp_path / "not-yet"
    server = LintasServer(index, threads=2, workers=workers)
    try:
        assert server.index_dir == str(index)
        assert f"at http://127.0.0.1:{server.port}/" in server.start_line
        status, body = get_json(f"{server.url}/health")
        if built:
            assert server.what == "5 documents"
            assert (status, body["documents"]) == (200, 5)
            # A very long URL through the real server is a JSON 4xx, not a crash.
            status, body = get_json(f"{server.url}/search?q=x&pad={'a' * 100_000}")
            assert status == 414 and body["ok"] is False
        else:
            assert server.what == "no documents yet"
            assert status == 503 and body["ok"] is False
            # Built after start: picked up, and warmed up too. The server's writer may have
            # made the folder for its queue already; that queue stays its own.
            shutil.copytree(index_dir, index, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("queue.sqlite3*", "writer.lock"))
        # Every worker warms up in a thread, then says so.
        deadline, warm = time.monotonic() + 120, 0
        while warm < 4 * workers:
            assert time.monotonic() < deadline, "no worker said it was warm"
            status, body = get_json(f"{server.url}/health")
            warm = warm + 1 if status == 200 and body["warm"] is True else 0
            time.sleep(0.05)
    finally:
        log = server.stop(signal.SIGINT)  # what Ctrl+C sends
    assert server.stdout().strip() == "Lintas stopped."
    assert "Traceback" not in log


@pytest.mark.parametrize("workers", [1, 2], ids=["waitress", "gunicorn"])
def test_serve_refuses_an_index_of_another_schema_version(index_dir, tmp_path, workers):
    import shutil

    old = tmp_path / "old-index"
    shutil.copytree(index_dir, old)
    marker = old / "lintas.json"
    meta = json.loads(marker.read_text())
    meta["schema"] = 1
    marker.write_text(json.dumps(meta))
    with pytest.raises(DidNotStart) as refused:
        LintasServer(old, workers=workers)
    assert refused.value.returncode != 0
    assert "Traceback" not in refused.value.stderr
    assert "lintas index --rebuild" in refused.value.stderr and "schema version 1" in refused.value.stderr
