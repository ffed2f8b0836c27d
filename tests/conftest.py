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
from web import create_app

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def make_index(tmp_path_factory):
    """make_index(name, paths=(), documents=()) -> a new real index of those files and
    documents (files first), failing the test on any input it could not load."""

    def make(name: str, paths=(), documents=()) -> Path:
        index_dir = tmp_path_factory.mktemp(name)
        indexer = Indexer(index_dir)
        for report in (indexer.index_paths(list(paths)) if paths else None,
                       indexer.add_documents(list(documents)) if documents else None):
            assert report is None or not report.errors, report.errors
        return index_dir

    return make


@pytest.fixture(scope="session")
def make_app():
    """make_app(index_dir) -> the Flask app on that index, in testing mode."""
    return lambda index_dir: create_app({"INDEX_DIR": str(index_dir), "TESTING": True})


@pytest.fixture(scope="session")
def seed_index(make_index) -> Path:
    """A real index of the five seed articles, built once per session; tests only read it."""
    return make_index("seed-index", paths=[SEEDS])


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
