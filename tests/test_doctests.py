"""Every `>>>` example in the packages' docstrings runs, and still says what it shows.

One test per module, rather than pytest's --doctest-modules: that collects the
tests' conftest.py files as modules too, and three of them share the name.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import analyzers
import search
import web

MODULES = sorted(
    info.name
    for package in (analyzers, search, web)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
) + ["analyzers", "search", "web"]


def test_some_modules_have_examples():
    finder = doctest.DocTestFinder()
    with_examples = [m for m in MODULES if any(t.examples for t in finder.find(importlib.import_module(m)))]
    assert {"analyzers", "search.cleanup"} <= set(with_examples)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
