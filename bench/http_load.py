"""A bounded HTTP load client, and starting/stopping `lintas serve` for it.

Stdlib only: N threads, each with its own keep-alive `http.client` connection,
cycle through a list of paths until a deadline or a request budget runs out.
An error is any non-200 status or any exception (the connection is then
reopened, so one failure doesn't end a client). Loopback only.

The client's threads share the GIL with each other (not with the server, which
is another process), so at 32 clients on 2 cores the numbers include client
overhead: compare runs against each other, not against a C load generator.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.serving import HOST, LintasServer


@dataclass
class LoadResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    first_error: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(
    port: int,
    paths: list[str],
    clients: int,
    duration: float | None = 5.0,
    max_requests: int | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """Hit `paths` round-robin with `clients` keep-alive connections.

    Stops at `duration` seconds or `max_requests` requests in total, whichever
    comes first; at least one of them must be given, so a run is always bounded.
    """
    if duration is None and max_requests is None:
        raise ValueError("give a duration or a request budget: an unbounded load run never ends")
    deadline = time.perf_counter() + duration if duration is not None else float("inf")
    budget = [max_requests if max_requests is not None else float("inf")]
    lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        n = i  # each client starts at its own offset into the query list
        try:
            while time.perf_counter() < deadline and take():
                path = paths[n % len(paths)]
                n += clients
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                    if not ok:
                        msg = f"HTTP {resp.status} for {path}"
                except Exception as ex:  # an error to count, not to crash on
                    ok, msg = False, f"{type(ex).__name__}: {ex} for {path}"
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
                latencies[i].append((time.perf_counter() - t0) * 1000)
                if not ok:
                    errors[i] += 1
                    with lock:
                        if not first_error:
                            first_error.append(msg)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    flat = [x for lat in latencies for x in lat]
    return LoadResult(clients, len(flat), sum(errors), seconds, flat, first_error[0] if first_error else None)


def proc_memory_kb(pid: int) -> dict:
    """VmRSS and VmHWM of a running process, and RssAnon / RssFile / RssShmem (what of
    its RSS is its own memory, and what is page cache of mapped files the kernel may
    drop at will: the index), from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[key.lower() + "_kb"] = int(value.split()[0])
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (a gunicorn master and its workers), parents first."""
    tree, i = [pid], 0
    while i < len(tree):
        tree += _children(tree[i])
        i += 1
    return tree


def _children(pid: int) -> list[int]:
    try:  # needs CONFIG_PROC_CHILDREN, which every common kernel has
        return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                for c in (task / "children").read_text().split()]
    except FileNotFoundError:
        return _children_by_scan(pid)


def _children_by_scan(pid: int) -> list[int]:
    """The slow way: every process whose parent is `pid`."""
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                kids.append(int(d.name))
    return kids


def tree_memory_kb(pid: int) -> dict:
    """Memory of a server and all its processes, from /proc.

    vmrss_kb / vmhwm_kb: sums over the processes (pages shared after fork count
    once per process, so this over-states what the machine gives up);
    rss_max_kb: the largest single process; pss_kb: proportional set size summed,
    each shared page split between its sharers (None where smaps_rollup is missing).
    """
    procs = []
    for p in process_tree(pid):
        try:
            m = proc_memory_kb(p)
            m["pss_kb"] = _pss_kb(p)
        except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
            continue
        procs.append(m)
    pss = [m["pss_kb"] for m in procs]
    return {
        "vmrss_kb": sum(m.get("vmrss_kb", 0) for m in procs),
        "vmhwm_kb": sum(m.get("vmhwm_kb", 0) for m in procs),
        "rss_max_kb": max((m.get("vmrss_kb", 0) for m in procs), default=0),
        "rssanon_kb": sum(m.get("rssanon_kb", 0) for m in procs),
        "rssfile_kb": sum(m.get("rssfile_kb", 0) + m.get("rssshmem_kb", 0) for m in procs),
        "rssanon_max_kb": max((m.get("rssanon_kb", 0) for m in procs), default=0),
        "pss_kb": None if None in pss else sum(pss),
        "processes": len(procs),
    }


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by `pid` and its live descendants."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except PermissionError:
        return None
    except FileNotFoundError:
        if Path(f"/proc/{pid}").exists():
            return None  # kernel before 4.14
        raise
    return None


def serve(index: str | Path, workers: int | None = None, threads: int | None = None,
          ready_timeout: float = 180.0) -> LintasServer:
    """`lintas serve` on a free port (bench/serving.py), once its engine answers /health
    and its workers say they are warm; `ready_seconds` and `warm_seconds` say when."""
    server = LintasServer(index, workers=workers, threads=threads)
    try:
        server.wait_ready(timeout=ready_timeout, warm=True)
    except (RuntimeError, TimeoutError):
        server.stop()
        raise
    return server


def memory_kb(server: LintasServer) -> dict:
    """tree_memory_kb() of the server: the process started and its workers."""
    return tree_memory_kb(server.proc.pid)


# ---- `python -m bench.http_load`: serve configurations compared back to back ------


def main(argv=None) -> int:
    """Start `lintas serve` once per --workers value on one index and load each in turn.

    The configurations alternate within one invocation (round 1: 1, 2; round 2:
    1, 2; ...), so a noisy minute on a shared machine hits them alike.
    """
    import argparse
    import sys
    from urllib.parse import urlencode

    from bench import corpus as corpus_mod
    from bench.perf import ROOT, median, percentiles, table

    p = argparse.ArgumentParser(description=main.__doc__.split("\n\n")[0])
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    p.add_argument("--index", required=True, help="a Lintas index (bench/perf.py builds them under bench/out/index)")
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "bench"), help="folder with queries.jsonl")
    p.add_argument("--queries", type=int, default=None, help="a balanced slice of N queries")
    p.add_argument("--workers", type=ints, default=[1, 2], help="--workers values to compare")
    p.add_argument("--threads", type=int, default=None, help="--threads for lintas serve")
    p.add_argument("--clients", type=ints, default=[1, 8, 32])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per client level")
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args(argv)

    paths = ["/search?" + urlencode({"q": q.text, "per_page": 10})
             for q in corpus_mod.load_queries(Path(args.data), args.queries)]
    runs: dict[int, dict] = {w: {"levels": {c: [] for c in args.clients}, "mem": []} for w in args.workers}
    for r in range(args.rounds):
        for w in args.workers:
            with serve(args.index, workers=w, threads=args.threads) as server:
                print(f"round {r + 1}: --workers {w} up in {server.ready_seconds:.1f} s", file=sys.stderr)
                port = server.port
                start_mem = memory_kb(server)
                run_load(port, paths, 2, duration=3 * args.duration, max_requests=len(paths))  # warm-up
                for c in args.clients:
                    cpu0 = tree_cpu_seconds(server.proc.pid)
                    lr = run_load(port, paths, c, duration=args.duration)
                    cpu = tree_cpu_seconds(server.proc.pid) - cpu0
                    runs[w]["levels"][c].append({"rps": lr.rps, "requests": lr.requests, "errors": lr.errors,
                                                 "first_error": lr.first_error, **percentiles(lr.latencies_ms),
                                                 "cores": cpu / lr.seconds,
                                                 "cpu_ms": 1000 * cpu / lr.requests if lr.requests else None})
                    print(f"  {c} clients: {lr.rps:.0f} req/s, {lr.errors} errors", file=sys.stderr)
                runs[w]["mem"].append((start_mem, memory_kb(server)))
    rows, notes = [], []
    for w, res in runs.items():
        for c, lv in res["levels"].items():
            rows.append([w, c, *(median([x[k] for x in lv]) for k in ("rps", "p50", "p95", "p99", "cores", "cpu_ms")),
                         sum(x["requests"] for x in lv), sum(x["errors"] for x in lv)])
            notes += [f"  first error, --workers {w} at {c} clients: {x['first_error']}" for x in lv[:1] if x["first_error"]]
        start, served = res["mem"][-1]
        pss = f", PSS {served['pss_kb'] / 1024:.0f} MB" if served["pss_kb"] else ""
        notes.append(f"  --workers {w}: RSS {start['vmrss_kb'] / 1024:.0f} MB after start-up, "
                     f"{served['vmrss_kb'] / 1024:.0f} MB after serving, summed over {served['processes']} process(es); "
                     f"largest {served['rss_max_kb'] / 1024:.0f} MB{pss}")
    print(f"HTTP /search on {args.index}: {len(paths)} queries, {args.duration:g} s per level, "
          f"{args.rounds} round(s), medians; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(table(["workers", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "server cores", "CPU ms/req",
                 "requests", "errors"], rows))
    print("  server cores: CPU seconds the server's processes got per second of load; on a shared machine\n"
          "  that, not --workers, can be the ceiling (req/s ~ cores / CPU ms per request)")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
