"""LINTAS_WORKER_NICE: a search worker lowers its own priority, never raises it, and a bad value is ignored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = "import os; from web.server import _be_nicer; before = os.nice(0); _be_nicer(); print(before, os.nice(0))"


@pytest.mark.parametrize(("value", "step"), [("3", 3), ("0", 0), ("-5", 0), ("lots", 0), (None, 0)])
def test_a_worker_is_as_much_nicer_as_asked(value, step):
    env = {k: v for k, v in os.environ.items() if k != "LINTAS_WORKER_NICE"}
    if value is not None:
        env["LINTAS_WORKER_NICE"] = value
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert after == min(before + step, 19)  # 19: the kernel's ceiling, for a runner already niced
