"""Scale: building an index in shards on Dask workers, and querying it, against one index.

    python bench/scale.py build --docs 100000 --workers 1     # 2 shards on a 1-worker LocalCluster
    python bench/scale.py build --docs 100000 --workers 2     # the same on 2 workers
    python bench/scale.py build --docs 100000 --unsharded     # today's build: one index (2 processes)
    python bench/scale.py prepare --docs 100000               # untimed: the indexes `query` reads
    python bench/scale.py query --docs 100000                 # p50/p99 with snippets: one index vs shards
    python bench/scale.py query --docs 1000000 --shards 4 --sharded-only   # no one index to compare
    python bench/scale.py serve --docs 1000000 --shards 4     # `lintas serve` on it: HTTP p50/p99, RSS
    python bench/scale.py report                              # the table of everything measured so far

Each build runs in a fresh process and leaves its index under bench/out/scale/ (git-ignored)
for `query`; each command adds its figures to bench/out/scale/results.json. CPU ms per
document counts every process that worked (this one, its children, the Dask workers); the
machine is shared and noisy, so read the CPU figures and the ratios of runs made close
together, not wall time alone. The corpus is bench/corpus.py's, grown to --docs.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `search` importable
    sys.path.insert(0, str(ROOT))

from bench import corpus as corpus_mod  # noqa: E402
from bench.peers import dir_bytes  # noqa: E402
from bench.perf import REST_S, percentiles  # noqa: E402

OUT = ROOT / "bench" / "out" / "scale"
DATA = ROOT.parent / "shared" / "data" / "bench"
SHARDS = 2


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def index_dir(kind: str, docs: int) -> Path:
    return OUT / f"index-{kind}-n{docs}"


def record(section: str, key: str, value: dict) -> None:
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.setdefault(section, {})[key] = value
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def _documents(corpus: Path):
    from search.documents import Document

    for d in corpus_mod.iter_corpus(corpus):
        yield Document(id=d["id"], title=d["title"], text=d["text"], lang=d.get("lang"))


def build_one(corpus: Path, docs: int, workers: int, shards: int) -> dict:
    """One build, in this (fresh) process: workers == 0 is the unsharded build."""
    kind = "one" if workers == 0 else f"shards{shards}-w{workers}"
    target = index_dir(kind, docs)
    shutil.rmtree(target, ignore_errors=True)
    out = {"kind": kind, "docs": docs, "workers": workers, "shards": shards if workers else 0}
    if workers == 0:
        from search.indexer import Indexer

        t0 = time.perf_counter()
        Indexer(target).add_documents(_documents(corpus))
        out["seconds"] = time.perf_counter() - t0
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        out["cpu_seconds"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    else:
        from search import cluster, shard_build

        t0 = time.perf_counter()
        with cluster.client(workers=workers) as client:
            out["cluster_start_seconds"] = time.perf_counter() - t0
            before_workers = client.run(time.process_time)
            own0 = resource.getrusage(resource.RUSAGE_SELF)
            t1 = time.perf_counter()
            shard_build.build(target, documents=_documents(corpus), shards_wanted=shards, client=client)
            out["seconds"] = time.perf_counter() - t1
            own1 = resource.getrusage(resource.RUSAGE_SELF)
            after_workers = client.run(time.process_time)
        worker_cpu = sum(after_workers[w] - before_workers.get(w, 0.0) for w in after_workers)
        out["coordinator_cpu_seconds"] = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
        out["worker_cpu_seconds"] = worker_cpu
        out["cpu_seconds"] = out["coordinator_cpu_seconds"] + worker_cpu
    out["docs_per_s"] = docs / out["seconds"]
    out["cpu_ms_per_doc"] = 1000 * out["cpu_seconds"] / docs
    out["index_bytes"] = dir_bytes(target)
    return out


def cmd_build(args) -> None:
    corpus = corpus_mod.corpus_file(DATA, ROOT / "bench" / "out", args.docs)
    workers = 0 if args.unsharded else args.workers
    log(f"build n={args.docs} workers={workers or 'unsharded'} (fresh process)")
    proc = subprocess.run([sys.executable, __file__, "build-one", str(corpus), str(args.docs), str(workers),
                           str(args.shards)], stdout=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"build failed (exit {proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    record("build", f"{result['kind']}-n{args.docs}", result)
    log(f"  {result['seconds']:.0f} s, {result['docs_per_s']:.0f} docs/s, {result['cpu_ms_per_doc']:.2f} CPU ms/doc")


def cmd_prepare(args) -> None:
    """The indexes `query` reads, built untimed (run it with nice, outside the bench lock)."""
    corpus = corpus_mod.corpus_file(DATA, ROOT / "bench" / "out", args.docs)
    for workers in (0, 2):
        log(f"prepare n={args.docs} workers={workers or 'unsharded'} (untimed)")
        proc = subprocess.run([sys.executable, __file__, "build-one", str(corpus), str(args.docs), str(workers),
                               str(args.shards)], stdout=subprocess.PIPE, text=True)
        if proc.returncode:
            raise SystemExit(f"build failed (exit {proc.returncode})")


def cmd_query(args) -> None:
    from search import cluster
    from search.engine import Engine
    from search.request import SearchRequest

    queries = [q.text for q in corpus_mod.load_queries(DATA, args.queries)]
    one = None if args.sharded_only else Path(args.one) if args.one else index_dir("one", args.docs)
    sharded = _sharded(args)
    for d in (one, sharded):
        if d is not None and not d.exists():
            raise SystemExit(f"no {d}: run `bench/scale.py build` for it first")
    with cluster.client(workers=2) as client:
        engines = {"one index": Engine(one)} if one else {}
        engines.update({f"{args.shards} shards, in process": Engine(sharded),
                        f"{args.shards} shards, on 2 Dask workers": Engine(sharded, scheduler=client.scheduler.address)})
        for name, engine in engines.items():
            log(f"warm-up: {name}")
            engine.warm_up()
            for q in queries:
                engine.search(SearchRequest(q=q, per_page=10, snippets=True, mode="lexical"))
        lat: dict[str, list[float]] = {name: [] for name in engines}
        partial = dict.fromkeys(engines, 0)
        for r in range(args.runs):
            for q in queries:  # interleaved: a noisy second hits every engine alike
                for name, engine in engines.items():
                    t0 = time.perf_counter()
                    res = engine.search(SearchRequest(q=q, per_page=10, snippets=True, mode="lexical"))
                    lat[name].append((time.perf_counter() - t0) * 1000)
                    partial[name] += bool(res.shards_failed)
            log(f"query run {r + 1}/{args.runs} done")
        # Memory after the run: this process holds all three engines; each worker its shards' searchers.
        memory = {"this process": _memory(), "dask workers": list(client.run(_memory).values())}
        engines[f"{args.shards} shards, on 2 Dask workers"].fanout.close()
    record("memory", f"query n={args.docs}", memory)
    log(f"  memory: this process {memory['this process']}, workers {memory['dask workers']}")
    for name, values in lat.items():
        record("query", f"{name} n={args.docs}", {**percentiles(values), "queries": len(values),
                                                  "partial": partial[name]})
        p = percentiles(values)
        log(f"  {name}: p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms")


def _sharded(args) -> Path:
    return Path(args.sharded) if args.sharded else index_dir(f"shards{args.shards}-w2", args.docs)


def cmd_serve(args) -> None:
    """The real server over the sharded index: every query once (cold), then --clients for
    --seconds; latency over HTTP with snippets and the memory of all its processes."""
    from urllib.parse import urlencode

    from bench import http_load

    sharded = _sharded(args)
    if not sharded.exists():
        raise SystemExit(f"no {sharded}: run `bench/scale.py build` for it first")
    queries = [q.text for q in corpus_mod.load_queries(DATA, args.queries)]
    paths = ["/search?" + urlencode({"q": q, "per_page": 10, "mode": "lexical"}) for q in queries]
    log(f"serve: lintas serve {sharded}")
    server = http_load.serve(sharded, ready_timeout=900.0)
    try:
        first = http_load.run_load(server.port, paths, 1, duration=None, max_requests=len(paths))
        cpu0 = http_load.tree_cpu_seconds(server.proc.pid)
        load = http_load.run_load(server.port, paths, args.clients, duration=args.seconds)
        cpu = http_load.tree_cpu_seconds(server.proc.pid) - cpu0
        memory = http_load.memory_kb(server)
        # What the workers keep between bursts (search/sidecar.py drops mapped pages a
        # second after the last search touched them), as bench/perf.py reads it.
        time.sleep(REST_S)
        rest = http_load.memory_kb(server)
    finally:
        server.stop()
    out = {"docs": args.docs, "shards": args.shards, "ready_s": round(server.ready_seconds, 1),
           "warm_s": round(server.warm_seconds, 1),
           "first_pass": {**percentiles(first.latencies_ms), "errors": first.errors},
           "load": {**percentiles(load.latencies_ms), "clients": args.clients, "req_per_s": round(load.rps, 1),
                    "errors": load.errors, "cpu_ms_per_request": round(1000 * cpu / max(load.requests, 1), 2)},
           "rss_mb": round(memory["vmrss_kb"] / 1024, 1), "rss_max_mb": round(memory["rss_max_kb"] / 1024, 1),
           "pss_mb": round(memory["pss_kb"] / 1024, 1) if memory["pss_kb"] is not None else None,
           # Of that RSS, what the processes own (heap, arrays) and what is the index's
           # page cache, mapped: the kernel reclaims the latter under memory pressure.
           "rss_anon_mb": round(memory["rssanon_kb"] / 1024, 1),
           "rss_anon_max_mb": round(memory["rssanon_max_kb"] / 1024, 1),
           "rss_file_mb": round(memory["rssfile_kb"] / 1024, 1),
           "rss_rest_mb": round(rest["vmrss_kb"] / 1024, 1),
           "rss_anon_rest_mb": round(rest["rssanon_kb"] / 1024, 1),
           "pss_rest_mb": round(rest["pss_kb"] / 1024, 1) if rest["pss_kb"] is not None else None,
           "processes": memory["processes"]}
    record("serve", f"shards{args.shards} n={args.docs}", out)
    log(f"  ready in {out['ready_s']} s; first pass p50 {out['first_pass']['p50']:.1f} / p99 "
        f"{out['first_pass']['p99']:.1f} ms; {args.clients} clients {out['load']['req_per_s']} req/s, p50 "
        f"{out['load']['p50']:.1f} / p99 {out['load']['p99']:.1f} ms, {load.errors} errors; RSS {out['rss_mb']} MB "
        f"over {out['processes']} processes (largest {out['rss_max_mb']}), PSS {out['pss_mb']} MB, "
        f"anonymous {out['rss_anon_mb']} MB (largest {out['rss_anon_max_mb']}), mapped files {out['rss_file_mb']} MB; "
        f"{REST_S:g} s later, at rest: RSS {out['rss_rest_mb']} MB, PSS {out['pss_rest_mb']} MB")


def _memory() -> dict:
    """RSS and PSS (the process's share of pages it shares, e.g. the index's page cache) in MB."""
    out = {}
    with suppress(OSError):  # no /proc here: the figure is left out
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    out[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return out


def cmd_report(_args) -> None:
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    builds = results.get("build", {})
    base = {b["docs"]: b for b in builds.values() if b["workers"] == 0}
    one_worker = {b["docs"]: b for b in builds.values() if b["workers"] == 1}
    print(f"{'build':<28} {'docs':>8} {'s':>7} {'docs/s':>7} {'CPU ms/doc':>10} {'vs 1 worker':>11} "
          f"{'CPU vs one index':>16} {'MB':>7}")
    for key, b in sorted(builds.items()):
        w1 = one_worker.get(b["docs"])
        b0 = base.get(b["docs"])
        speed = f"{b['docs_per_s'] / w1['docs_per_s']:.2f}x" if w1 and b["workers"] else ""
        cpu = f"{b['cpu_ms_per_doc'] / b0['cpu_ms_per_doc']:.2f}x" if b0 else ""
        print(f"{key:<28} {b['docs']:>8} {b['seconds']:>7.0f} {b['docs_per_s']:>7.0f} {b['cpu_ms_per_doc']:>10.2f} "
              f"{speed:>11} {cpu:>16} {b['index_bytes'] / 1e6:>7.0f}")
    print()
    print(f"{'query (top 10, snippets)':<44} {'n':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'partial':>7}")
    for key, q in sorted(results.get("query", {}).items()):
        print(f"{key:<44} {q['queries']:>6} {q['p50']:>7.1f} {q['p95']:>7.1f} {q['p99']:>7.1f} {q['partial']:>7}")
    serves = results.get("serve", {})
    if serves:
        print()
        print(f"{'lintas serve (HTTP, snippets)':<28} {'clients':>7} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'errors':>6} {'RSS MB':>7} {'PSS MB':>7}")
        for key, v in sorted(serves.items()):
            ld = v["load"]
            print(f"{key:<28} {ld['clients']:>7} {ld['req_per_s']:>6.0f} {ld['p50']:>7.1f} {ld['p99']:>7.1f} "
                  f"{ld['errors']:>6} {v['rss_mb']:>7.0f} {v['pss_mb'] or 0:>7.0f}")


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "build-one":
        corpus, docs, workers, shards = argv[1:5]
        print(json.dumps(build_one(Path(corpus), int(docs), int(workers), int(shards))), flush=True)
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="one build, timed, in a fresh process")
    b.add_argument("--docs", type=int, default=100_000)
    b.add_argument("--workers", type=int, default=2, help="Dask workers of the local cluster")
    b.add_argument("--shards", type=int, default=SHARDS)
    b.add_argument("--unsharded", action="store_true", help="today's build of one index instead")
    q = sub.add_parser("query", help="latency with snippets: one index vs the same documents in shards")
    q.add_argument("--docs", type=int, default=100_000)
    q.add_argument("--shards", type=int, default=SHARDS)
    q.add_argument("--queries", type=int, default=200)
    q.add_argument("--runs", type=int, default=2)
    q.add_argument("--one", help="the one index to compare (default: the one `build --unsharded` made)")
    q.add_argument("--sharded", help="the sharded index (default: the one `build --workers 2` made)")
    q.add_argument("--sharded-only", action="store_true", help="no one index to compare (e.g. at 1M)")
    v = sub.add_parser("serve", help="`lintas serve` over the sharded index: HTTP latency and server memory")
    v.add_argument("--docs", type=int, default=100_000)
    v.add_argument("--shards", type=int, default=SHARDS)
    v.add_argument("--sharded", help="the sharded index (default: the one `build --workers 2` made)")
    v.add_argument("--queries", type=int, default=200)
    v.add_argument("--clients", type=int, default=8)
    v.add_argument("--seconds", type=float, default=30.0)
    r = sub.add_parser("prepare", help="build the indexes `query` reads, untimed")
    r.add_argument("--docs", type=int, default=100_000)
    r.add_argument("--shards", type=int, default=SHARDS)
    sub.add_parser("report", help="print the table of results.json")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    {"build": cmd_build, "query": cmd_query, "serve": cmd_serve, "prepare": cmd_prepare,
     "report": cmd_report}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
