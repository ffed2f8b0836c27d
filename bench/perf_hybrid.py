"""bench/perf.py's `hybrid` section: embedding throughput, and hybrid queries beside lexical ones.

    .venv/bin/python bench/perf.py --sizes 10000 --only hybrid

- Embedding: the first --embed-docs documents of the corpus, title + lead at each
  --embed-chars length, in worker processes on every core (search/embedding.py's
  embed_many, what `lintas index --vectors` runs): docs/s (wall) and CPU ms a
  document (the workers' user+system time).
- Queries: the size's Lintas index, seen through a folder of links to its files
  plus a vectors/ folder (the lexical index itself is left as the other sections
  measure it). Its vectors are random unit vectors: embedding 10,000 documents
  takes hours of this shared machine, and the cost of an exact inner product and
  of the fusion does not depend on the values. The query is embedded for real on
  every request (the query-vector cache is emptied before each one; a cached row
  is shown too). In process, top 10 with snippets, lexical vs hybrid, interleaved.
- HTTP: `lintas serve` on that folder, 8 clients, lexical then hybrid, the query
  vector cache off (LINTAS_QUERY_VECTOR_CACHE=0), and the server's memory.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def embedding_throughput(corpus_path: Path, docs: int, chars_list: list[int]) -> dict:
    from bench.corpus import iter_corpus
    from search import embedding

    items = []
    for d in iter_corpus(corpus_path):
        items.append((d.get("title") or "", d.get("text") or ""))
        if len(items) >= docs:
            break
    out = {}
    for chars in chars_list:
        texts = [embedding.passage_text(t, x, chars) for t, x in items]
        c0, t0 = _cpu_children(), time.perf_counter()
        n = sum(len(v) for v in embedding.embed_many(texts))
        wall = time.perf_counter() - t0
        cpu = _cpu_children() - c0
        out[chars] = {"docs": n, "seconds": wall, "docs_per_s": n / wall, "cpu_ms_per_doc": cpu * 1000 / n,
                      "mean_chars": sum(map(len, texts)) / len(texts), "procs": os.cpu_count()}
    return out


def vector_view(index_dir: Path, out_dir: Path) -> Path:
    """A folder that reads as `index_dir` plus random vectors for every live document."""
    from search import storage, vectors

    view = out_dir / (index_dir.name + "-vectors")
    stamp = view / ".for"
    key = f"{index_dir.resolve()} {sorted(p.name for p in index_dir.iterdir())}"
    if stamp.exists() and stamp.read_text() == key:
        return view
    if view.exists():
        import shutil

        shutil.rmtree(view)
    view.mkdir(parents=True)
    for f in index_dir.iterdir():
        if f.is_file():
            (view / f.name).symlink_to(f.resolve())
    with storage.open_index(view).reader() as reader:
        hashes = vectors.doc_hashes(reader)
    keys = np.unique(hashes[hashes != b""])
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((len(keys), 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with vectors.writing(view) as w:
        w.enable()
        w.add(keys, vecs)
    stamp.write_text(key)
    return view


def query_latency(view: Path, texts: list[str], runs: int, percentiles) -> dict:
    from search import hybrid
    from search.engine import Engine
    from search.request import SearchRequest

    engine = Engine(view)
    engine.warm_up()
    lat = {"lexical": [], "hybrid": [], "hybrid_cached": [], "embed_query": []}
    for t in texts:  # warm-up: postings, lexicon, model
        engine.search(SearchRequest(q=t, mode="hybrid"))
    for _ in range(runs):
        runs_ms = {k: [] for k in lat}
        for t in texts:
            t0 = time.perf_counter()
            engine.search(SearchRequest(q=t, mode="lexical"))
            runs_ms["lexical"].append((time.perf_counter() - t0) * 1000)
            hybrid.forget_queries()
            t0 = time.perf_counter()
            engine.search(SearchRequest(q=t, mode="hybrid"))
            runs_ms["hybrid"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            engine.search(SearchRequest(q=t, mode="hybrid"))
            runs_ms["hybrid_cached"].append((time.perf_counter() - t0) * 1000)
            hybrid.forget_queries()
            t0 = time.perf_counter()
            hybrid.query_vector(t)
            runs_ms["embed_query"].append((time.perf_counter() - t0) * 1000)
        for k, v in runs_ms.items():
            lat[k].append(percentiles(v))
    return lat


def http(bench, view: Path, size: int, clients: int, duration: float, runs: int) -> dict:
    from bench import http_load

    port = http_load.free_port()
    argv = bench.lintas_cmd() + ["serve", "--index", str(view), "--host", http_load.HOST, "--port", str(port),
                                 "--no-embed"]
    if bench.args.server_workers:
        argv += ["--workers", str(bench.args.server_workers)]
    res: dict = {}
    os.environ["LINTAS_QUERY_VECTOR_CACHE"] = "0"
    try:
        from bench.perf import ROOT

        with http_load.Server(argv, port, cwd=ROOT, log=bench.out / f"serve-hybrid-n{size}.log") as server:
            res["rss_startup_kb"] = server.memory_kb()["vmrss_kb"]
            for mode in ("lexical", "hybrid"):
                paths = ["/search?" + urlencode({"q": q.text, "per_page": 10, "mode": mode}) for q in bench.queries]
                http_load.run_load(port, paths, 2, duration=duration, max_requests=len(paths))  # warm-up
                rows = []
                for _ in range(runs):
                    lr = http_load.run_load(port, paths, clients, duration=duration)
                    rows.append({"rps": lr.rps, "errors": lr.errors, "requests": lr.requests,
                                 "first_error": lr.first_error, **_pcts(lr.latencies_ms)})
                res[mode] = rows
            mem = server.memory_kb()
            res.update(rss_served_kb=mem["vmrss_kb"], pss_served_kb=mem["pss_kb"],
                       rss_max_process_kb=mem["rss_max_kb"], processes=mem["processes"])
    finally:
        os.environ.pop("LINTAS_QUERY_VECTOR_CACHE", None)
    return res


def _pcts(lat):
    from bench.perf import percentiles

    return percentiles(lat)


def run(bench, size: int) -> dict:
    """Everything above for one corpus size; bench is perf.py's Bench."""
    from bench.perf import log, median, percentiles

    args = bench.args
    res: dict = {}
    log(f"hybrid n={size}: embedding {args.embed_docs} documents at {args.embed_chars} characters")
    res["embedding"] = embedding_throughput(bench.corpus(size), args.embed_docs, args.embed_chars)
    for chars, e in res["embedding"].items():
        log(f"  {chars} chars: {e['docs_per_s']:.1f} docs/s, {e['cpu_ms_per_doc']:.0f} CPU ms/doc")
    view = vector_view(bench.ensure_index("lintas", size), bench.out / "index")
    texts = [q.text for q in bench.queries]
    lat = query_latency(view, texts, args.runs, percentiles)
    res["query"] = {k: {"runs": v, **{p: median([r[p] for r in v]) for p in v[0]}} for k, v in lat.items()}
    ratios = [h["p50"] / lx["p50"] for h, lx in zip(lat["hybrid"], lat["lexical"]) if lx["p50"]]
    res["query"]["hybrid_over_lexical_p50"] = median(ratios)
    log(f"hybrid n={size}: p50 lexical {res['query']['lexical']['p50']:.1f} ms, hybrid "
        f"{res['query']['hybrid']['p50']:.1f} ms (query embedding {res['query']['embed_query']['p50']:.1f} ms)")
    if "http" not in args.skip_hybrid:
        res["http"] = http(bench, view, size, 8, args.http_duration, args.runs)
    return res


