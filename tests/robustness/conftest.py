"""Fixtures for the robustness tests: a real index of seeds/ plus hostile documents,
and the app, its test client and its engine on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rb_helpers import HOSTILE_DOCS, SEEDS


@pytest.fixture(scope="session")
def rb_index_dir(make_index) -> Path:
    """seeds/ plus HOSTILE_DOCS, indexed once for the whole session."""
    return make_index("rb-index", paths=[SEEDS], documents=HOSTILE_DOCS)


@pytest.fixture(scope="session")
def rb_app(rb_index_dir, make_app):
    return make_app(rb_index_dir)


@pytest.fixture()
def rb_client(rb_app):
    return rb_app.test_client()


@pytest.fixture(scope="session")
def rb_engine(rb_app):
    from web import engine_for

    return engine_for(rb_app)
