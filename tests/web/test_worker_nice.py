"""LINTAS_WORKER_NICE: a search worker lowers its own priority, never raises it, and a bad value is ignored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = "import os; from web.server import _be_nicer; before = os.nice(0); _be_nicer(); print(before, os.nice(0))"
# What a background merge child does first (search/merging.py main).
MERGE = "import os; from search.merging import be_nicer; before = os.nice(0); be_nicer(); print(before, os.nice(0))"


@pytest.mark.parametrize("check", [CHECK, MERGE], ids=["search worker", "merge child"])
@pytest.mark.parametrize(("value", "step"), [("3", 3), ("0", 0), ("-5", 0), ("lots", 0), (None, 0)])
def test_a_worker_is_as_much_nicer_as_asked(value, step, check):
    env = {k: v for k, v in os.environ.items() if k != "LINTAS_WORKER_NICE"}
    if value is not None:
        env["LINTAS_WORKER_NICE"] = value
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert after == min(before + step, 19)  # 19: the kernel's ceiling, for a runner already niced