def report(res: dict, table, MB: int) -> list[str]:
    lines = ["", "5. Hybrid search (bench/perf_hybrid.py; random unit vectors stand in for the documents')"]
    for size, r in res.items():
        rows = [[f"{size:,}", chars, e["docs"], e["mean_chars"], e["docs_per_s"], e["cpu_ms_per_doc"]]
                for chars, e in r["embedding"].items()]
        lines += [f"  embedding (title + lead, {next(iter(r['embedding'].values()))['procs']} worker processes)",
                  table(["docs", "chars", "n", "mean chars", "docs/s", "CPU ms/doc"], rows)]
        q = r["query"]
        rows = [[f"{size:,}", k, q[k]["p50"], q[k]["p95"], q[k]["p99"], q[k]["mean"]]
                for k in ("lexical", "hybrid", "hybrid_cached", "embed_query")]
        lines += ["  in process, top 10 with snippets, ms (hybrid: query embedded each time; hybrid_cached: "
                  "its vector remembered; embed_query: the model alone)",
                  table(["docs", "mode", "p50", "p95", "p99", "mean"], rows),
                  f"  hybrid p50 / lexical p50 = {q['hybrid_over_lexical_p50']:.2f}x (median of per-run ratios)"]
        h = r.get("http")
        if h:
            from bench.perf import median

            rows = [[f"{size:,}", mode, 8, median([x["rps"] for x in h[mode]]),
                     median([x["p50"] for x in h[mode]]), median([x["p99"] for x in h[mode]]),
                     sum(x["errors"] for x in h[mode])] for mode in ("lexical", "hybrid")]
            lines += ["  HTTP /search under `lintas serve` (query vector cache off)",
                      table(["docs", "mode", "clients", "req/s", "p50 ms", "p99 ms", "errors"], rows),
                      f"  server memory after serving: RSS {h['rss_served_kb'] / MB:.0f} MB summed over "
                      f"{h['processes']} processes (largest {h['rss_max_process_kb'] / MB:.0f} MB), PSS "
                      f"{(h['pss_served_kb'] or 0) / MB:.0f} MB"]
    return lines
