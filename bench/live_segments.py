"""What a live index's small segments cost: every query, and the merge that folds them.

    python bench/live_segments.py [--base 10000] [--batch 50] [--steps 0,8,16,24]

On a copy of bench/ingest_load.py's cached base index, batches of unseen bench articles
are committed by the server's writer (one small segment each, no merge), and at each
step of --steps small segments every bench query is run twice with snippets in this
process (after a pass that opens what it needs): CPU ms a query. Then the small
segments are merged as the writer's background merge does (search/merging.py): CPU
ms a document. Session 10: 2.16 / 2.59 / 3.12 / 3.58 CPU ms a query at 0 / 8 / 16 / 24
segments of 50, and 5.6 CPU ms a merged document. Session 11, the small segments searched
as one (search/segment_group.py): 2.06 / 1.73 / 2.01 / 2.03, and 6.3-7.9 (a noisier machine).
CPU by time.process_time; read ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import load_queries  # noqa: E402
from bench.ingest_load import DATA, base_index  # noqa: E402
from search import merging, storage, writer  # noqa: E402
from search.documents import Document  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.queue import Op, WriteQueue  # noqa: E402
from search.request import SearchRequest  # noqa: E402


def query_ms(index_dir: Path, queries: list[str]) -> float:
    engine = Engine(index_dir)
    for q in queries:
        engine.search(SearchRequest(q=q, per_page=10, snippets=True))
    t = time.process_time()
    for _ in range(2):
        for q in queries:
            engine.search(SearchRequest(q=q, per_page=10, snippets=True))
    return (time.process_time() - t) * 1000 / (2 * len(queries))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=50, help="documents per small segment")
    ap.add_argument("--steps", default="0,8,16,24", help="small segments at which to time queries")
    args = ap.parse_args(argv)
    from bench.corpus import load_news

    steps = sorted({int(s) for s in args.steps.split(",")})
    news = load_news(DATA)
    random.Random(15).shuffle(news)  # bench/ingest_load.py's order: the base is news[:base]
    queries = [q.text for q in load_queries(DATA, None)]
    work = Path(tempfile.mkdtemp(prefix="live-segments-"))
    try:
        index_dir = work / "index"
        shutil.copytree(base_index(argparse.Namespace(base=args.base, synthetic=False), news[:args.base]),
                        index_dir)
        fresh = iter(news[args.base:])
        live = writer.IndexWriter(index_dir, background_merges=True)
        live.max_segments = 10**6  # no merge while the steps are timed
        live.start()
        out = {"base": args.base, "batch": args.batch, "query_cpu_ms": {}}
        made = 0
        for step in steps:
            while made < step:
                docs = [next(fresh) for _ in range(args.batch)]
                WriteQueue(index_dir).enqueue([Op("put", d["id"], Document(
                    id=d["id"], title=d.get("title", ""), text=d.get("text", ""), lang=d.get("lang")))
                    for d in docs])
                live.apply_batch()
                made += 1
            out["query_cpu_ms"][step] = round(query_ms(index_dir, queries), 2)
            print(f"{step} small segments: {out['query_cpu_ms'][step]} CPU ms a query", file=sys.stderr)
        live.close()
        ix = storage.open_index(index_dir)
        small = [s for s in ix._segments() if s.doc_count_all() < writer.SMALL_SEGMENT_DOCS]
        if small:
            t = time.process_time()
            merging.merge(index_dir, ix.schema, small)
            docs = sum(s.doc_count_all() for s in small)
            out["merge_cpu_ms_per_doc"] = round((time.process_time() - t) * 1000 / docs, 2)
            print(f"merging {len(small)} segments ({docs} documents): {out['merge_cpu_ms_per_doc']} CPU ms "
                  "a document", file=sys.stderr)
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
