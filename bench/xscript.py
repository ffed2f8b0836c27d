"""Cross-script name search (issue 13): a judged set built from public text, per direction.

    python bench/xscript.py                 # builds (once) and caches the index under bench/out/
    python bench/xscript.py --json bench/out/xscript.json
    python bench/xscript.py --build-cost 4000        # build CPU ms/doc, names on vs off
    python bench/xscript.py --memory-index DIR       # one process's RSS, names' tables loaded or not

Judged pairs, none of them written by hand:
- wiki: Persian Wikipedia paragraphs of ../shared/data/eval/fa/corpus.jsonl that write a
  Latin gloss after a name («بنجامین فرانکلین (Benjamin Franklin)»): every gloss is removed
  from the indexed text, the Persian name is the gloss's as many preceding words.
- cldr: CLDR's country and city names (Babel), as a check of the exonym path.
Each pair is kept in a direction when 1..MAX_RELEVANT documents of the target language
write its name there: Latin -> Persian (lang=fa): the documents (wiki paragraphs and the fa
half of ../shared/data/bench/news.jsonl.gz) containing the Persian name; Persian -> Latin
(lang=id): the id half's articles containing the Latin name as a capitalized word.
Pairs split by a hash of the Latin name: 'tune' (thresholds were set on it) and 'held'.
Metrics: MRR@10, Recall@100, P@10 (relevant share of the first 10, out of min(10, relevant)),
with the expansion on and off (off = only as typed, as before issue 13); and the share of the
1,000 most frequent lowercase Indonesian words (lang=fa) and Persian words (lang=id) of the
news corpus that pull in any cross-script term.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from analyzers.dictionary import is_dictionary_word  # noqa: E402
from search import exonyms  # noqa: E402
from search.documents import Document  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.indexer import Indexer  # noqa: E402
from search.request import SearchRequest  # noqa: E402
from search.schema import SCHEMA_VERSION  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"
MAX_RELEVANT = 100
_GLOSS = re.compile(r"((?:[\u0600-\u06FF]+[\u200c ]?){1,4})\s*\(([A-Z][A-Za-z\-\.' ]{1,40}?)\s*\)")
_ANY_GLOSS = re.compile(r"\s*\([A-Za-z][^()\u0600-\u06FF]{0,80}\)")
_FA_WORD = re.compile(r"[\u0600-\u06FF]+")


def fa_norm(text: str) -> str:
    text = text.replace("ي", "ی").replace("ك", "ک").replace("\u200c", " ")
    text = re.sub("[\u064b-\u065f\u0670]", "", text)
    return " ".join(_FA_WORD.findall(text))


def load(data: Path):
    wiki, pairs = [], {}
    for line in open(data / "eval" / "fa" / "corpus.jsonl", encoding="utf-8"):
        d = json.loads(line)
        for fa_part, latin in _GLOSS.findall(d["text"]):
            latin = latin.strip()
            n = len(latin.split())
            fa_words = fa_part.replace("\u200c", " \u200c").split()
            fa_words = [w.replace("\u200c", "") for w in fa_words]
            if len(fa_words) < n or not latin.replace(" ", "").replace("-", "").isalpha():
                continue
            name = " ".join(fa_words[-n:])
            # Names only: each Latin word capitalized (no acronyms: NBA, RNA), and
            # none an English word (Elite, Beta: those glosses are translations).
            if not all(w[:1].isupper() and not w.isupper() and not is_dictionary_word(w)
                       for w in latin.split()):
                continue
            if _FA_WORD.fullmatch(name.replace(" ", "")):
                pairs.setdefault((latin, fa_norm(name)), "wiki")
        wiki.append(Document(id="wiki-" + d["id"], title=d.get("title", ""),
                             text=_ANY_GLOSS.sub("", d["text"]), lang="fa"))
    news = []
    with gzip.open(data / "bench" / "news.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            news.append(Document(id=d["id"], title=d.get("title", ""), text=d.get("text", ""),
                                 lang=d.get("lang")))
    latin_to_fa, _ = exonyms._tables()
    for latin_words, fa_names in latin_to_fa.items():
        for fa_name in fa_names:
            latin = " ".join(w.capitalize() for w in latin_words)
            pairs.setdefault((latin, fa_norm(fa_name)), "cldr")
    return wiki, news, pairs


def build(index_dir: Path, docs: list[Document]) -> None:
    stamp = index_dir / "stamp.json"
    want = {"schema": SCHEMA_VERSION, "docs": len(docs)}
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return
    t = time.process_time()
    Indexer(index_dir, procs=1).add_documents(docs, rebuild=True)
    print(f"indexed {len(docs)} documents in {time.process_time() - t:.0f} CPU s", file=sys.stderr)
    stamp.write_text(json.dumps(want))


def judged(pairs, docs: list[Document]):
    """Queries per direction: (split, source, query, relevant ids)."""
    fa_docs = [(d.id, " " + fa_norm(d.title + " " + d.text) + " ") for d in docs if d.lang == "fa"]
    id_docs = [(d.id, d.title + "\n" + d.text) for d in docs if d.lang == "id"]
    out = {"latin->fa": [], "fa->latin": []}
    for (latin, fa_name), source in sorted(pairs.items()):
        split = "tune" if int(hashlib.sha1(latin.encode()).hexdigest(), 16) % 2 == 0 else "held"
        needle = f" {fa_name} "
        rel_fa = {i for i, t in fa_docs if needle in t}
        if 1 <= len(rel_fa) <= MAX_RELEVANT:
            out["latin->fa"].append((split, source, latin, rel_fa))
        pat = re.compile(r"(?<![\w-])" + re.escape(latin) + r"(?![\w-])")
        rel_id = {i for i, t in id_docs if latin.split()[0] in t and pat.search(t)}
        if 1 <= len(rel_id) <= MAX_RELEVANT:
            out["fa->latin"].append((split, source, fa_name, rel_id))
    return out


def evaluate(engine: Engine, queries, lang: str, xscript: bool) -> dict:
    rows = {}
    for split, source, q, rel in queries:
        res = engine.search(SearchRequest(q=q, lang=lang, per_page=100, snippets=False, xscript=xscript))
        ranked = [h.id for h in res.hits]
        rr = next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in rel), 0.0)
        recall = len(set(ranked[:100]) & rel) / len(rel)
        p10 = sum(1 for d in ranked[:10] if d in rel) / min(10, len(rel))
        for key in (split, f"{split}/{source}"):
            r = rows.setdefault(key, [0, 0.0, 0.0, 0.0])
            r[0] += 1
            r[1] += rr
            r[2] += recall
            r[3] += p10
    return {k: {"n": n, "mrr@10": a / n, "recall@100": b / n, "p@10": c / n}
            for k, (n, a, b, c) in sorted(rows.items())}


_MID_CAP = re.compile(r"(?<=[a-z,])[ \t]+([A-Z][a-z]+)")


def frequent_share(engine: Engine, docs: list[Document], lang: str, target: str, n: int = 1000):
    """Share of the n most frequent words (typed lowercase) that pull in a cross-script term.

    Also over the 'non-name' words among them: for Indonesian, those the corpus writes
    capitalized in under half of their mid-sentence uses (a count made here, apart from
    the product's); Persian has no case, so all count.
    """
    words = Counter()
    capital = Counter()
    lower = Counter()
    pattern = re.compile(r"[a-z]+") if lang == "id" else _FA_WORD
    for d in docs:
        if d.lang == lang:
            text = d.text.lower() if lang == "id" else fa_norm(d.text)
            words.update(pattern.findall(text))
            if lang == "id":
                capital.update(w.lower() for w in _MID_CAP.findall(d.text))
                lower.update(re.findall(r"(?<=[a-z,])[ \t]+([a-z]+)", d.text))
    top = [w for w, _ in words.most_common(n)]
    names = {w for w in top if lang == "id" and capital[w] > lower[w]}
    pulled = []
    for w in top:
        res = engine.search(SearchRequest(q=w, lang=target, per_page=1, snippets=False))
        if res.also_searched:
            pulled.append((w, res.also_searched[next(iter(res.also_searched))]))
    non_names = [w for w in top if w not in names]
    pulled_non = [p for p in pulled if p[0] not in names]
    return len(pulled) / len(top), len(pulled_non) / max(1, len(non_names)), len(non_names), pulled


def cost(index_dir: Path, data: Path, runs: int = 3) -> dict:
    """CPU ms per query (p50, with snippets) over bench/perf.py's queries, expansion off vs
    on, interleaved in one process; and the key tables' build time and memory."""
    import statistics
    import tracemalloc

    from bench.corpus import load_queries
    from search import xscript

    engine = Engine(index_dir)
    engine.warm_up()
    searcher = engine.searchers.searcher()
    tracemalloc.start()
    t = time.process_time()
    xscript.build(searcher.reader())
    build_s = time.process_time() - t
    table_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    texts = [q.text for q in load_queries(data / "bench")]
    for text in texts:
        engine.search(SearchRequest(q=text))
    p50 = {False: [], True: []}
    for _ in range(runs):
        for flag in (False, True):
            lat = []
            for text in texts:
                t0 = time.process_time()
                engine.search(SearchRequest(q=text, xscript=flag))
                lat.append((time.process_time() - t0) * 1000)
            p50[flag].append(statistics.median(lat))
    off, on = statistics.median(p50[False]), statistics.median(p50[True])
    return {"queries": len(texts), "p50_cpu_ms_off": off, "p50_cpu_ms_on": on, "ratio": on / off,
            "tables_build_cpu_s": build_s, "tables_mb": table_mb}


def build_cost(data: Path, n: int, runs: int = 3) -> dict:
    """CPU ms per document of `Indexer(procs=1)` over the first `n` articles of the bench
    corpus, with the names (names_<lang> fields + key tables at commit) and without
    (a schema without those fields, no tables), alternating in one process."""
    import itertools
    import shutil
    import tempfile

    from search import indexer as indexer_mod
    from search import schema as schema_mod

    docs = []
    with gzip.open(data / "bench" / "news.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, n):
            d = json.loads(line)
            docs.append(Document(id=d["id"], title=d.get("title", ""), text=d.get("text", ""),
                                 lang=d.get("lang")))
    on_langs, on_save = schema_mod.NAME_LANGS, indexer_mod.xtables.save

    def once(names: bool) -> float:
        langs = on_langs if names else ()
        schema_mod.NAME_LANGS = indexer_mod.NAME_LANGS = langs
        indexer_mod.xtables.save = on_save if names else (lambda *_a: None)
        tmp = tempfile.mkdtemp(prefix="names-build-")
        try:
            t = time.process_time()
            Indexer(tmp, procs=1).add_documents(docs)
            return (time.process_time() - t) * 1000 / len(docs)
        finally:
            shutil.rmtree(tmp)
            schema_mod.NAME_LANGS = indexer_mod.NAME_LANGS = on_langs
            indexer_mod.xtables.save = on_save

    once(True)  # analyzers' caches and lazy imports, for both
    ms = {False: [], True: []}
    for _ in range(runs):
        for flag in (False, True):
            ms[flag].append(once(flag))
            print(f"build names={flag}: {ms[flag][-1]:.2f} CPU ms/doc", file=sys.stderr)
    ratios = [b / a for a, b in zip(ms[False], ms[True])]
    return {"docs": len(docs), "cpu_ms_per_doc_off": ms[False], "cpu_ms_per_doc_on": ms[True],
            "paired_ratios": ratios, "median_ratio": sorted(ratios)[len(ratios) // 2]}


def memory(index_dir: Path, data: Path) -> dict:
    """Resident memory of one searching process before and after the names' part is loaded
    (key tables, dictionary gate, CLDR names), each time after the bench queries ran."""
    import os

    from bench.corpus import load_queries

    def rss_mb() -> float:
        with open(f"/proc/{os.getpid()}/status") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS")) / 1024

    texts = [q.text for q in load_queries(data / "bench")]
    engine = Engine(index_dir)
    for text in texts:
        engine.search(SearchRequest(q=text, xscript=False))
    before = rss_mb()
    t = time.process_time()
    engine._xscript_tables(engine.searchers.searcher())
    load_s = time.process_time() - t
    for text in texts:
        engine.search(SearchRequest(q=text))
    after = rss_mb()
    return {"docs": engine.count(), "rss_mb_without_names": before, "rss_mb_with_names": after,
            "names_mb": after - before, "tables_load_cpu_s": load_s}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=SHARED)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--json", type=Path)
    p.add_argument("--cost-index", type=Path, metavar="DIR",
                   help="only measure query cost on this index (e.g. bench/perf.py's 10k Lintas index)")
    p.add_argument("--build-cost", type=int, metavar="N",
                   help="only measure build CPU with and without names over the first N bench articles")
    p.add_argument("--memory-index", type=Path, metavar="DIR",
                   help="only measure one process's RSS before and after the names' tables are loaded")
    args = p.parse_args(argv)
    if args.build_cost:
        print(json.dumps(build_cost(args.data, args.build_cost)))
        return 0
    if args.memory_index:
        print(json.dumps(memory(args.memory_index, args.data)))
        return 0
    if args.cost_index:
        print(json.dumps(cost(args.cost_index, args.data)))
        return 0
    wiki, news, pairs = load(args.data)
    docs = wiki + news
    index_dir = args.out / "xscript-index"
    index_dir.mkdir(parents=True, exist_ok=True)
    build(index_dir, docs)
    engine = Engine(index_dir)
    engine.warm_up()
    queries = judged(pairs, docs)
    report = {}
    print(f"{'direction':<11} {'set':<12} {'n':>4}  {'xscript':<7} {'MRR@10':>7} {'R@100':>7} {'P@10':>7}")
    for direction, lang in (("latin->fa", "fa"), ("fa->latin", "id")):
        for flag in (False, True):
            t = time.perf_counter()
            rows = evaluate(engine, queries[direction], lang, flag)
            report[f"{direction} xscript={int(flag)}"] = rows
            for key, r in rows.items():
                print(f"{direction:<11} {key:<12} {r['n']:>4}  {'on' if flag else 'off':<7} "
                      f"{r['mrr@10']:>7.3f} {r['recall@100']:>7.3f} {r['p@10']:>7.3f}")
            print(f"  ({(time.perf_counter() - t) * 1000 / max(1, len(queries[direction])):.1f} ms/query)",
                  file=sys.stderr)
    for lang, target in (("id", "fa"), ("fa", "id")):
        share, share_non, n_non, pulled = frequent_share(engine, news, lang, target)
        report[f"frequent {lang} words pulling in (lang={target})"] = {
            "share": share, "share_non_names": share_non, "non_names": n_non, "words": pulled}
        print(f"top-1000 {lang} words that pull in a cross-script term (lang={target}): {share:.1%}; "
              f"of the {n_non} non-names: {share_non:.1%}; {pulled}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
