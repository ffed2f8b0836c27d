"""The engines the performance benchmark compares, behind one small interface.

- `lintas`: our Indexer and Engine (Hazm/Sastrawi analyzers over Whoosh).
- `whoosh`: plain Whoosh, StandardAnalyzer, the same stored fields (id, title,
  text, lang): what Lintas costs over the library it is built on.
- `fts5`: SQLite FTS5 with the unicode61 tokenizer, bm25 ranking: a C engine,
  the floor for latency.

Each engine is `build(corpus_path, index_dir)` and `open(index_dir)` returning a
searcher with `search(query_text, snippets) -> [(id, snippet)]` (top 10).

Run as `python -m bench.peers build ENGINE CORPUS INDEX_DIR` this module builds
one index in a fresh process and prints one `BENCH-RESULT {json}` line with the
time, the text volume and the process's peak RSS (VmHWM), so that one build's
memory never pollutes another's.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

from bench.corpus import iter_corpus
from bench.fts5 import SPEED_TOKENIZER, Fts5Index, syntax_expression

TOP_K = 10
RESULT_PREFIX = "BENCH-RESULT "


def text_bytes(d: dict) -> int:
    return len(d["title"].encode("utf-8")) + len(d["text"].encode("utf-8"))


def dir_bytes(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---- counting wrapper: every build reports the same docs and bytes ----------


class _Counted:
    """Wrap a doc stream and count documents and text bytes as they pass."""

    def __init__(self, docs):
        self.docs, self.n, self.nbytes = docs, 0, 0

    def __iter__(self):
        for d in self.docs:
            self.n += 1
            self.nbytes += text_bytes(d)
            yield d


# ---- plain Whoosh ------------------------------------------------------------


class WhooshPeer:
    name = "whoosh"

    @staticmethod
    def schema():
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        return Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(stored=True, analyzer=StandardAnalyzer()),
            text=TEXT(stored=True, analyzer=StandardAnalyzer()),
            lang=ID(stored=True),
        )

    def build(self, docs, index_dir: Path) -> None:
        from whoosh import index

        Path(index_dir).mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(index_dir), self.schema())
        # Whoosh's defaults (one process, limitmb=128): "plain Whoosh" as shipped.
        w = ix.writer()
        for d in docs:
            w.add_document(id=d["id"], title=d["title"], text=d["text"], lang=d["lang"])
        w.commit()

    def open(self, index_dir: Path):
        return _WhooshSearcher(index_dir)


class _WhooshSearcher:
    def __init__(self, index_dir: Path):
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        # Title and text, like FTS5 matching every indexed column and Lintas
        # searching title and body.
        self.parser = MultifieldParser(["title", "text"], self.ix.schema)

    def search(self, query_text: str, snippets: bool) -> list[tuple[str, str]]:
        results = self.searcher.search(self.parser.parse(query_text), limit=TOP_K)
        return [(h["id"], h.highlights("text") if snippets else "") for h in results]

    def close(self) -> None:
        self.searcher.close()


# ---- SQLite FTS5 ---------------------------------------------------------------


class Fts5Peer:
    name = "fts5"
    DB = "fts5.sqlite"

    def build(self, docs, index_dir: Path) -> None:
        Path(index_dir).mkdir(parents=True, exist_ok=True)
        db = Path(index_dir) / self.DB
        db.unlink(missing_ok=True)
        index = Fts5Index(db, tokenizer=SPEED_TOKENIZER)
        index.add((d["id"], d["title"], d["text"], d["lang"]) for d in docs)
        index.close()

    def open(self, index_dir: Path):
        return _Fts5Searcher(Fts5Index(Path(index_dir) / self.DB, tokenizer=SPEED_TOKENIZER))


class _Fts5Searcher:
    def __init__(self, index: Fts5Index):
        self.index = index

    def search(self, query_text: str, snippets: bool) -> list[tuple[str, str]]:
        return self.index.match(syntax_expression(query_text), TOP_K, snippets)

    def close(self) -> None:
        self.index.close()


# ---- Lintas ----------------------------------------------------------------------


class LintasEngine:
    name = "lintas"

    def build(self, docs, index_dir: Path) -> None:
        from search.documents import Document
        from search.indexer import Indexer

        Path(index_dir).mkdir(parents=True, exist_ok=True)
        Indexer(index_dir).add_documents(
            (Document(id=d["id"], title=d["title"], text=d["text"], lang=d["lang"]) for d in docs),
            progress=False,
        )

    def open(self, index_dir: Path):
        return _LintasSearcher(index_dir)


class _LintasSearcher:
    def __init__(self, index_dir: Path):
        from search.engine import Engine

        self.engine = Engine(index_dir)

    def search(self, query_text: str, snippets: bool) -> list[tuple[str, str]]:
        from search.request import SearchRequest

        # lang=None: the peers don't filter by language either.
        res = self.engine.search(SearchRequest(q=query_text, per_page=TOP_K, snippets=snippets))
        return [(h.id, h.snippet) for h in res.hits]

    def close(self) -> None:
        close = getattr(self.engine, "close", None)
        if close:
            close()


ENGINES = {e.name: e for e in (LintasEngine(), WhooshPeer(), Fts5Peer())}


# ---- the build worker: one index, one fresh process -------------------------------


def _peak_rss_kb() -> dict:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "vmhwm_kb": int(fields["VmHWM"].split()[0]),
        # If an indexer forks workers, its biggest child counts too.
        "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def build_once(engine: str, corpus: Path, index_dir: Path) -> dict:
    index_dir = Path(index_dir)
    if index_dir.exists():
        shutil.rmtree(index_dir)
    counted = _Counted(iter_corpus(corpus))
    # Streaming the corpus keeps it out of peak RSS; its JSON parsing is timed
    # for every engine alike (about a second per 100k docs).
    t0 = time.perf_counter()
    ENGINES[engine].build(counted, index_dir)
    seconds = time.perf_counter() - t0
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        # CPU of this process and its workers: what a build costs whatever the
        # machine's load; wall time is what parallel work buys on free cores.
        "cpu_seconds": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
        "engine": engine,
        "docs": counted.n,
        "text_bytes": counted.nbytes,
        "seconds": seconds,
        "index_bytes": dir_bytes(index_dir),
        **_peak_rss_kb(),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "build" or argv[1] not in ENGINES:
        print(f"usage: python -m bench.peers build {{{'|'.join(ENGINES)}}} CORPUS INDEX_DIR", file=sys.stderr)
        return 2
    result = build_once(argv[1], Path(argv[2]), Path(argv[3]))
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    # Run from the repository root (`python -m bench.peers`) so `search` imports.
    sys.exit(main(sys.argv[1:]))
