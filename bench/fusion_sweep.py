"""The sweep that chose search/hybrid.py's fusion: MRR@10 per source for each method and parameter.

    python bench/fusion_sweep.py                 # dev half, fa and id (needs bench/dense.py's cache)
    python bench/fusion_sweep.py --limit 20

Each question's lexical matches and dense scores are computed once, through the
engine's own code (respelling, per-language parsing, BM25F over every match),
then hybrid.run ranks them under every fusion setting: the numbers are the ones
Engine.search would give with that setting.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from tqdm import tqdm  # noqa: E402

from bench import relevance  # noqa: E402

# Every setting applies to every question as given (hybrid.QUESTION_RULE is the
# engine's default only); dense_k: the nearest documents per language.
GRID = (
    [{"method": "rrf", "k": k, "weight": w} for k, w in ((10, 0.5), (60, 1.0))]
    + [{"method": "linear", "weight": w} for w in (0.1, 0.2, 0.3, 0.4, 0.5)]
    + [{"method": "linear", "weight": w, "dense_k": 200} for w in (0.2, 0.3)]
    + [{"method": "minmax", "weight": w} for w in (0.2, 0.3, 0.4, 0.5)]
    + [{"method": "zscore", "weight": w, "dense_k": dk} for dk in (100, 200) for w in (0.2, 0.3, 0.4, 0.5)]
    # The words' confidence: a flat lexical list (no document singled out) gives meaning more say.
    + [{"method": m, "weight": 0.2, "flat_weight": fw, "signal": "z", "confident_at": c}
       for m in ("linear", "zscore") for fw in (0.4, 0.5) for c in (2.0, 3.0, 4.0)]
    + [{"method": m, "weight": 0.2, "flat_weight": fw, "signal": "gap", "confident_at": c}
       for m in ("linear", "zscore") for fw in (0.4, 0.5) for c in (0.1, 0.2, 0.3)]
)
# The last session's default and the rules that kept every source at or above
# lexical on the first 400 questions per source (--short: the full dev half in minutes).
SHORT = [{"method": "linear", "weight": 0.2}, {"method": "linear", "weight": 0.3}]  + [
    {"method": "linear", "weight": 0.2, "flat_weight": fw, "signal": sig, "confident_at": c}
    for sig, c, fw in (("z", 3.0, 0.4), ("gap", 0.1, 0.4), ("gap", 0.1, 0.5), ("gap", 0.2, 0.4),
                       ("gapd", 0.1, 0.4), ("gapd", 0.1, 0.5))]


def label(cfg: dict) -> str:
    k = f" K={cfg['dense_k']}" if cfg.get("dense_k", 100) != 100 else ""
    if cfg.get("flat_weight") is not None:
        k += f" flat({cfg['signal']}<{cfg['confident_at']:g}) w={cfg['flat_weight']:g}"
    if cfg["method"] == "rrf":
        return f"rrf k={cfg['k']:g} w={cfg['weight']:g}{k}"
    return f"{cfg['method']} w={cfg['weight']:g}{k}"


def second_window(ev, index_dir: Path, view, discount: float = 0.0):
    """Make `view.dense` the max of each document's two cosines: its lead's and its
    second window's (bench/dense.py --next), the latter less `discount`."""
    import numpy as np

    from bench import dense
    from search import embedding

    vecs, _ = dense.cached(ev.lang, dense.next_passages(ev, embedding.PASSAGE_CHARS), "passage",
                           extra=f"next{embedding.PASSAGE_CHARS}")
    has = np.array([bool(t) for t in dense.next_passages(ev, embedding.PASSAGE_CHARS)])
    from search import storage

    with storage.open_index(index_dir).reader() as reader:
        ids = reader.column_reader("id")
        docnum = {ids[n]: n for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}
    mat = np.zeros((view.n, embedding.DIM), np.float32)
    ok = np.zeros(view.n, bool)
    for i, d in enumerate(ev.docs):
        n = docnum.get(d["id"])
        if n is not None and has[i]:
            mat[n], ok[n] = vecs[i], True
    lead = view.dense

    def dense_max(qvec):
        out = lead(qvec)
        second = np.where(ok, mat @ qvec - discount, -np.inf).astype(np.float32)
        return np.where(np.isfinite(out), np.maximum(out, second), out)

    view.dense = dense_max
    return int(ok.sum())


