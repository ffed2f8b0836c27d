"""Engine: a SearchRequest in, SearchResults out, over the index on disk.

One Engine serves many threads: each thread keeps its own Whoosh searcher, and
every searcher is replaced when another process commits to the index, so a
re-index shows up without a restart. A query gets a time budget; past it, the
results collected so far are returned rather than holding a thread hostage.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from whoosh import query as wq
from whoosh import sorting
from whoosh.collectors import TimeLimit, TimeLimitCollector

from analyzers import LANGS

from . import bm25, storage, vectorized
from .documents import Document
from .errors import DocumentNotFound
from .plan import TermCache, confine, prune, union
from .query import make_parser, parse
from .request import SearchRequest
from .respell import respell
from .results import Hit, SearchResults
from .schema import body_field
from .snippets import make_snippet, term_spans
from .suggest import suggest

TIME_LIMIT = 2.0  # seconds a single query may run
REFRESH_EVERY = 0.2  # seconds between checks for a newer index generation

# BM25 saturation and length normalization (Lucene's defaults: K1=1.2, B=0.75).
BM25_K1 = 1.2
BM25_B = 0.75
# BM25+'s floor per matched word, in units of its idf: length normalization alone
# let a long passage that matches a word score next to nothing for it, below a
# short one that does not match it at all. Full dev half, MRR@10 (bench/relevance.py):
#   delta     parsinlu  pqa     pquad   facqa   tydi    fa macro  id macro
#   0         0.7221    0.9267  0.9409  0.8247  0.6740  0.8632    0.7494
#   0.25      0.7248    0.9251  0.9446  0.8264  0.6748  0.8648    0.7506
#   0.5       0.7222    0.9268  0.9470  0.8262  0.6746  0.8653    0.7504
#   0.75      0.7191    0.9287  0.9481  0.8260  0.6722  0.8653    0.7491
#   1.0       0.7176    0.9288  0.9488  0.8262  0.6721  0.8651    0.7491
# 0.5 is the one value that lowers no source.
BM25_DELTA = 0.5


def weighting():
    # BM25's own idf (search/bm25.py), not the TF-IDF idf Whoosh's BM25F inherits.
    return bm25.BM25F(B=BM25_B, K1=BM25_K1, delta=BM25_DELTA)


class Engine:
    def __init__(self, index_dir: str | Path, time_limit: float = TIME_LIMIT):
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self._ix = storage.open_index(self.index_dir)  # raises IndexNotFound
        self._local = threading.local()
        self._parsers: dict[tuple[str, ...], object] = {}
        # Off: every query takes Whoosh's matchers (the reference the tests compare with).
        self.vectorize = True
        # The newest index generation any thread has opened: a thread holding an older
        # one refreshes at once, so a client whose requests land on different threads
        # never sees the index go back in time (a count drop, a document gone and back).
        self._newest = 0
        self._newest_lock = threading.Lock()

    # -- searchers

    def _searcher(self):
        local = self._local
        searcher = getattr(local, "searcher", None)
        now = time.monotonic()
        if searcher is None:
            local.searcher, local.checked = self._ix.searcher(weighting=weighting()), now
        elif now - local.checked > REFRESH_EVERY or _generation(searcher) < self._newest:
            local.checked = now
            if not searcher.up_to_date():
                # A fresh searcher, not searcher.refresh(): refresh() reuses the readers of
                # segments it already has, and Whoosh compares segments by id only, so
                # deletions in an old segment (updates, deletes) would stay invisible.
                local.searcher = self._ix.searcher(weighting=weighting())
                searcher.close()
        generation = _generation(local.searcher)
        if generation > self._newest:
            with self._newest_lock:
                self._newest = max(self._newest, generation)
        return local.searcher

    def _present_langs(self, searcher) -> tuple[str, ...]:
        cache = self._local.__dict__.setdefault("present", {})
        key = id(searcher)
        if key not in cache:
            cache.clear()
            cache[key] = tuple(lang for lang in LANGS if searcher.doc_frequency("lang", lang)) or LANGS
        return cache[key]

    def _term_cache(self, searcher) -> TermCache:
        cache = self._local.__dict__.get("terms")
        if cache is None or cache.reader is not searcher.reader():
            cache = self._local.terms = TermCache(searcher.reader())
        return cache

    def _term_stats(self, searcher) -> vectorized.TermStats:
        stats = self._local.__dict__.get("stats")
        if stats is None or stats.searcher is not searcher:
            stats = self._local.stats = vectorized.TermStats(searcher)
        return stats

    def _parts(self, langs, text: str, exists=None) -> dict[str, wq.Query]:
        """The query for each language on its own fields; none for a language it cannot match.

        Per language, because a word can be a stop word in one language and not in
        another: "akses AND kapan" must find Indonesian documents with "akses"
        ("kapan" is an Indonesian stop word) even though for the Persian fields,
        where "kapan" is just a Latin word, both words are required. With `exists`
        (a TermCache), terms the index lacks are pruned (search/plan.py).
        """
        parts = {}
        for lang in langs:
            q = parse(self._parser((lang,)), text)
            if exists is not None:
                q = prune(q, exists)
            if q is not wq.NullQuery:
                parts[lang] = confine(q, lang)
        return parts

    def _parser(self, langs: tuple[str, ...]):
        if langs not in self._parsers:
            self._parsers[langs] = make_parser(self._ix.schema, langs)
        return self._parsers[langs]

    # -- public API

    def warm_up(self) -> None:
        """Load what the first query would otherwise wait for (Persian lexicon, searcher)."""
        for lang in LANGS:
            list(self._ix.schema[body_field(lang)].analyzer("ایران hubungan relations"))
        self._searcher()

    def count(self) -> int:
        return self._searcher().doc_count()

    def document(self, doc_id: str) -> Document:
        fields = self._retrying(lambda searcher: searcher.document(id=doc_id))
        if fields is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return _to_document(fields)

    def stats(self) -> dict:
        searcher = self._searcher()
        reader = searcher.reader()
        by_lang = {lang: searcher.doc_frequency("lang", lang) for lang in LANGS}
        size = sum(f.stat().st_size for f in self.index_dir.iterdir() if f.is_file())
        return {
            "index": str(self.index_dir),
            "documents": searcher.doc_count(),
            "by_lang": {k: v for k, v in by_lang.items() if v},
            "segments": len(reader.leaf_readers()),
            "size_bytes": size,
            "generation": self._ix.latest_generation(),
        }

    def search(self, req: SearchRequest) -> SearchResults:
        return self._retrying(lambda searcher: self._search(searcher, req))

    def _retrying(self, work):
        """Run `work(searcher)`; once more on a fresh searcher if a commit broke it.

        Whoosh opens some per-document files of a segment lazily, on first use. When
        another process's commit merges that segment away in between, its files are
        gone and the old searcher fails deep inside Whoosh (a None reader). A
        searcher that is no longer up to date gets one retry on the new index.
        """
        searcher = self._searcher()
        try:
            return work(searcher)
        except (TypeError, AttributeError, OSError, ValueError, IndexError):
            if searcher.up_to_date():
                raise  # not a stale index: a real bug, let it show
            self._local.searcher = None
            return work(self._searcher())

    def _search(self, searcher, req: SearchRequest) -> SearchResults:
        started = time.perf_counter()
        deadline = started + self.time_limit  # one budget for the whole request
        # Only languages the index holds: each one searched costs term lookups in
        # two more fields for every word of the query, in every segment.
        present = self._present_langs(searcher)
        langs = (req.lang,) if req.lang else present
        exists = self._term_cache(searcher)
        respelled = respell(searcher, exists, req.q, present, deadline)
        # Every present language is parsed: the facets count the others too.
        parts = self._parts(dict.fromkeys(present + langs), respelled.query, exists)
        q = union([parts[lang] for lang in langs if lang in parts])
        filters = []
        if req.source:
            filters.append(wq.Term("source", req.source))
        if req.date_from or req.date_to:
            filters.append(wq.DateRange("date", _day(req.date_from), _day(req.date_to, end=True)))
        hits, facets = [], {}
        start = (req.page - 1) * req.per_page
        if self.vectorize and not filters and req.sort != "date" and all(
            vectorized.supports(p, searcher.schema) for p in parts.values()
        ):
            # What people type (words, AND/OR/NOT): counted and ranked in one pass
            # over whole posting arrays (search/vectorized.py).
            stats = self._term_stats(searcher)
            stats.deadline = deadline
            matched = {lang: vectorized.match(searcher, part, stats) for lang, part in parts.items()}
            facets = {lang: len(m) for lang, m in sorted(matched.items()) if len(m)}
            ranked = vectorized.union([matched[lang] for lang in langs if lang in matched])
            page = [_Ranked(searcher, docnum, score)
                    for score, docnum in ranked.top(req.page * req.per_page)[start:]]
        else:
            # Counting and ranking are two passes: an unscored count per language
            # (the total and the facets; the other languages stay visible when one
            # is picked), so the scored pass can keep just the top page*per_page
            # with Whoosh's block-max pruning instead of scoring every match.
            if parts:
                facets = self._lang_counts(searcher, parts, filters, deadline)
            page = []
            if q is not wq.NullQuery:
                # No lang: filter needed: each part matches only its language's documents.
                results = self._top(searcher, q, filters, req, deadline)
                page = results[start:start + req.per_page]
        if page:
            # Expanded once per search, not per hit: a prefix can expand to many terms.
            terms = _query_terms(searcher, q) if req.snippets else set()
            hits = [self._hit(searcher, terms, hit, req.snippets) for hit in page]
        total = facets.get(req.lang, 0) if req.lang else sum(facets.values())
        suggestion = respelled.suggestion
        if suggestion is None and req.page == 1 and total < 3 and time.perf_counter() < deadline:
            suggestion = suggest(searcher, exists, req.q, langs)
        return SearchResults(
            query=req.q, total=total, page=req.page, per_page=req.per_page,
            took_ms=(time.perf_counter() - started) * 1000, hits=hits,
            facets={"lang": facets}, suggestion=suggestion, respelled=respelled.readings,
        )

    # -- internals

    def _run(self, searcher, q, filters, collector, deadline: float):
        if filters:
            # Filters join the query as zero-score clauses rather than the collector's
            # filter=: TimeLimitCollector collects around FilterCollector's check, so
            # a filter passed there is silently ignored.
            q = wq.And([q, *(wq.ConstantScoreQuery(f, 0.0) for f in filters)])
        budget = max(0.05, deadline - time.perf_counter())
        limited = TimeLimitCollector(collector, timelimit=budget, use_alarm=False)
        try:
            searcher.search_with_collector(q, limited)
        except TimeLimit:
            pass  # partial results are better than none; took_ms tells the tale
        return limited.results()

    def _top(self, searcher, q, filters, req: SearchRequest, deadline: float):
        sortedby = sorting.FieldFacet("date", reverse=True) if req.sort == "date" else None
        collector = searcher.collector(limit=req.page * req.per_page, sortedby=sortedby)
        return self._run(searcher, q, filters, collector, deadline)

    def _lang_counts(self, searcher, parts: dict[str, wq.Query], filters, deadline: float) -> dict[str, int]:
        """Matches per language, counted straight off the matchers.

        Each language's part matches only documents of that language (see _parts),
        so no per-document language lookup is needed: Whoosh's grouping collector
        read the lang column for every match.
        """
        counts = {}
        for lang, part in parts.items():
            clauses = [part, *(wq.ConstantScoreQuery(f, 0.0) for f in filters)]
            n = _count(searcher, wq.And(clauses) if len(clauses) > 1 else part, deadline)
            if n:
                counts[lang] = n
        return dict(sorted(counts.items()))

    def _hit(self, searcher, terms: set[tuple[str, str]], hit, with_snippet: bool) -> Hit:
        fields = hit.fields()
        lang = fields.get("lang", "en")
        snippet = ""
        if with_snippet:
            text = fields.get("text", "")
            field = body_field(lang)
            field_terms = {text_ for fname, text_ in terms if fname == field}
            spans = term_spans(searcher.reader(), field, field_terms, hit.docnum)
            snippet = make_snippet(text, spans)
        date = fields.get("date")
        return Hit(
            id=fields["id"], title=fields.get("title", ""), lang=lang, score=round(hit.score or 0.0, 4),
            snippet=snippet, date=date.date().isoformat() if date else None,
            source=fields.get("source"), url=fields.get("url"),
        )


class _Ranked:
    """A ranked document as the page needs it (what Whoosh's Hit offers)."""

    __slots__ = ("searcher", "docnum", "score")

    def __init__(self, searcher, docnum: int, score: float):
        self.searcher, self.docnum, self.score = searcher, docnum, score

    def fields(self) -> dict:
        return self.searcher.stored_fields(self.docnum)


def _count(searcher, q: wq.Query, deadline: float) -> int:
    """Documents matching `q` (deleted ones excluded by the segment readers)."""
    n = 0
    clock = time.perf_counter
    for sub, _offset in searcher.leaf_searchers():
        m = q.matcher(sub, sub.boolean_context())
        # Step by step, not all_ids(): an intersection's all_ids() reads both
        # sides whole before it yields, out of reach of the time budget.
        while m.is_active():
            n += 1
            if clock() > deadline:  # ~50 ns a match: cheap next to Whoosh's next()
                return n  # a lower bound beats a timeout
            m.next()
    return n


def _generation(searcher) -> int:
    """The index generation a searcher reads; an index with no segments yet has none."""
    generation = searcher.reader().generation()
    return -1 if generation is None else generation


def _query_terms(searcher, q):
    """Every (field, term) a query can match, prefixes and wildcards expanded.

    Terms under NOT are left out: a snippet marks what was found, not what was excluded.
    """
    terms = set()
    reader = searcher.reader()

    def walk(node):
        if isinstance(node, wq.Not):
            return
        if isinstance(node, (wq.Prefix, wq.Wildcard)):
            terms.update((fname, _text(t)) for fname, t in node.expanded_terms(reader))
        elif node.is_leaf():
            terms.update((fname, _text(t)) for fname, t in node.iter_all_terms(phrases=True))
        else:
            for child in node.children():
                walk(child)

    walk(q)
    return terms


def _text(term) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _day(d, end: bool = False):
    if d is None:
        return None
    from datetime import datetime, time as dtime

    return datetime.combine(d, dtime.max if end else dtime.min)


def _to_document(fields: dict) -> Document:
    date = fields.get("date")
    return Document(
        id=fields["id"], title=fields.get("title", ""), text=fields.get("text", ""),
        lang=fields.get("lang"), date=date.date() if date else None,
        source=fields.get("source"), url=fields.get("url"),
    )
