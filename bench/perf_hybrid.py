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
- Two query streams. "varied": every request a query not seen before (the
  query-vector cache emptied before each, or off in the server): the model runs
  on every request. "realistic": a stream where popular queries repeat, as in a
  news site's log: Zipf (s=1) over a pool of distinct queries (the bench queries
  and pairs of them), from an empty cache; the share of requests the cache
  answered is reported beside it.
- HTTP: `lintas serve` on that folder, 8 clients, lexical then hybrid, for both
  streams, and the server's memory.
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


ZIPF_S = 1.0


def realistic_stream(texts: list[str], n: int, seed: int = 7) -> list[str]:
    """n requests drawn Zipf(ZIPF_S) from the queries and pairs of them (a pool 10x the queries)."""
    rng = np.random.default_rng(seed)
    pool = list(dict.fromkeys(texts))
    while len(pool) < 10 * len(texts):
        a, b = rng.choice(len(texts), 2, replace=False)
        pool.append(f"{texts[a]} {texts[b]}")
    pool = list(dict.fromkeys(pool))
    order = rng.permutation(len(pool))  # popularity independent of the pool's order
    weights = 1.0 / np.arange(1, len(pool) + 1) ** ZIPF_S
    picks = rng.choice(len(pool), n, p=weights / weights.sum())
    return [pool[order[i]] for i in picks]


def repeat_share(stream: list[str]) -> float:
    """The share of requests whose query came before in the stream (what a large enough cache answers)."""
    return 1 - len(set(stream)) / len(stream) if stream else 0.0


def query_latency(view: Path, texts: list[str], runs: int, percentiles) -> dict:
    """Per run, each mode's latency percentiles (ms) and mean CPU ms (this process, all threads)."""
    from search import hybrid
    from search.engine import Engine
    from search.request import SearchRequest

    engine = Engine(view)
    engine.warm_up()
    for t in texts:  # warm-up: postings, lexicon, model
        engine.search(SearchRequest(q=t, mode="hybrid"))
    out: dict[str, list] = {}
    for _ in range(runs):
        wall: dict[str, list] = {}
        cpu: dict[str, list] = {}

        def timed(key, fn, *args, wall=wall, cpu=cpu):
            c0, t0 = time.process_time(), time.perf_counter()
            fn(*args)
            wall.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
            cpu.setdefault(key, []).append((time.process_time() - c0) * 1000)

        for t in texts:  # varied: the model runs for every hybrid query
            timed("lexical", engine.search, SearchRequest(q=t, mode="lexical"))
            hybrid.forget_queries()
            timed("hybrid", engine.search, SearchRequest(q=t, mode="hybrid"))
            timed("hybrid_cached", engine.search, SearchRequest(q=t, mode="hybrid"))
            hybrid.forget_queries()
            timed("embed_query", hybrid.query_vector, t)
        # The realistic stream: lexical and hybrid interleaved, the cache emptied once.
        hybrid.forget_queries()
        for t in realistic_stream(texts, 2 * len(texts)):
            timed("lexical_stream", engine.search, SearchRequest(q=t, mode="lexical"))
            timed("hybrid_stream", engine.search, SearchRequest(q=t, mode="hybrid"))
        for k, v in wall.items():
            out.setdefault(k, []).append({**percentiles(v), "cpu_ms": sum(cpu[k]) / len(cpu[k])})
    return out


def http(bench, view: Path, size: int, clients: int, duration: float, runs: int,
         plain: Path | None = None) -> dict:
    texts = [q.text for q in bench.queries]
    streams = {"varied": texts, "realistic": realistic_stream(texts, 4 * len(texts))}
    res: dict = {"repeat_share": repeat_share(streams["realistic"])}
    if plain is not None:
        res["lexical_server"] = lexical_server_memory(bench, plain, clients, duration, texts)
    for stream, queries in streams.items():
        # varied: the cache off, so that every request embeds; realistic: the cache
        # on, each worker's starting empty (a fresh server per stream).
        cache = "0" if stream == "varied" else str(4 * len(texts))
        res[stream] = _http_stream(bench, view, size, clients, duration, runs, queries, cache)
    # The peer: every worker holding the model and the matrix itself (no dense service).
    pw = _http_stream(bench, view, size, clients, duration, runs, texts, "0", modes=("hybrid",), service=False)
    res["varied"]["hybrid_per_worker"] = pw["hybrid"]
    res["per_worker_memory"] = {k: pw[k] for k in ("rss_served_kb", "pss_served_kb", "rss_max_process_kb",
                                                    "processes", "by_process")}
    return res


