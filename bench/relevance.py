"""Relevance of Lintas on judged question sets, with SQLite FTS5 as the reference line.

    python bench/relevance.py                  # fa and id, full dev half (minutes)
    python bench/relevance.py --lang fa --limit 20 --no-fts5
    python bench/relevance.py --queries-out bench/out/ranks.jsonl --json bench/out/rel.json
    python bench/relevance.py --mode all --no-fts5  # lexical, semantic and hybrid Lintas
    python bench/relevance.py --no-fts5 --shards 4  # also: 4 shards on Dask vs one index

For each language: index `<data>/<lang>/corpus.jsonl` with `search.indexer.Indexer`, run every
question of `queries.dev.tsv` through `search.engine.Engine.search` (the path `/search` uses),
top 100, and report MRR@10, nDCG@10 and Recall@100 per source (the qid prefix) and as the macro
average over sources. The table goes to stdout; progress bars go to stderr.

--shards N also builds the corpus as an index of N shards on a two-worker Dask LocalCluster
(search/shard_build.py), runs every question through it with the shards scored by the workers
(search/fanout.py), and checks it against the one index: the same top 100 in the same order,
scores equal to 1e-9, totals and facets equal (printed per language, in the JSON as "shards").

--mode semantic|hybrid (or all) ranks with the index's vectors too: the passages' and
questions' vectors come from bench/dense.py's cache under bench/out/vectors/ (made on first
use: tens of minutes on two cores), are stored in the index as `lintas index --vectors` would
store them, and every question then runs through Engine.search with that mode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `bench` and `search` importable
    sys.path.insert(0, str(REPO))

from tqdm import tqdm  # noqa: E402

from bench import metrics  # noqa: E402
from bench.fts5 import Fts5Index  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "eval"
EVAL_LANGS = ("fa", "id")  # the languages with judged question sets
TOP_K = 100
# With --limit, this many unjudged documents join the judged ones so that ranking still has
# distractors to get past; fixed seed so that two smoke runs index the same corpus.
DISTRACTORS = 300
SEED = 20240
OUT_DIR = REPO / "bench" / "out"
MODES = ("lexical", "semantic", "hybrid")
# The lexical mode keeps its old name in the tables and the JSON ("lintas").
SYSTEM_OF_MODE = {"lexical": "lintas", "semantic": "semantic", "hybrid": "hybrid"}


@dataclass
class EvalSet:
    """One language's corpus, questions and judgements."""

    lang: str
    docs: list[dict]  # corpus.jsonl records: id, title, text, lang
    queries: dict[str, str]  # qid -> question, in file order
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)  # qid -> {docid: grade}
    all_queries: list[str] | None = None  # with --per-source: every question, in file order


def source_of(qid: str) -> str:
    """The query's source: its id up to the first '-' (parsinlu-dev-0002 -> parsinlu)."""
    return qid.split("-", 1)[0]


