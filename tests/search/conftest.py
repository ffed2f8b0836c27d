from pathlib import Path

import pytest

from search.engine import Engine
from search.indexer import Indexer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A real index of seeds/, built once per test session."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    report = Indexer(index_dir).index_paths([SEEDS])
    assert report.added == 5 and not report.errors
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_index) -> Engine:
    return Engine(seed_index)