def _http_stream(bench, view: Path, size: int, clients: int, duration: float, runs: int,
                 queries: list[str], cache: str, modes=("lexical", "hybrid"), service: bool = True) -> dict:
    """`lintas serve` as it runs (with its background embedding pass, idle here: every
    document has a vector), lexical then hybrid over `queries`."""
    from bench import http_load
    from bench.serving import LintasServer

    res: dict = {}
    os.environ["LINTAS_QUERY_VECTOR_CACHE"] = cache
    os.environ["LINTAS_DENSE_SERVICE"] = "1" if service else "0"
    server = LintasServer(view, workers=bench.args.server_workers)
    try:
        server.wait_ready(timeout=300)
        res["rss_startup_kb"] = http_load.memory_kb(server)["vmrss_kb"]
        warm = ["/search?" + urlencode({"q": q.text, "per_page": 10}) for q in bench.queries[:16]]
        http_load.run_load(server.port, warm, 2, duration=duration, max_requests=len(warm))  # model, postings
        for mode in modes:
            paths = ["/search?" + urlencode({"q": q, "per_page": 10, "mode": mode}) for q in queries]
            rows = []
            for _ in range(runs):
                cpu0 = http_load.tree_cpu_seconds(server.proc.pid)
                # One pass over the stream at most: a second would turn the varied
                # stream's queries into repeats.
                lr = http_load.run_load(server.port, paths, clients, duration=duration, max_requests=len(paths))
                cpu = http_load.tree_cpu_seconds(server.proc.pid) - cpu0
                rows.append({"rps": lr.rps, "errors": lr.errors, "requests": lr.requests,
                             "cpu_ms_per_request": cpu * 1000 / max(lr.requests, 1),
                             "first_error": lr.first_error, **_pcts(lr.latencies_ms)})
            res[mode] = rows
        mem = http_load.memory_kb(server)
        res["by_process"] = by_process(server)
        res.update(rss_served_kb=mem["vmrss_kb"], pss_served_kb=mem["pss_kb"],
                   rss_max_process_kb=mem["rss_max_kb"], processes=mem["processes"])
    finally:
        server.stop()
        os.environ.pop("LINTAS_QUERY_VECTOR_CACHE", None)
        os.environ.pop("LINTAS_DENSE_SERVICE", None)
    return res


def lexical_server_memory(bench, plain: Path, clients: int, duration: float, queries: list[str]) -> dict:
    """The same server on the index without vectors after the same varied stream: what
    the vectors add to the server's memory is the difference."""
    from bench import http_load
    from bench.serving import LintasServer

    server = LintasServer(plain, workers=bench.args.server_workers)
    try:
        server.wait_ready(timeout=300)
        paths = ["/search?" + urlencode({"q": q, "per_page": 10}) for q in queries]
        lr = http_load.run_load(server.port, paths, clients, duration=duration, max_requests=len(paths))
        mem = http_load.memory_kb(server)
        return {"by_process": by_process(server), "rps": lr.rps, "requests": lr.requests, "errors": lr.errors, "rss_served_kb": mem["vmrss_kb"],
                "pss_served_kb": mem["pss_kb"], "rss_max_process_kb": mem["rss_max_kb"],
                "processes": mem["processes"]}
    finally:
        server.stop()


