"""/suggest latency: completions of typed prefixes at 100k documents, in CPU ms.

    .venv/bin/python bench/suggest.py                 # 100k (builds and caches the index once)
    .venv/bin/python bench/suggest.py --size 10000
    .venv/bin/python bench/suggest.py --words-only    # index the `words` field alone (minutes, not an hour)

The prefixes are those a person types on the way to each bench query word (2 to
8 characters, both languages). Each is completed by Lintas (search/completions.py:
a sorted table of the `words` field, read once per index generation) and, beside it
in the same process, by the plain Whoosh way: expand the prefix in the term
dictionary and read each term's document frequency. Reported: CPU ms per
completion (median, p90, p99), the one-off table build, and the ratio to Whoosh's
way. The machine is shared: read the ratio.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzers.words import fold_prefix  # noqa: E402
from bench import corpus as corpus_mod  # noqa: E402
from bench import perf  # noqa: E402
from search import completions  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.request import SearchRequest  # noqa: E402


def prefixes(queries, limit: int) -> list[str]:
    out = []
    for q in queries:
        for term in q.terms:
            word = fold_prefix(term.split()[0])
            out.extend(word[:n] for n in range(2, min(len(word), 8) + 1))
    return list(dict.fromkeys(out))[:limit]


def whoosh_way(reader, prefix: str, limit: int = 8) -> list[tuple[int, str]]:
    found = ((reader.doc_frequency("words", t), t.decode()) for t in reader.expand_prefix("words", prefix))
    return heapq.nlargest(limit, found)


def cpu_ms(fn, *args) -> tuple[float, object]:
    start = time.process_time()
    result = fn(*args)
    return (time.process_time() - start) * 1000, result


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def words_only_index(bench, size: int) -> Path:
    """An index of the corpus with only the fields completions read (id, words).

    The completion table is the `words` field's terms and document frequencies, the
    same in this index as in the full one; building it skips Hazm and Sastrawi.
    """
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    from search.schema import WORDS

    path = Path(bench.args.out) / "index" / f"words-n{size}-s{bench.args.seed}"
    if whoosh_index.exists_in(str(path)):
        return path
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), Schema(id=ID(stored=True, unique=True), words=WORDS()))
    writer = ix.writer(limitmb=512)
    for doc in corpus_mod.iter_corpus(bench.corpus(size)):
        writer.add_document(id=doc["id"], words=f"{doc.get('title', '')}\n{doc['text']}")
    writer.commit()
    return path


class _WordsEngine:
    """Engine.complete over a words-only index (what Engine.complete runs, minus the pool)."""

    def __init__(self, path: Path):
        from whoosh import index as whoosh_index

        self._searcher = whoosh_index.open_dir(str(path)).searcher()

    def complete(self, text: str, limit: int = 8):
        return completions.complete(self._searcher.reader(), text, limit)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--prefixes", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the prefixes; the median per prefix is kept")
    ap.add_argument("--words-only", action="store_true", help="index only the words field of the corpus")
    args = ap.parse_args(argv)
    bench = perf.Bench(perf.parse_args(["--sizes", str(args.size), "--engines", "lintas"]))
    if args.words_only:
        engine = _WordsEngine(words_only_index(bench, args.size))
        reader = engine._searcher.reader()
    else:
        engine = Engine(bench.ensure_index("lintas", args.size))
        reader = engine.searchers.searcher().reader()
    words = prefixes(corpus_mod.load_queries(Path(bench.args.data)), args.prefixes)
    build_ms, table = cpu_ms(completions.table, reader)
    ours, theirs, agree = {p: [] for p in words}, {p: [] for p in words}, 0
    for _ in range(args.repeat):
        for p in words:
            ms, got = cpu_ms(engine.complete, p, 8)
            ours[p].append(ms)
            ms, peer = cpu_ms(whoosh_way, reader, p)
            theirs[p].append(ms)
    for p in words:
        got = [(c.documents, c.word) for c in engine.complete(p, 8)]
        peer = whoosh_way(reader, p)
        agree += sorted(got) == sorted(peer) or [n for n, _ in sorted(got)] == [n for n, _ in sorted(peer)]
    ours_ms = [statistics.median(v) for v in ours.values()]
    theirs_ms = [statistics.median(v) for v in theirs.values()]
    by_len = {}
    for p, ms in zip(words, ours_ms):
        by_len.setdefault(min(len(p), 5), []).append(ms)
    kind = "words-only index" if args.words_only else "full index"
    print(f"suggest at {args.size} documents ({reader.doc_count()} in the {kind}), "
          f"{len(words)} prefixes x {args.repeat} passes; machine shared and loaded")
    print(f"  completion table: {len(table.terms)} surface words, built once in {build_ms:.0f} CPU ms")
    print(f"  {'':24} {'median':>8} {'p90':>8} {'p99':>8} {'max':>8}  (CPU ms per completion)")
    for name, ms in (("lintas (table)", ours_ms), ("whoosh expand_prefix", theirs_ms)):
        print(f"  {name:24} {statistics.median(ms):8.3f} {pct(ms, 90):8.3f} {pct(ms, 99):8.3f} {max(ms):8.3f}")
    for n in sorted(by_len):
        label = f"{n}+ chars" if n == 5 else f"{n} chars"
        print(f"    lintas, {label:13} {statistics.median(by_len[n]):8.3f} {pct(by_len[n], 99):8.3f}  ({len(by_len[n])} prefixes)")
    ratio = statistics.median([t / o for o, t in zip(ours_ms, theirs_ms) if o > 0])
    print(f"  whoosh / lintas, median per prefix: {ratio:.1f}x; same completions for {agree}/{len(words)} prefixes")
    if not args.words_only:
        page_cost(engine, corpus_mod.load_queries(Path(bench.args.data)), args.repeat)
    return 0


PAGE_VARIANTS = {
    "plain (collapse=0)": dict(collapse=False),
    "folded (default)": dict(),
    "folded + histogram=auto": dict(histogram="auto"),
    "folded + histogram, newest": dict(histogram="auto", sort="newest"),
    "folded + histogram, from/to": dict(histogram="auto", date_from=date(2024, 1, 1), date_to=date(2024, 6, 30)),
}


def page_cost(engine, queries, repeat: int) -> None:
    """What the results page adds to a search: folding, the timeline, date order and filters."""
    texts = [q.text for q in queries]
    for text in texts[:20]:
        engine.search(SearchRequest(q=text))  # warm the caches every variant reads
    per = {name: [] for name in PAGE_VARIANTS}
    for text in texts:
        engine.search(SearchRequest(q=text, collapse=False))  # this query's postings decoded before timing
        for name, extra in PAGE_VARIANTS.items():
            runs = []
            for _ in range(repeat):
                ms, _res = cpu_ms(engine.search, SearchRequest(q=text, **extra))
                runs.append(ms)
            per[name].append(statistics.median(runs))
    base = per["plain (collapse=0)"]
    print(f"  search, {len(texts)} bench queries (CPU ms per search, snippets on):")
    print(f"  {'':30} {'median':>8} {'p90':>8} {'p99':>8}  {'x plain (median of ratios)':>26}")
    for name, ms in per.items():
        ratio = statistics.median([m / b for m, b in zip(ms, base) if b > 0])
        print(f"  {name:30} {statistics.median(ms):8.2f} {pct(ms, 90):8.2f} {pct(ms, 99):8.2f}  {ratio:26.2f}")


if __name__ == "__main__":
    sys.exit(main())
