"""Cut the small judged slice the project carries (tests/data/eval) from the full question sets.

    python bench/eval_slice.py                       # from ../shared/data/eval into tests/data/eval

Per language: the first QUESTIONS questions of each source, the passages judged for
them, the HARD passages SQLite FTS5 ranks highest for each question in the full set
(distractors that share the question's words: without them every system ranks the
answer first), and DISTRACTORS other passages drawn with a fixed seed; in the same
files and format as the full sets (corpus.jsonl, queries.dev.tsv, qrels.dev.tsv), so that
`python bench/relevance.py --data tests/data/eval` runs on it unchanged. The
sources' licences and commits are copied from each set's provenance.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(REPO))

from bench import relevance  # noqa: E402
from bench.fts5 import Fts5Index  # noqa: E402

QUESTIONS = 20  # per source: what the relevance smoke test and the ranking golden file read
HARD = 5  # per question: FTS5's best passages of the full set
DISTRACTORS = 50  # per language, at random
OUT = REPO / "tests" / "data" / "eval"


def write_slice(data: Path, out: Path, lang: str) -> relevance.EvalSet:
    full = relevance.load_evalset(data, lang)
    ev = relevance.sample(full, QUESTIONS, distractors=DISTRACTORS)
    fts5 = Fts5Index()
    fts5.add((d["id"], d.get("title") or "", d["text"]) for d in full.docs)
    hard = {docid for q in ev.queries.values() for docid in fts5.search(q, HARD)}
    fts5.close()
    kept = {d["id"] for d in ev.docs} | hard
    ev.docs = [d for d in full.docs if d["id"] in kept]  # the full set's order
    root = out / lang
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in ev.docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(root / "queries.dev.tsv", "w", encoding="utf-8") as f:
        for qid, question in ev.queries.items():
            f.write(f"{qid}\t{question}\n")
    with open(root / "qrels.dev.tsv", "w", encoding="utf-8") as f:
        for qid in ev.queries:
            for docid, grade in ev.qrels[qid].items():
                f.write(f"{qid} 0 {docid} {grade}\n")
    provenance = json.loads((data / lang / "provenance.json").read_text(encoding="utf-8"))
    provenance["slice"] = {"questions_per_source": QUESTIONS, "fts5_hard_per_question": HARD,
                           "random_distractors": DISTRACTORS,
                           "seed": relevance.SEED, "made_by": "bench/eval_slice.py"}
    (root / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return ev


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=relevance.DEFAULT_DATA,
                   help="the full sets (default: ../shared/data/eval beside the repo)")
    p.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT.relative_to(REPO)})")
    args = p.parse_args(argv)
    for lang in relevance.EVAL_LANGS:
        ev = write_slice(args.data, args.out, lang)
        print(f"{lang}: {len(ev.queries)} questions, {len(ev.docs)} passages -> {args.out / lang}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