def by_process(server) -> list[dict]:
    """Each server process's RSS (kB) and what it is (from its command line)."""
    from bench import http_load

    out = []
    for pid in http_load.process_tree(server.proc.pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            kb = http_load.proc_memory_kb(pid).get("vmrss_kb", 0)
        except OSError:
            continue
        role = next((r for r in ("dense_service", "embed_pass", "search.writer") if r in cmd), "serve")
        out.append({"pid": pid, "role": role, "rss_kb": kb})
    return out


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
    for mode, base in (("hybrid", "lexical"), ("hybrid_stream", "lexical_stream")):
        ratios = [h["p50"] / lx["p50"] for h, lx in zip(lat[mode], lat[base]) if lx["p50"]]
        res["query"][f"{mode}_over_lexical_p50"] = median(ratios)
    res["query"]["stream_repeat_share"] = repeat_share(realistic_stream(texts, 2 * len(texts)))
    log(f"hybrid n={size}: p50 lexical {res['query']['lexical']['p50']:.1f} ms, hybrid "
        f"{res['query']['hybrid']['p50']:.1f} ms (query embedding {res['query']['embed_query']['p50']:.1f} ms)")
    if "http" not in args.skip_hybrid:
        res["http"] = http(bench, view, size, 8, args.http_duration, args.runs,
                           plain=bench.ensure_index("lintas", size))
    return res


def report(res: dict, table, MB: int) -> list[str]:
    lines = ["", "5. Hybrid search (bench/perf_hybrid.py; random unit vectors stand in for the documents')"]
    for size, r in res.items():
        rows = [[f"{size:,}", chars, e["docs"], e["mean_chars"], e["docs_per_s"], e["cpu_ms_per_doc"]]
                for chars, e in r["embedding"].items()]
        lines += [f"  embedding (title + lead, {next(iter(r['embedding'].values()))['procs']} worker processes)",
                  table(["docs", "chars", "n", "mean chars", "docs/s", "CPU ms/doc"], rows)]
        q = r["query"]
        rows = [[f"{size:,}", k, q[k]["p50"], q[k]["p95"], q[k]["p99"], q[k]["mean"], q[k]["cpu_ms"]]
                for k in ("lexical", "hybrid", "hybrid_cached", "embed_query", "lexical_stream", "hybrid_stream")]
        lines += ["  in process, top 10 with snippets, ms (hybrid: a new query each time, the model runs; "
                  "hybrid_cached: its vector remembered; embed_query: the model alone; *_stream: the realistic "
                  f"stream, {q['stream_repeat_share']:.0%} of its requests repeat an earlier query)",
                  table(["docs", "mode", "p50", "p95", "p99", "mean", "CPU ms"], rows),
                  f"  p50 ratios to lexical in the same run: varied {q['hybrid_over_lexical_p50']:.2f}x, "
                  f"realistic stream {q['hybrid_stream_over_lexical_p50']:.2f}x (medians of per-run ratios)"]
        h = r.get("http")
        if h:
            from bench.perf import median

            rows = []
            for stream in ("varied", "realistic"):
                for mode in ("lexical", "hybrid", "hybrid_per_worker"):
                    if mode not in h[stream]:
                        continue
                    xs = h[stream][mode]
                    rows.append([f"{size:,}", stream, mode, 8, median([x["rps"] for x in xs]),
                                 median([x["p50"] for x in xs]), median([x["p99"] for x in xs]),
                                 median([x["cpu_ms_per_request"] for x in xs]), sum(x["errors"] for x in xs)])
            m = h["varied"]
            lines += ["  HTTP /search under `lintas serve` (varied: query-vector cache off; realistic: on, "
                      f"{h['repeat_share']:.0%} of the stream's requests repeat an earlier query)",
                      table(["docs", "stream", "mode", "clients", "req/s", "p50 ms", "p99 ms", "CPU ms/req",
                             "errors"], rows),
                      f"  server memory after the varied run: RSS {m['rss_served_kb'] / MB:.0f} MB summed over "
                      f"{m['processes']} processes (largest {m['rss_max_process_kb'] / MB:.0f} MB), PSS "
                      f"{(m['pss_served_kb'] or 0) / MB:.0f} MB; by process: "
                      + ", ".join(f"{x['role']} {x['rss_kb'] / MB:.0f}" for x in m.get("by_process", []))]
            pw = h.get("per_worker_memory")
            if pw:
                lines.append(f"  without the dense service (each worker holds the model and the matrix), after "
                             f"the varied hybrid run: RSS {pw['rss_served_kb'] / MB:.0f} MB summed over "
                             f"{pw['processes']} processes, PSS {(pw['pss_served_kb'] or 0) / MB:.0f} MB; by process: "
                             + ", ".join(f"{x['role']} {x['rss_kb'] / MB:.0f}" for x in pw["by_process"]))
            lx = h.get("lexical_server")
            if lx:
                lines.append(f"  the same server on the index without vectors, after the same varied stream "
                             f"({lx['requests']} requests, {lx['errors']} errors): RSS {lx['rss_served_kb'] / MB:.0f} "
                             f"MB summed over {lx['processes']} processes (largest "
                             f"{lx['rss_max_process_kb'] / MB:.0f} MB), PSS {(lx['pss_served_kb'] or 0) / MB:.0f} MB; by process: "
                             + ", ".join(f"{x['role']} {x['rss_kb'] / MB:.0f}" for x in lx["by_process"]))
    return lines
