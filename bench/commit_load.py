"""What the writer's commits alone cost /search: no posts over HTTP, no prober.

    python bench/commit_load.py [--base 10000] [--rate 50] [--seconds 20] [--clients 4]

bench/ingest_load.py measures the whole write path (POSTs, the writer, a prober asking
for each posted document). This one takes those apart: on a copy of its cached base
index, `lintas serve` answers 4 saturating search clients while another process puts
--rate documents a second straight into the write queue (search/queue.py); the
server's own writer commits them as it does posted ones (a commit about every second,
background merges). Phases: no commits, commits, no commits again (the segments the
commits left), then the same on a freshly started server (worker caches empty). Each
phase: req/s and the search workers' CPU per request. Session 11: 547 -> 427 req/s
(78 %) under commits, 3.29 -> 3.53 CPU ms a request; 3.58 after; 3.63 on a fresh server.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import http_load  # noqa: E402
from bench.ingest_load import DATA, base_index, cpu_split, log  # noqa: E402

FEEDER = """
import json, sys, time
sys.path.insert(0, {repo!r})
from search.documents import Document
from search.queue import Op, WriteQueue
queue = WriteQueue({index!r})
docs = [json.loads(line) for line in open({docs!r}, encoding="utf-8")]
rate, start, n = {rate}, time.time(), 0
while n < len(docs):
    due = start + n / rate
    time.sleep(max(0.0, due - time.time()))
    chunk = docs[n:n + max(1, rate // 10)]  # ten enqueues a second, as posts would come
    queue.enqueue([Op("put", d["id"], Document(id=d["id"], title=d.get("title", ""),
                   text=d.get("text", ""), lang=d.get("lang"))) for d in chunk])
    n += len(chunk)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=int, default=10_000, help="documents in the index before the stream")
    ap.add_argument("--rate", type=int, default=50, help="documents per second put in the queue")
    ap.add_argument("--seconds", type=int, default=20, help="length of each phase")
    ap.add_argument("--clients", type=int, default=4, help="search clients (keep-alive connections)")
    args = ap.parse_args(argv)
    from bench.corpus import load_news, load_queries

    news = load_news(DATA)
    random.Random(15).shuffle(news)  # bench/ingest_load.py's order: the base is news[:base]
    paths = [f"/search?q={quote(q.text)}" for q in load_queries(DATA, limit=200)]
    work = Path(tempfile.mkdtemp(prefix="commit-load-"))
    out: dict = {"base": args.base, "rate": args.rate, "seconds": args.seconds, "clients": args.clients,
                 "phases": {}}
    server = feeder = None
    try:
        index = work / "index"
        shutil.copytree(base_index(argparse.Namespace(base=args.base, synthetic=False), news[:args.base]), index)
        stream = work / "stream.jsonl"
        need = args.rate * (args.seconds + 10)
        with open(stream, "w", encoding="utf-8") as fh:
            for d in news[args.base:args.base + need]:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")

        def phase(name: str) -> None:
            c0 = cpu_split(server.proc.pid)
            lr = http_load.run_load(server.port, paths, args.clients, duration=args.seconds)
            c1 = cpu_split(server.proc.pid)
            out["phases"][name] = {"search_rps": round(lr.rps, 1), "errors": lr.errors,
                                   "search_cpu_ms_per_request": round(
                                       1000 * (c1["search"] - c0["search"]) / max(lr.requests, 1), 2),
                                   "writer_cpu_s": round(c1["writer"] - c0["writer"], 2)}
            log(f"{name}: {out['phases'][name]}")

        server = http_load.serve(index)
        http_load.run_load(server.port, paths, 2, duration=10, max_requests=len(paths))  # warm-up
        phase("idle")
        feeder = subprocess.Popen([sys.executable, "-c", FEEDER.format(
            repo=str(REPO), index=str(index), docs=str(stream), rate=args.rate)])
        time.sleep(5)  # the writer's first commits, before the phase is timed
        phase("commits")
        feeder.kill()
        feeder.wait()
        time.sleep(10)  # the queue drained
        phase("after")
        server.stop(signal.SIGTERM)
        server = http_load.serve(index)
        http_load.run_load(server.port, paths, 2, duration=10, max_requests=len(paths))
        phase("fresh server")
        p = out["phases"]
        out["commits_vs_idle"] = round(p["commits"]["search_rps"] / max(p["idle"]["search_rps"], 1e-9), 3)
        print(json.dumps(out, indent=2))
        log(f"/search under commits alone: {100 * out['commits_vs_idle']:.0f} % of idle; CPU ms a request "
            + ", ".join(f"{k} {v['search_cpu_ms_per_request']}" for k, v in p.items()))
    finally:
        if feeder is not None and feeder.poll() is None:
            feeder.kill()
        if server is not None:
            server.stop(signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
