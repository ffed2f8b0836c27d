"""Cluster codes: a label's code is the same in every process, distinct labels differ."""

from __future__ import annotations

import subprocess
import sys

from search import columns


def test_hex_labels_are_their_own_codes_and_others_are_hashed():
    labels = ["002e6686a3ccd039", "", "002e6686a3ccd039", "ffffffffffffffff", "0000000000000000",
              "not a hash", "7fffffffffffffff"]
    codes = columns._cluster_codes(labels).tolist()
    assert codes[0] == codes[2] == int("002e6686a3ccd039", 16)
    assert codes[1] == columns.NO_CODE
    assert codes[3] != columns.NO_CODE and codes[4] == 0 and codes[6] == 2**63 - 1
    assert len({c for c in codes if c != columns.NO_CODE}) == 5
    assert codes[5] == columns._cluster_codes(["not a hash"])[0]


def test_codes_do_not_depend_on_what_a_process_saw_first():
    run = "from search import columns; print(columns._cluster_codes(['ab' * 8, 'x y']).tolist())"
    first = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, check=True).stdout
    assert first.strip() == str(columns._cluster_codes(["ab" * 8, "x y"]).tolist())
