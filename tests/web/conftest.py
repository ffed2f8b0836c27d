"""Fixtures for the web tests: one real index of seeds/ per session, the app on it,
a test client, a live loopback server, and Playwright on Debian's Chromium."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from search.documents import Document

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-results" / "screenshots"

# A document written to attack the page: markup in its title and text must come
# out escaped, in the snippet (HTML from the engine) and in the title (plain text).
HOSTILE = Document(
    id="hostile_script",
    title='<script>alert("judul")</script> Kabar <b>tebal</b>',
    text=(
        'Kabar kilat: <script>alert("isi")</script> hubungan dagang & "kutipan" '
        "<img src=x onerror=alert(2)> tetap aman di halaman."
    ),
    lang="id",
    date=date(2024, 7, 1),
    source="uji-keamanan",
)


@pytest.fixture(scope="session")
def index_dir(seed_index) -> Path:
    """The five seed articles (tests/conftest.py's seed index)."""
    return seed_index


@pytest.fixture(scope="session")
def hostile_index_dir(make_index) -> Path:
    """A separate index holding only HOSTILE, so seed counts stay as they are."""
    return make_index("hostile-index", documents=[HOSTILE])


@pytest.fixture(scope="session")
def app(index_dir, make_app):
    return make_app(index_dir)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def hostile_client(hostile_index_dir, make_app):
    return make_app(hostile_index_dir).test_client()


@pytest.fixture(scope="session")
def live_server(app, serve_in_thread):
    """The app on a free loopback port (port 0), in a thread, stopped at the end."""
    return serve_in_thread(app)


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright resolves page.goto("/...") against this."""
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    # base_url set here, not only through the base_url fixture: pytest-playwright's
    # session-wide context args are computed once, for whichever test folder runs first.
    return {**browser_context_args, "base_url": live_server,
            "viewport": {"width": 900, "height": 700}, "device_scale_factor": 2}


@pytest.fixture()
def screenshot(page, output_path):
    """Save a full-page screenshot in output_path and in test-results/screenshots/."""

    def take(name: str) -> Path:
        shot = Path(output_path) / name  # output_path is a str
        page.screenshot(path=str(shot), full_page=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / name)
        return shot

    return take


@pytest.fixture(scope="session")
def reader_index_dir(make_index) -> Path:
    """The seeds with dates, sources and URLs, a syndicated copy and a second Persian
    report (tests/web/reader_corpus.py): what the reader's controls need to act on."""
    from reader_corpus import reader_documents

    return make_index("reader-index", documents=reader_documents())


@pytest.fixture(scope="session")
def reader_app(reader_index_dir, make_app):
    return make_app(reader_index_dir)


@pytest.fixture()
def reader_client(reader_app):
    return reader_app.test_client()


@pytest.fixture(scope="session")
def reader_url(reader_app, serve_in_thread):
    """The reader app on its own loopback port; tests pass absolute URLs (base_url is the seeds')."""
    return serve_in_thread(reader_app)
