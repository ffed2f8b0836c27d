"""Rankings of 50 fixed questions on the judged slice, against tests/search/golden/ranking.tsv.

A change that moves any question's top 10, or a language's MRR@10 by more than
0.005, fails here with the list of what moved. If the change is meant, regenerate
the file with `python bench/ranking_golden.py --update` and say why in the commit.
"""

from __future__ import annotations

from bench import ranking_golden


def test_rankings_match_the_golden_file():
    expected = ranking_golden.read()
    assert len(expected[0]) == 50 and set(expected[1]) == {"fa", "id"}
    moved = ranking_golden.differences(expected, ranking_golden.rank())
    assert not moved, (
        f"{len(moved)} rankings moved (if meant: python bench/ranking_golden.py --update):\n"
        + "\n".join(moved[:20]))
