"""Fixtures every test folder shares: the seed index, Debian's Chromium for Playwright,
and apps served on a free loopback port."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from search.indexer import Indexer

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A real index of the five seed articles, built once per session; tests only read it."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    report = Indexer(index_dir).index_paths([SEEDS])
    assert report.added == 5 and not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's chromium; `playwright install` cannot download browsers here."""
    if not os.access(CHROMIUM, os.X_OK):
        msg = (
            f"browser test needs Chromium ({CHROMIUM} missing): "
            "apt-get install --no-install-recommends chromium fonts-dejavu-core"
        )
        if os.environ.get("CI"):  # CI installs it: never skip silently there
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def serve_in_thread():
    """serve_in_thread(app) -> URL: the app on 127.0.0.1, port 0, in a thread;
    every server started this way is stopped at the end of the session."""
    running = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=5)
