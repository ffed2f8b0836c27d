"""cProfile of the slowest bench queries, in process, with snippets.

    .venv/bin/python bench/profile_queries.py bench/out/index/lintas-n100000-s20240630 --slowest 20

Every query of queries.jsonl runs once to warm up, once timed; the `--slowest`
ones then run `--repeat` times each under cProfile, and the functions with the
most own time are printed, with the timed run's latencies (ms) per kind.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import corpus as corpus_mod  # noqa: E402
from bench.perf import percentiles  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("index")
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "bench"))
    p.add_argument("--slowest", type=int, default=20)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--top", type=int, default=25, help="functions to print")
    args = p.parse_args(argv)

    from search.engine import Engine
    from search.request import SearchRequest

    engine = Engine(args.index)
    queries = corpus_mod.load_queries(Path(args.data))

    def run(text):
        return engine.search(SearchRequest(q=text, per_page=10, snippets=True))

    for q in queries:
        run(q.text)
    timed = []
    for q in queries:
        t0 = time.perf_counter()
        run(q.text)
        timed.append(((time.perf_counter() - t0) * 1000, q))
    for kind in sorted({q.kind for q in queries}):
        pc = percentiles([ms for ms, q in timed if q.kind == kind])
        print(f"{kind:7s} p50 {pc['p50']:.2f}  p99 {pc['p99']:.2f}  mean {pc['mean']:.2f} ms")
    slow = sorted(timed, key=lambda t: -t[0])[:args.slowest]
    print(f"slowest {len(slow)}: " + "; ".join(f"{q.text} {ms:.1f}" for ms, q in slow))
    prof = cProfile.Profile()
    cpu0 = time.process_time()
    prof.enable()
    for _ms, q in slow:
        for _ in range(args.repeat):
            run(q.text)
    prof.disable()
    cpu = (time.process_time() - cpu0) * 1000 / (len(slow) * args.repeat)
    print(f"profiled: {len(slow)} queries x {args.repeat}, {cpu:.1f} CPU ms a query under the profiler")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
