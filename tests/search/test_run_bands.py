"""A sharded build's near-duplicate table (search/run_bands.py): past its memory bound it
moves to a scratch SQLite file, and the clusters come out the same."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from search import dedup
from search.run_bands import RunBands

SLICE = Path(__file__).resolve().parents[1] / "data" / "eval"


def texts() -> list[str]:
    out = []
    for lang in ("fa", "id"):
        with open(SLICE / lang / "corpus.jsonl", encoding="utf-8") as fh:
            out += [json.loads(line)["text"] for line in fh]
    # Re-posts, lightly edited, of every 10th passage: they must join the original's cluster.
    return out + [t + " (ant)" for t in out[::10]]


def test_spilled_band_keys_give_the_same_clusters_as_a_dict(tmp_path):
    docs = [(t, hashlib.sha1(f"{i}".encode()).hexdigest()) for i, t in enumerate(texts())]
    in_memory = dedup.Clusterer()
    bands = RunBands(tmp_path / "bands.sqlite3", memory_keys=200)
    bounded = dedup.Clusterer(pending=bands)
    expected = [in_memory.fields(t, d) for t, d in docs]
    got = [bounded.fields(t, d) for t, d in docs]
    assert bands.on_disk and (tmp_path / "bands.sqlite3").exists()
    assert got == expected
    folded = sum(1 for f, (_t, d) in zip(expected, docs) if f["dup"] != d[:16])
    assert folded >= len(texts()) // 11  # the re-posts did fold (the check above compares something)
    bounded.close()
    assert not (tmp_path / "bands.sqlite3").exists()