def load_evalset(data: Path, lang: str) -> EvalSet:
    """Read corpus.jsonl, queries.dev.tsv and qrels.dev.tsv (TREC: `qid 0 docid grade`)."""
    root = data / lang
    with open(root / "corpus.jsonl", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    queries: dict[str, str] = {}
    with open(root / "queries.dev.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                qid, question = line.rstrip("\n").split("\t", 1)
                queries[qid] = question
    qrels: dict[str, dict[str, int]] = {}
    with open(root / "qrels.dev.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                qid, _, docid, grade = line.split()
                qrels.setdefault(qid, {})[docid] = int(grade)
    # trec_eval skips queries without judgements; so do we, rather than count them as zeros
    queries = {q: text for q, text in queries.items() if q in qrels}
    return EvalSet(lang, docs, queries, qrels)


def first_per_source(ev: EvalSet, n: int) -> EvalSet:
    """The first `n` questions of each source, every document kept (unlike --limit)."""
    taken: dict[str, int] = {}
    queries = {}
    for qid, question in ev.queries.items():
        src = source_of(qid)
        if taken.get(src, 0) < n:
            taken[src] = taken.get(src, 0) + 1
            queries[qid] = question
    return EvalSet(ev.lang, ev.docs, queries, {q: ev.qrels[q] for q in queries},
                   all_queries=list(ev.queries.values()))


def sample(ev: EvalSet, limit: int, distractors: int = DISTRACTORS, seed: int = SEED) -> EvalSet:
    """The first `limit` queries of each source, their judged documents and some distractors."""
    taken: dict[str, int] = {}
    queries = {}
    for qid, question in ev.queries.items():
        src = source_of(qid)
        if taken.get(src, 0) < limit:
            taken[src] = taken.get(src, 0) + 1
            queries[qid] = question
    judged = {d for q in queries for d in ev.qrels[q]}
    others = [d["id"] for d in ev.docs if d["id"] not in judged]
    keep = judged | set(random.Random(seed).sample(others, min(distractors, len(others))))
    docs = [d for d in ev.docs if d["id"] in keep]
    return EvalSet(ev.lang, docs, queries, {q: ev.qrels[q] for q in queries})


# --- systems: each turns an EvalSet into {qid: ranked doc ids} ---------------------------------


def run_fts5(ev: EvalSet) -> dict[str, list[str]]:
    index = Fts5Index()
    try:
        index.add((d["id"], d.get("title") or "", d["text"]) for d in ev.docs)
        return {
            qid: index.search(q, TOP_K)
            for qid, q in tqdm(ev.queries.items(), desc=f"{ev.lang} fts5 query", file=sys.stderr)
        }
    finally:
        index.close()


def index_key(ev: EvalSet) -> str:
    """Hash of everything that shapes the index: the analyzer/indexing code and the documents."""
    h = hashlib.sha256()
    code = sorted(REPO.glob("analyzers/**/*")) + [
        REPO / "search" / n for n in ("schema.py", "indexer.py", "documents.py", "cleanup.py", "datelines.py")
    ]
    for path in code:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    for d in ev.docs:
        h.update(json.dumps(d, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def build_lintas_index(ev: EvalSet, index_dir: Path, progress: bool = True) -> None:
    from search.documents import Document
    from search.indexer import Indexer

    docs = (
        Document(id=d["id"], title=d.get("title") or "", text=d["text"], lang=ev.lang)
        for d in ev.docs
    )
    if progress:
        print(f"{ev.lang}: indexing {len(ev.docs)} documents with Lintas", file=sys.stderr)
    # One process: documents take the corpus's order, as in the peers' runs. Exact
    # score ties (FacQA repeats passages) go to the lower docnum; two analysis
    # processes interleave the corpus in batches and moved facqa MRR@10 by 0.007
    # (0.825 -> 0.818) through tie order alone.
    Indexer(str(index_dir), procs=1).add_documents(docs, progress=progress)


def attach_vectors(ev: EvalSet, index_dir: Path) -> dict:
    """Store the cached passage vectors in the index, under each document's content hash."""
    import numpy as np

    from bench import dense
    from search import embedding, storage, vectors

    manifest = vectors.read_manifest(index_dir)
    vecs, info = dense.cached(ev.lang, dense.passages(ev, embedding.PASSAGE_CHARS), "passage",
                              extra=str(embedding.PASSAGE_CHARS))
    if manifest is not None and manifest.current() and manifest.segments:
        return info
    with storage.open_index(index_dir).reader() as reader:
        ids = reader.column_reader("id")
        hashes = reader.column_reader("hash")
        by_id = {ids[n]: hashes[n] for n in range(reader.doc_count_all()) if not reader.is_deleted(n)}
    keys = np.array([by_id[d["id"]] for d in ev.docs], dtype=vectors.KEY_DTYPE)
    with vectors.writing(index_dir) as w:
        w.enable()
        w.add(keys, np.asarray(vecs, np.float32))
        w.compact(keys)  # one id indexed twice keeps one vector
    return info


def preload_questions(ev: EvalSet) -> dict:
    """The questions' cached vectors, so that 11k questions are not embedded once per mode."""
    from bench import dense
    from search import hybrid

    texts = dense.questions(ev)
    if ev.all_queries is not None:  # --per-source: reuse whatever the whole set's cache holds
        vecs, info = dense.cached_subset(ev.lang, texts, [hybrid.query_text(q) for q in ev.all_queries])
    else:
        vecs, info = dense.cached(ev.lang, texts, "query")
    hybrid.remember_queries(texts, vecs)
    return info


def run_lintas(ev: EvalSet, index_dir: Path, query_lang: bool,
               mode: str = "lexical") -> tuple[dict, int, int]:
    """Rankings from Engine.search; how many questions it refused; how many ran past budget."""
    from search.engine import TIME_LIMIT as DEFAULT_TIME_LIMIT
    from search.engine import Engine
    from search.errors import LintasError
    from search.request import SearchRequest

    # A generous time budget: this measures ranking, and on a busy shared machine the default
    # per-query budget would cut some result lists short at random. Queries that would have run
    # past the default are counted instead, so a slow analyzer or query shape still shows.
    engine = Engine(str(index_dir), time_limit=60.0)
    rankings, refused, slow = {}, 0, 0
    for qid, q in tqdm(ev.queries.items(), desc=f"{ev.lang} lintas {mode} query", file=sys.stderr):
        try:
            # Ranking, not the page: near-duplicates are not folded (collapse=False).
            req = SearchRequest(q=q, lang=ev.lang if query_lang else None, per_page=TOP_K,
                                snippets=False, collapse=False, mode=mode)
            results = engine.search(req)
            rankings[qid] = [h.id for h in results.hits]
            slow += results.took_ms > DEFAULT_TIME_LIMIT * 1000
        except LintasError as e:  # a question the engine refuses scores 0, and is counted
            print(f"{qid}: {e}", file=sys.stderr)
            rankings[qid], refused = [], refused + 1
    if slow:
        print(f"{ev.lang}: {slow} queries took longer than the engine's default budget "
              f"({DEFAULT_TIME_LIMIT} s)", file=sys.stderr)
    return rankings, refused, slow


# --- scoring and reporting ---------------------------------------------------------------------


def evaluate(rankings: Mapping[str, Sequence[str]], ev: EvalSet) -> dict:
    """{"per_query": {qid: scores}, "by_source": {src: means}, "macro": means}."""
    per_query = {qid: metrics.score_query(rankings[qid], ev.qrels[qid]) for qid in ev.queries}
    by_source = metrics.per_source_means(per_query, source_of)
    return {"per_query": per_query, "by_source": by_source, "macro": metrics.macro_average(by_source)}


def best_of(results: Mapping[str, dict]) -> dict:
    """MRR@10 if every question took whichever system ranked its answer higher.

    A ceiling for reading the targets: no single ranking of the same words gets
    there without being right wherever either system is right."""
    runs = [r["per_query"] for r in results.values()]
    per_query = {qid: {"MRR@10": max(run[qid]["MRR@10"] for run in runs)} for qid in runs[0]}
    by_source = metrics.per_source_means(per_query, source_of)
    return {"by_source": by_source, "macro": metrics.macro_average(by_source)}


def format_best_of(best: dict) -> str:
    cells = ", ".join(f"{src} {m['MRR@10']:.3f}" for src, m in sorted(best["by_source"].items()))
    return f"best of both per question, MRR@10: {cells}; macro {best['macro']['MRR@10']:.3f}"


def format_table(lang: str, ev: EvalSet, results: Mapping[str, dict]) -> str:
    """Fixed-width table: one row per source plus macro, one column group per system."""
    names = list(metrics.METRICS)
    systems = list(results)
    counts: dict[str, int] = {}
    for qid in ev.queries:
        counts[source_of(qid)] = counts.get(source_of(qid), 0) + 1
    group = " ".join(f"{n:>8}" for n in names)
    width = len(group)
    head1 = f"{'':<10} {'queries':>7}" + "".join(f" | {s.upper():^{width}}" for s in systems)
    head2 = f"{'source':<10} {'':>7}" + "".join(f" | {group}" for _ in systems)
    lines = [f"{lang}: {len(ev.queries)} queries, {len(ev.docs)} documents, top {TOP_K}",
             head1, head2, "-" * len(head2)]

    def row(label: str, n: int, pick: Callable[[dict], dict]) -> str:
        cells = "".join(
            " | " + " ".join(f"{pick(results[s])[m]:>8.3f}" for m in names) for s in systems
        )
        return f"{label:<10} {n:>7}" + cells

    for src in sorted(counts):
        lines.append(row(src, counts[src], lambda r, src=src: r["by_source"][src]))
    lines.append("-" * len(head2))
    lines.append(row("macro", len(ev.queries), lambda r: r["macro"]))
    return "\n".join(lines)


def query_records(ev: EvalSet, rankings: Mapping[str, Mapping[str, list[str]]],
                  results: Mapping[str, dict]):
    """One JSON-ready record per question: what each system ranked, and where the answer was."""
    for qid, question in ev.queries.items():
        rec = {"lang": ev.lang, "qid": qid, "source": source_of(qid), "question": question,
               "relevant": ev.qrels[qid]}
        for system, ranks in rankings.items():
            ranking = ranks[qid]
            rec[system] = {
                "rank": metrics.first_relevant_rank(ranking, ev.qrels[qid]),  # None: not in top 100
                **{m: round(v, 4) for m, v in results[system]["per_query"][qid].items()},
                "top10": ranking[:10],
            }
        yield rec


def run_language(args, lang: str, stack: ExitStack) -> tuple[EvalSet, dict, dict, dict]:
    ev = load_evalset(args.data, lang)
    if args.limit:
        ev = sample(ev, args.limit)
    if args.per_source:
        ev = first_per_source(ev, args.per_source)
    rankings: dict[str, dict[str, list[str]]] = {}
    info: dict = {"queries": len(ev.queries), "documents": len(ev.docs)}
    if args.fts5:
        t = time.perf_counter()
        rankings["fts5"] = run_fts5(ev)
        info["fts5_seconds"] = round(time.perf_counter() - t, 2)
    if args.lintas:
        if args.reuse:
            index_dir = OUT_DIR / "index" / f"{lang}-{index_key(ev)}"
            if not (index_dir / ".complete").exists():
                index_dir.mkdir(parents=True, exist_ok=True)
                t = time.perf_counter()
                build_lintas_index(ev, index_dir)
                info["index_seconds"] = round(time.perf_counter() - t, 2)
                (index_dir / ".complete").touch()
        else:
            index_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lintas-rel-")))
            t = time.perf_counter()
            build_lintas_index(ev, index_dir)
            info["index_seconds"] = round(time.perf_counter() - t, 2)
        if set(args.modes) & {"semantic", "hybrid"}:
            info["passage_vectors"] = attach_vectors(ev, index_dir)
            info["question_vectors"] = preload_questions(ev)
        for mode in args.modes:
            name = SYSTEM_OF_MODE[mode]
            t = time.perf_counter()
            rankings[name], info[f"{name}_refused"], info[f"{name}_slow"] = run_lintas(
                ev, index_dir, args.query_lang, mode)
            info[f"{name}_query_seconds"] = round(time.perf_counter() - t, 2)
    if args.shards and args.lintas:
        info["shards"] = shard_identity(ev, index_dir, args.shards, stack)
        print(format_identity(ev.lang, info["shards"]), flush=True)
    results = {system: evaluate(r, ev) for system, r in rankings.items()}
    return ev, rankings, results, info


def shard_identity(ev: EvalSet, one_dir: Path, shards: int, stack: ExitStack) -> dict:
    """The corpus in `shards` shards on a two-worker Dask cluster, against the one index:
    every question's top 100 (ids, order, scores), total and facets."""
    from search import cluster, shard_build
    from search.documents import Document
    from search.engine import Engine
    from search.request import SearchRequest

    sharded = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lintas-shards-")))
    client = stack.enter_context(cluster.client(workers=2))
    t = time.perf_counter()
    docs = [Document(id=d["id"], title=d.get("title") or "", text=d["text"], lang=ev.lang) for d in ev.docs]
    shard_build.build(sharded, documents=docs, shards_wanted=shards, client=client)
    out = {"shards": shards, "workers": 2, "build_seconds": round(time.perf_counter() - t, 2),
           "queries": 0, "same_top100": 0, "same_totals": 0, "same_facets": 0, "max_score_diff": 0.0,
           "partial": 0}
    one = Engine(str(one_dir), time_limit=60.0)
    on_dask = Engine(str(sharded), time_limit=60.0, scheduler=client.scheduler.address)
    differing = []
    for qid, q in tqdm(ev.queries.items(), desc=f"{ev.lang} shards vs one index", file=sys.stderr):
        req = SearchRequest(q=q, per_page=TOP_K, snippets=False, collapse=False, mode="lexical")
        a, b = one.search(req, exact_scores=True), on_dask.search(req, exact_scores=True)
        out["queries"] += 1
        out["partial"] += bool(b.shards_failed)
        same = [h.id for h in a.hits] == [h.id for h in b.hits]
        if same:
            diff = max((abs(x.score - y.score) for x, y in zip(a.hits, b.hits)), default=0.0)
            out["max_score_diff"] = max(out["max_score_diff"], diff)
            same = diff <= 1e-9
        out["same_top100"] += same
        out["same_totals"] += a.total == b.total
        out["same_facets"] += a.facets == b.facets
        if not same and len(differing) < 5:
            differing.append(qid)
    out["differing"] = differing
    on_dask.fanout.close()
    return out


def format_identity(lang: str, r: dict) -> str:
    return (f"{lang}: {r['shards']} shards on {r['workers']} Dask workers vs one index, {r['queries']} questions: "
            f"top 100 identical (ids, order, scores within 1e-9) {r['same_top100']}/{r['queries']}, "
            f"max |score difference| {r['max_score_diff']:.3g}; totals {r['same_totals']}/{r['queries']}, "
            f"facets {r['same_facets']}/{r['queries']}; partial answers {r['partial']}; "
            f"sharded build {r['build_seconds']} s" + (f"; differing: {r['differing']}" if r["differing"] else ""))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="folder with fa/ and id/ (default: ../shared/data/eval beside the repo)")
    p.add_argument("--lang", choices=EVAL_LANGS, action="append",
                   help="language to run; repeat for both (default: fa and id)")
    p.add_argument("--limit", type=int, default=0,
                   help="first N queries per source, on their judged docs plus "
                        f"{DISTRACTORS} sampled others (a smoke run)")
    p.add_argument("--per-source", type=int, default=0, metavar="N",
                   help="first N questions of each source, over the whole corpus (a cheaper "
                        "dev-half estimate where a source has thousands of questions)")
    p.add_argument("--no-fts5", dest="fts5", action="store_false", help="skip the FTS5 reference")
    p.add_argument("--no-lintas", dest="lintas", action="store_false",
                   help="skip Lintas (FTS5 only)")
    p.add_argument("--query-lang", action="store_true",
                   help="pass lang=<the set's language> in the SearchRequest (default: no filter, "
                        "as a user who does not pick a language)")
    p.add_argument("--reuse", action="store_true",
                   help="keep the Lintas index under bench/out/index/, keyed by a hash of the "
                        "analyzer/indexer code and the documents, and reuse it when unchanged")
    p.add_argument("--mode", dest="modes", action="append", choices=MODES + ("all",),
                   help="Lintas ranking to measure; repeat for several, 'all' for the three "
                        "(default: lexical). semantic and hybrid use the cached vectors of "
                        "bench/dense.py (computed on first use)")
    p.add_argument("--shards", type=int, default=0, metavar="N",
                   help="also build an index of N shards on a two-worker Dask cluster and check that it "
                        "ranks every question exactly as the one index (lexical)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the numbers as JSON")
    p.add_argument("--queries-out", type=Path, metavar="FILE",
                   help="write one JSON line per question: rank of the first relevant doc per "
                        "system, its metrics and top-10 ids")
    args = p.parse_args(argv)
    modes = args.modes or ["lexical"]
    args.modes = list(MODES) if "all" in modes else list(dict.fromkeys(modes))
    if not (args.fts5 or args.lintas):
        p.error("--no-fts5 and --no-lintas leave nothing to run")
    for lang in args.lang or EVAL_LANGS:
        if not (args.data / lang / "corpus.jsonl").is_file():
            p.error(f"no {args.data / lang / 'corpus.jsonl'}: point --data at the eval folder "
                    "(the one holding fa/ and id/)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict = {}
    with ExitStack() as stack:
        qout = None
        if args.queries_out:
            args.queries_out.parent.mkdir(parents=True, exist_ok=True)
            qout = stack.enter_context(open(args.queries_out, "w", encoding="utf-8"))
        for lang in args.lang or EVAL_LANGS:
            ev, rankings, results, info = run_language(args, lang, stack)
            print(format_table(lang, ev, results), flush=True)
            report[lang] = {
                "info": info,
                **{s: {"by_source": r["by_source"], "macro": r["macro"]} for s, r in results.items()},
            }
            if len(results) == 2:
                report[lang]["best_of_both"] = best = best_of(results)
                print(format_best_of(best), flush=True)
            print(flush=True)
            if qout:
                for rec in query_records(ev, rankings, results):
                    qout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
