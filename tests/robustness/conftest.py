"""Fixtures for the robustness tests: a real index of seeds/ plus hostile documents,
and the app, its test client and its engine on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rb_helpers import HOSTILE_DOCS, SEEDS
from search.indexer import Indexer
from web import create_app


def build_index(path: Path) -> Path:
    report = Indexer(path).index_paths([SEEDS])
    assert not report.errors, report.errors
    report = Indexer(path).add_documents(HOSTILE_DOCS)
    assert not report.errors, report.errors
    return path


@pytest.fixture(scope="session")
def rb_index_dir(tmp_path_factory) -> Path:
    """seeds/ plus HOSTILE_DOCS, indexed once for the whole session."""
    return build_index(tmp_path_factory.mktemp("rb-index"))


@pytest.fixture(scope="session")
def rb_app(rb_index_dir):
    return create_app({"INDEX_DIR": str(rb_index_dir), "TESTING": True})


@pytest.fixture()
def rb_client(rb_app):
    return rb_app.test_client()


@pytest.fixture(scope="session")
def rb_engine(rb_app):
    from web import engine_for

    return engine_for(rb_app)
