"""The benchmark corpus and query set, and growing the corpus to any size.

The shared bench data holds 12,210 real news articles. Sizes up to that are a
seeded sample of them; larger sizes add synthetic paraphrases made the way
`shared/data/README.md` prescribes (drop ~20 % of sentences, swap neighbours,
splice 1-3 sentences from another article of the same language, id
`<id>~p<k>`). A paraphrase keeps the vocabulary and length profile of real news,
which is what speed and size depend on; it is useless for relevance.

Every corpus is written once to a JSONL cache keyed by seed and size, so that a
build subprocess can stream it and repeated runs don't regrow it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

NEWS_FILE = "news.jsonl.gz"
QUERIES_FILE = "queries.jsonl"
DEFAULT_SEED = 20240630

DROP_RATE = 0.20
SWAP_RATE = 0.30

# A sentence ends at . ! ? … or the Arabic question mark, followed by space.
# Good enough for shuffling news prose; not a linguistic segmenter.
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u2026])\s+")


@dataclass(frozen=True)
class Query:
    qid: str
    lang: str
    kind: str  # single | and | phrase
    terms: tuple[str, ...]

    @property
    def text(self) -> str:
        """The query in Lintas/Whoosh syntax: `t`, `t1 AND t2`, `"t1 t2"`."""
        if self.kind == "phrase":
            return '"' + " ".join(self.terms) + '"'
        return " AND ".join(self.terms)


def load_queries(data_dir: Path, limit: int | None = None) -> list[Query]:
    """Read queries.jsonl; `limit` keeps a slice balanced over lang and kind."""
    queries = []
    with open(Path(data_dir) / QUERIES_FILE, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                terms = r["terms"]
                if isinstance(terms, str):  # the README's older string form
                    terms = terms.replace('"', "").replace(" AND ", " ").split()
                queries.append(Query(r["qid"], r["lang"], r["kind"], tuple(terms)))
    if limit is None or limit >= len(queries):
        return queries
    # Round-robin over (lang, kind) groups so a 20-query slice still has phrases.
    groups: dict[tuple[str, str], list[Query]] = {}
    for q in queries:
        groups.setdefault((q.lang, q.kind), []).append(q)
    picked: list[Query] = []
    i = 0
    while len(picked) < limit:
        for g in groups.values():
            if i < len(g) and len(picked) < limit:
                picked.append(g[i])
        i += 1
    return picked


def load_news(data_dir: Path) -> list[dict]:
    with gzip.open(Path(data_dir) / NEWS_FILE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def real_count(data_dir: Path) -> int:
    """How many real articles the shared set holds (12,210 as shipped)."""
    with gzip.open(Path(data_dir) / NEWS_FILE, "rt", encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def split_paragraphs(text: str) -> list[list[str]]:
    """Text -> paragraphs (lines) -> sentences."""
    return [_SENTENCE_END.split(p.strip()) for p in text.split("\n") if p.strip()]


def paraphrase(article: dict, donor: dict, k: int, rng: random.Random) -> dict:
    """One synthetic copy of `article`, with 1-3 sentences spliced from `donor`."""
    paras = split_paragraphs(article["text"])
    total = sum(len(p) for p in paras)
    kept = []
    for p in paras:
        # Drop ~20 % of sentences, but never the whole article.
        s = [x for x in p if total <= 1 or rng.random() >= DROP_RATE]
        for i in range(len(s) - 1):
            if rng.random() < SWAP_RATE:
                s[i], s[i + 1] = s[i + 1], s[i]
        if s:
            kept.append(s)
    if not kept:
        kept = [paras[0][:1]]
    donor_sents = [x for p in split_paragraphs(donor["text"]) for x in p]
    for _ in range(rng.randint(1, 3)):
        if not donor_sents:
            break
        para = kept[rng.randrange(len(kept))]
        para.insert(rng.randint(0, len(para)), rng.choice(donor_sents))
    return {
        "id": f"{article['id']}~p{k}",
        "title": article["title"],
        "text": "\n".join(" ".join(p) for p in kept),
        "lang": article["lang"],
    }


def grow(real: list[dict], size: int, seed: int = DEFAULT_SEED) -> list[dict]:
    """A deterministic corpus of `size` documents built from `real`."""
    rng = random.Random(seed)
    if size <= len(real):
        # A seeded sample in file order keeps the fa/id mix of the full set.
        return [real[i] for i in sorted(rng.sample(range(len(real)), size))]
    by_lang: dict[str, list[dict]] = {}
    for a in real:
        by_lang.setdefault(a["lang"], []).append(a)
    out = list(real)
    copies: dict[str, int] = {}
    while len(out) < size:
        a = real[rng.randrange(len(real))]
        same = by_lang[a["lang"]]
        donor = same[rng.randrange(len(same))]
        if donor["id"] == a["id"] and len(same) > 1:
            continue
        copies[a["id"]] = k = copies.get(a["id"], 0) + 1
        out.append(paraphrase(a, donor, k, rng))
    return out


def synthetic_share(size: int, real_count: int) -> float:
    return max(0.0, (size - real_count) / size) if size else 0.0


def corpus_file(data_dir: Path, out_dir: Path, size: int, seed: int = DEFAULT_SEED) -> Path:
    """Path of the cached JSONL corpus of `size` docs, growing it on first use."""
    path = Path(out_dir) / "corpus" / f"news-s{seed}-n{size}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    docs = grow(load_news(data_dir), size, seed)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    os.replace(tmp, path)  # a killed run never leaves a half-written cache behind
    return path


def iter_corpus(path: Path):
    """Stream a cached corpus as dicts (builds read it lazily to keep RSS honest)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


_WORD = re.compile(r"[^\W\d_]{4,}")


def write_bench_data(docs: list[dict], out_dir: Path, per_kind: int = 10, seed: int = DEFAULT_SEED) -> Path:
    """A small stand-in for the shared bench data: `docs` as news.jsonl.gz and a queries.jsonl
    sampled from their words the way the shared set was (single terms, ANDs of two words
    of one document, two-word phrases), `per_kind` of each per language.

    For the perf smoke test, which must run on a fresh clone: it checks that every
    section runs, not how fast, so any real text of both languages will do.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_dir / NEWS_FILE, "wt", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    rng = random.Random(seed)
    queries = []
    for lang in sorted({d["lang"] for d in docs}):
        texts = [_WORD.findall(d["text"].lower()) for d in docs if d["lang"] == lang]
        texts = [words for words in texts if len(words) >= 2]
        for kind in ("single", "and", "phrase"):
            for i in range(per_kind):
                words = rng.choice(texts)
                if kind == "single":
                    terms = [rng.choice(words)]
                elif kind == "and":
                    terms = rng.sample(words, 2)
                else:
                    start = rng.randrange(len(words) - 1)
                    terms = words[start:start + 2]
                queries.append({"qid": f"{lang}-{kind}-{i}", "lang": lang, "kind": kind, "terms": terms})
    with open(out_dir / QUERIES_FILE, "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    return out_dir
