"""The ranking golden file: top-10 ids of 50 fixed questions on the judged slice, and their MRR@10.

    python bench/ranking_golden.py            # compare with tests/search/golden/ranking.tsv
    python bench/ranking_golden.py --update   # rewrite it (say why in the commit)

Anserini's habit: a change that moves any top-10 list, or the slice's MRR@10 by
more than TOLERANCE, shows as a diff to read, not as a number drifting unseen.
The questions are the first QUESTIONS of each source of tests/data/eval (the slice
bench/eval_slice.py cuts); each language is indexed on its own, as
bench/relevance.py does, and searched without a language filter.
tests/search/test_ranking_golden.py runs the comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `bench` and `search` importable
    sys.path.insert(0, str(REPO))

from bench import metrics, relevance  # noqa: E402

DATA = REPO / "tests" / "data" / "eval"
GOLDEN = REPO / "tests" / "search" / "golden" / "ranking.tsv"
QUESTIONS = 10  # per source: 30 Persian and 20 Indonesian questions
TOLERANCE = 0.005  # of macro MRR@10 per language
TOP = 10


def questions(ev: relevance.EvalSet) -> dict[str, str]:
    taken: dict[str, int] = {}
    picked = {}
    for qid, question in ev.queries.items():
        src = relevance.source_of(qid)
        if taken.get(src, 0) < QUESTIONS:
            taken[src] = taken.get(src, 0) + 1
            picked[qid] = question
    return picked


def rank(data: Path = DATA) -> tuple[dict[str, list[str]], dict[str, float]]:
    """({qid: top-10 ids}, {lang: macro MRR@10}) of the golden questions, on a fresh index."""
    from search.engine import Engine
    from search.request import SearchRequest

    tops: dict[str, list[str]] = {}
    mrr: dict[str, float] = {}
    for lang in relevance.EVAL_LANGS:
        ev = relevance.load_evalset(data, lang)
        picked = questions(ev)
        with tempfile.TemporaryDirectory(prefix="lintas-golden-") as index_dir:
            relevance.build_lintas_index(ev, Path(index_dir), progress=False)
            engine = Engine(index_dir, time_limit=60.0)  # ranking, not speed: no cut-off lists
            for qid, q in picked.items():
                # Ranking, not the page: near-duplicates are not folded.
                hits = engine.search(SearchRequest(q=q, per_page=TOP, snippets=False, collapse=False)).hits
                tops[qid] = [h.id for h in hits]
        per_query = {qid: metrics.score_query(tops[qid], ev.qrels[qid]) for qid in picked}
        by_source = metrics.per_source_means(per_query, relevance.source_of)
        mrr[lang] = round(metrics.macro_average(by_source)["MRR@10"], 4)
    return tops, mrr


def write(path: Path, tops: dict[str, list[str]], mrr: dict[str, float]) -> None:
    lines = ["# Ranking golden file: regenerate only with `python bench/ranking_golden.py --update`,",
             "# in a commit that says why the rankings moved.",
             *(f"# MRR@10 {lang} {value:.4f}" for lang, value in mrr.items()),
             *(f"{qid}\t{' '.join(ids)}" for qid, ids in tops.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(path: Path = GOLDEN) -> tuple[dict[str, list[str]], dict[str, float]]:
    tops: dict[str, list[str]] = {}
    mrr: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# MRR@10 "):
            _, _, lang, value = line.split()
            mrr[lang] = float(value)
        elif line and not line.startswith("#"):
            qid, _, ids = line.partition("\t")
            tops[qid] = ids.split()
    return tops, mrr


def differences(expected, found) -> list[str]:
    """What moved between two (tops, mrr) pairs, one line per question or language."""
    (want_tops, want_mrr), (got_tops, got_mrr) = expected, found
    out = [f"{lang} MRR@10 {got_mrr.get(lang)} vs golden {value} (tolerance {TOLERANCE})"
           for lang, value in want_mrr.items()
           if got_mrr.get(lang) is None or abs(got_mrr[lang] - value) > TOLERANCE]
    for qid in sorted(set(want_tops) | set(got_tops)):
        if want_tops.get(qid) != got_tops.get(qid):
            out.append(f"{qid}: top-{TOP} {got_tops.get(qid)} vs golden {want_tops.get(qid)}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--update", action="store_true", help=f"rewrite {GOLDEN.relative_to(REPO)}")
    args = p.parse_args(argv)
    found = rank()
    if args.update:
        write(GOLDEN, *found)
        print(f"wrote {GOLDEN.relative_to(REPO)}: MRR@10 " +
              ", ".join(f"{lang} {v:.4f}" for lang, v in found[1].items()))
        return 0
    moved = differences(read(), found)
    print("\n".join(moved) if moved else "rankings as in the golden file")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
