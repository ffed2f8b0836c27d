"""CPU per document of the HTTP writer's commits (search/writer.py), and what a searcher pays
for each new generation's cross-script key tables (search/xtables.py).

    python bench/writer_cost.py [--batches 12] [--batch 50]

On a copy of bench/ingest_load.py's cached base index (built there, or by this script with
`lintas index`), batches of unseen bench articles go through the write queue and
`IndexWriter.apply_batch`, one commit each, as `lintas serve` does under a write stream.
Two writers alternate batch by batch on the same index: near-duplicate labels from the
in-memory band table of the small segments (`bands`, what the writer does) and through
every segment's reader (`reader`, as before). After each commit the key tables of the
new generation are loaded as a searcher would (layers: only the new segment is read).
CPU seconds by time.process_time; the machine is shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest_load import DATA, base_index  # noqa: E402
from search import dedup, storage, xtables  # noqa: E402
from search.documents import Document  # noqa: E402
from search.queue import Op, WriteQueue  # noqa: E402
from search.writer import IndexWriter  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=int, default=10_000)
    ap.add_argument("--batches", type=int, default=12, help="batches per writer kind")
    ap.add_argument("--batch", type=int, default=50, help="documents per batch (one commit)")
    args = ap.parse_args(argv)
    from bench.corpus import load_news

    news = load_news(DATA)
    rng = random.Random(15)
    rng.shuffle(news)  # the same order as bench/ingest_load.py: the base is news[:base]
    ns = argparse.Namespace(base=args.base, synthetic=False)
    work = Path(tempfile.mkdtemp(prefix="writer-cost-"))
    try:
        index_dir = work / "index"
        shutil.copytree(base_index(ns, news[:args.base]), index_dir)
        fresh = iter(news[args.base:])
        banded, plain = IndexWriter(index_dir), IndexWriter(index_dir)
        plain._bands = dedup.BandTable(small_docs=0)  # covers no segment: every key read from disk
        ms = {"bands": [], "reader": []}
        tables_ms = []
        for i in range(2 * args.batches):
            kind, writer = ("bands", banded) if i % 2 == 0 else ("reader", plain)
            docs = [next(fresh) for _ in range(args.batch)]
            WriteQueue(index_dir).enqueue([Op("put", d["id"], Document(
                id=d["id"], title=d.get("title", ""), text=d.get("text", ""), lang=d.get("lang")))
                for d in docs])
            t = time.process_time()
            writer.apply_batch()
            ms[kind].append((time.process_time() - t) * 1000 / args.batch)
            ix = storage.open_index(index_dir)
            with ix.reader() as reader:
                t = time.process_time()
                tables = xtables.load(index_dir, reader)
                tables_ms.append((time.process_time() - t) * 1000)
            print(f"batch {i + 1} ({kind}): {ms[kind][-1]:.1f} CPU ms/doc; key tables "
                  f"{tables_ms[-1]:.0f} CPU ms ({len(tables.layers)} layers)", file=sys.stderr)
        out = {"base": args.base, "batch": args.batch,
               "cpu_ms_per_doc_bands": statistics.median(ms["bands"]),
               "cpu_ms_per_doc_reader": statistics.median(ms["reader"]),
               "tables_cpu_ms_per_generation_p50": statistics.median(tables_ms),
               "tables_cpu_ms_per_generation_max": max(tables_ms), "runs": ms}
        out["ratio"] = out["cpu_ms_per_doc_bands"] / out["cpu_ms_per_doc_reader"]
        print(json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
