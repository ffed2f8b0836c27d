import pytest

from search.engine import Engine


@pytest.fixture(scope="session")
def engine(seed_index) -> Engine:
    return Engine(seed_index)
