"""Engine: a SearchRequest in, SearchResults out, over the index on disk.

One Engine serves many threads (search/searchers.py keeps a searcher per thread
and refreshes it when another process commits). A query gets a time budget;
past it, the results collected so far are returned rather than holding a thread
hostage. What people type (words, AND/OR/NOT, phrases) is counted and ranked
over whole posting arrays (search/vectorized.py); the rest takes Whoosh's own
matchers (search/collect.py). Both give the same scores and order.
"""

from __future__ import annotations

import time
from pathlib import Path

from whoosh import query as wq

from analyzers import LANGS

from . import collect, storage, vectorized
from .documents import Document
from .errors import DocumentNotFound
from .plan import confine, prune, union
from .query import make_parser, parse
from .request import SearchRequest
from .respell import respell
from .results import Hit, SearchResults
from .schema import body_field
from .searchers import SearcherPool
from .snippets import query_terms, snippet
from .suggest import suggest

TIME_LIMIT = 2.0  # seconds a single query may run


class Engine:
    def __init__(self, index_dir: str | Path, time_limit: float = TIME_LIMIT):
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self._ix = storage.open_index(self.index_dir)  # raises IndexNotFound
        self.searchers = SearcherPool(self._ix)
        self._parsers: dict[tuple[str, ...], object] = {}
        # Off: every query takes Whoosh's matchers (the reference the tests compare with).
        self.vectorize = True

    # -- public API

    def warm_up(self) -> None:
        """Load what the first query would otherwise wait for (Persian lexicon, searcher)."""
        for lang in LANGS:
            list(self._ix.schema[body_field(lang)].analyzer("ایران hubungan relations"))
        self.searchers.searcher()

    def count(self) -> int:
        return self.searchers.searcher().doc_count()

    def document(self, doc_id: str) -> Document:
        fields = self.searchers.retrying(lambda searcher: searcher.document(id=doc_id))
        if fields is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return _to_document(fields)

    def stats(self) -> dict:
        searcher = self.searchers.searcher()
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
        return self.searchers.retrying(lambda searcher: self._search(searcher, req))

    def _search(self, searcher, req: SearchRequest) -> SearchResults:
        started = time.perf_counter()
        deadline = started + self.time_limit  # one budget for the whole request
        # Only languages the index holds: each one searched costs term lookups in
        # two more fields for every word of the query, in every segment.
        present = self.searchers.present_langs(searcher)
        langs = (req.lang,) if req.lang else present
        exists = self.searchers.terms(searcher)
        respelled = respell(searcher, exists, req.q, present, deadline)
        # Every present language is parsed: the facets count the others too.
        parts = self._parts(dict.fromkeys(present + langs), respelled.query, exists)
        q = union([parts[lang] for lang in langs if lang in parts])
        filters = collect.filters(req)
        hits, facets = [], {}
        start = (req.page - 1) * req.per_page
        if self.vectorize and not filters and req.sort != "date" and all(
            vectorized.supports(p, searcher.schema) for p in parts.values()
        ):
            # What people type (words, AND/OR/NOT): counted and ranked in one pass
            # over whole posting arrays (search/vectorized.py).
            stats = self.searchers.term_stats(searcher)
            stats.deadline = deadline
            matched = {lang: vectorized.match(searcher, part, stats) for lang, part in parts.items()}
            facets = {lang: len(m) for lang, m in sorted(matched.items()) if len(m)}
            ranked = vectorized.union([matched[lang] for lang in langs if lang in matched])
            page = [_Ranked(searcher, docnum, score)
                    for score, docnum in ranked.top(req.page * req.per_page)[start:]]
        else:
            # The other languages' counts stay visible when one is picked (facets).
            if parts:
                facets = collect.lang_counts(searcher, parts, filters, deadline)
            page = []
            if q is not wq.NullQuery:
                # No lang: filter needed: each part matches only its language's documents.
                page = collect.top(searcher, q, filters, req, deadline)[start:start + req.per_page]
        if page:
            terms = query_terms(searcher.reader(), q) if req.snippets else set()
            hits = [_hit(searcher, terms, hit, req.snippets) for hit in page]
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


class _Ranked:
    """A ranked document as the page needs it (what Whoosh's Hit offers)."""

    __slots__ = ("searcher", "docnum", "score")

    def __init__(self, searcher, docnum: int, score: float):
        self.searcher, self.docnum, self.score = searcher, docnum, score

    def fields(self) -> dict:
        return self.searcher.stored_fields(self.docnum)


def _hit(searcher, terms: set[tuple[str, str]], hit, with_snippet: bool) -> Hit:
    fields = hit.fields()
    lang = fields.get("lang", "en")
    text = snippet(searcher.reader(), body_field(lang), terms, hit.docnum,
                   fields.get("text", "")) if with_snippet else ""
    date = fields.get("date")
    return Hit(
        id=fields["id"], title=fields.get("title", ""), lang=lang, score=round(hit.score or 0.0, 4),
        snippet=text, date=date.date().isoformat() if date else None,
        source=fields.get("source"), url=fields.get("url"),
    )


def _to_document(fields: dict) -> Document:
    date = fields.get("date")
    return Document(
        id=fields["id"], title=fields.get("title", ""), text=fields.get("text", ""),
        lang=fields.get("lang"), date=date.date() if date else None,
        source=fields.get("source"), url=fields.get("url"),
    )