def sweep(ev, index_dir: Path, grid=GRID, next_discount: float | None = None) -> dict[str, dict]:
    from search import collect, hybrid, vectorized
    from search.engine import Engine
    from search.request import SearchRequest
    from search.respell import respell

    engine = Engine(str(index_dir), time_limit=60.0)
    searcher = engine.searchers.searcher()
    present = engine.searchers.present_langs(searcher)
    view = engine.dense.view(searcher, present)
    if next_discount is not None:
        n = second_window(ev, index_dir, view, next_discount)
        print(f"{ev.lang}: {n} documents with a second window (max-sim, discount {next_discount:g})",
              file=sys.stderr)
    exists = engine.searchers.terms(searcher)
    runs = {label(c): {} for c in grid}
    runs["lexical"], runs["semantic"] = {}, {}
    ids = searcher.reader().column_reader("id")
    questions = 0
    for qid, q in tqdm(ev.queries.items(), desc=f"{ev.lang} sweep", file=sys.stderr):
        req = SearchRequest(q=q, per_page=relevance.TOP_K, snippets=False)
        deadline = time.perf_counter() + 60
        parts = engine._parts(present, respell(searcher, exists, q, present, deadline).query, exists)
        stats = engine.searchers.term_stats(searcher)
        stats.deadline = deadline
        lexical = {lang: vectorized.match(searcher, part, stats) if vectorized.supports(part, searcher.schema)
                   else collect.matches(searcher, part, deadline) for lang, part in parts.items()}
        qvec = hybrid.query_vector(q)
        preps = {}
        for cfg in grid:
            name, cfg = label(cfg), dict(cfg)
            dk = cfg.pop("dense_k", hybrid.DENSE_K)
            if dk not in preps:
                preps[dk] = hybrid.prepare(searcher, view, qvec, "hybrid", lexical, present, req, k=dk)
            ranked = vectorized.union(list(hybrid.fused(preps[dk], cfg).values()))
            runs[name][qid] = [ids[d] for _s, d in ranked.top(relevance.TOP_K)]
        semantic = hybrid.prepare(searcher, view, qvec, "semantic", lexical, present, req)
        ranked = vectorized.union(list(hybrid.fused(semantic).values()))
        runs["semantic"][qid] = [ids[d] for _s, d in ranked.top(relevance.TOP_K)]
        questions += preps[hybrid.DENSE_K].question
        lex = vectorized.union(list(lexical.values()))
        runs["lexical"][qid] = [ids[d] for _s, d in lex.top(relevance.TOP_K)]
    print(f"{ev.lang}: {questions} of {len(ev.queries)} queries read as questions (hybrid.is_question)",
          file=sys.stderr)
    return {name: relevance.evaluate(r, ev) for name, r in runs.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=relevance.DEFAULT_DATA)
    p.add_argument("--lang", choices=relevance.EVAL_LANGS, action="append")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--per-source", type=int, default=0, help="as bench/relevance.py --per-source")
    p.add_argument("--json", type=Path)
    p.add_argument("--short", action="store_true", help="only the chosen rule and its neighbours (SHORT)")
    p.add_argument("--next", type=float, default=None, metavar="DISCOUNT",
                   help="a document's dense score: the max of its lead's cosine and its second window's "
                        "less DISCOUNT (bench/dense.py --next must have cached them)")
    args = p.parse_args(argv)
    report = {}
    for lang in args.lang or relevance.EVAL_LANGS:
        ev = relevance.load_evalset(args.data, lang)
        if args.limit:
            ev = relevance.sample(ev, args.limit)
        if args.per_source:
            ev = relevance.first_per_source(ev, args.per_source)
        index_dir = relevance.OUT_DIR / "index" / f"{lang}-{relevance.index_key(ev)}"
        if not (index_dir / ".complete").exists():
            index_dir.mkdir(parents=True, exist_ok=True)
            relevance.build_lintas_index(ev, index_dir)
            (index_dir / ".complete").touch()
        relevance.attach_vectors(ev, index_dir)
        relevance.preload_questions(ev)
        results = sweep(ev, index_dir, SHORT if args.short else GRID, args.next)
        sources = sorted(results["lexical"]["by_source"])
        print(f"{lang}: {len(ev.queries)} questions, {len(ev.docs)} passages; MRR@10")
        print(f"{'fusion':<22}" + "".join(f"{s:>10}" for s in sources) + f"{'macro':>10}{'min Δlex':>10}")
        for name, r in results.items():
            cells = "".join(f"{r['by_source'][s]['MRR@10']:>10.4f}" for s in sources)
            worst = min(r["by_source"][s]["MRR@10"] - results["lexical"]["by_source"][s]["MRR@10"]
                        for s in sources)
            print(f"{name:<22}{cells}{r['macro']['MRR@10']:>10.4f}{worst:>+10.4f}", flush=True)
        print()
        report[lang] = {name: {"by_source": {s: m["MRR@10"] for s, m in r["by_source"].items()},
                               "macro": r["macro"]["MRR@10"]} for name, r in results.items()}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
