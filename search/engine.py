"""Engine: a SearchRequest in, SearchResults out, over the index on disk.

One Engine serves many threads (search/searchers.py keeps a searcher per thread
and refreshes it when another process commits). A query gets a time budget;
past it, the results collected so far are returned rather than holding a thread
hostage. What people type (words, AND/OR/NOT, phrases) is matched and scored
over whole posting arrays (search/vectorized.py); the rest takes Whoosh's own
matchers (search/collect.py). Both give the same scores; filters, facets, the
timeline, the order and near-duplicate folding are then array work on every
match (search/browse.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from whoosh import query as wq

from analyzers import LANGS

from . import article, browse, collect, columns, completions, hybrid, shard_stats, shards, vectorized, vectors, xscript
from .documents import Document
from .errors import BadRequest, DocumentNotFound
from .plan import confine, prune, union
from .query import make_parser, parse
from .request import MAX_QUERY_CHARS, SearchRequest
from .respell import respell
from .results import Hit, SearchResults
from .schema import body_field
from .searchers import SearcherPool, generation
from .snippets import query_terms, snippet
from .suggest import suggest

TIME_LIMIT = 2.0  # seconds a single query may run


class Engine:
    def __init__(self, index_dir: str | Path, time_limit: float = TIME_LIMIT, scheduler: str | None = None):
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        # A sharded index (search/shards.py) reads as one index; raises IndexNotFound.
        self._ix = shards.open_any(self.index_dir)
        self.sharded = isinstance(self._ix, shards.ShardedIndex)
        # --scheduler: shards matched and scored by Dask workers (search/fanout.py).
        self.fanout = None
        if scheduler:
            if not self.sharded:
                raise BadRequest(f"--scheduler serves sharded indexes; {self.index_dir} has no shards")
            from .fanout import DaskFanout

            self.fanout = DaskFanout(scheduler)
        self.searchers = SearcherPool(self._ix)
        self._parsers: dict[tuple[str, ...], object] = {}
        # Off: every query takes Whoosh's matchers (the reference the tests compare with).
        self.vectorize = True
        self.dense = hybrid.Dense(self.index_dir)  # vectors, if the index has them
        self.fusion: dict | None = None  # hybrid.fuse's parameters when not its defaults (the sweep)
        # Cross-script key tables, one per index generation, shared by the threads.
        self._xtables: tuple[int, xscript.Tables] | None = None
        self._xtables_lock = threading.Lock()
        # Set once warm_up has loaded what first queries wait for (/health says so).
        self.warm = threading.Event()

    # -- public API

    def warm_up(self) -> None:
        """Load what the first query would otherwise wait for (Persian lexicon, searcher,
        the completion table); then `warm` is set, whether or not a part failed."""
        try:
            for lang in LANGS:
                list(self._ix.schema[body_field(lang)].analyzer("ایران hubungan relations"))
            searcher = self.searchers.searcher()
            completions.table(searcher.reader())
            self._xscript_tables(searcher)
            self.dense.unavailable()  # loads the model when the index has vectors
        finally:
            self.warm.set()

    def count(self) -> int:
        return self.searchers.searcher().doc_count()

    def document(self, doc_id: str) -> Document:
        fields = self.searchers.retrying(lambda searcher: searcher.document(id=doc_id))
        if fields is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return _to_document(fields)

    def article(self, doc_id: str, q: str = "", similar: int = article.MORE_LIKE_THIS) -> article.Article:
        """One document with the words of `q` marked, and its closest other articles.

        :raise DocumentNotFound: no document has that id.
        """
        def work(searcher):
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            doc = _to_document(searcher.stored_fields(docnum))
            terms = set()
            if q.strip() and len(q) <= MAX_QUERY_CHARS:
                exists = self.searchers.terms(searcher)
                # The document's own spelling of a name typed in the other script is marked too.
                expansion = xscript.expand(searcher, self._xscript_tables(searcher), exists, q,
                                           (doc.lang or "en",))
                parts = self._parts((doc.lang or "en",), q, exists, expansion)
                terms = query_terms(searcher.reader(), union(list(parts.values())))
            found = article.read(searcher, docnum, doc, terms)
            # Its own near-duplicates are not "more like this".
            cols = columns.for_reader(searcher.reader())
            code = cols.dup[docnum]
            copies = np.flatnonzero(cols.dup == code)[:50] if code != columns.NO_CODE else []
            exclude = {doc.id, *(searcher.stored_fields(int(d))["id"] for d in copies)}
            return found, article.key_words(searcher.reader(), doc), exclude

        found, words, exclude = self.searchers.retrying(work)
        more = article.more_like_this(self, found.document, words, exclude, similar) if similar else []
        return replace(found, similar=more)

    def neighbours(self, doc_id: str, limit: int) -> list[tuple[str, float]]:
        """The documents nearest this one by meaning (search/hybrid.py), as (id, cosine);
        [] without vectors. What article.more_like_this lists first."""
        def work(searcher):
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return []
            view = self.dense.view(searcher, self.searchers.present_langs(searcher))
            ids = searcher.reader().column_reader("id")
            return [(ids[d], score) for d, score in hybrid.neighbours(searcher, view, docnum, limit)]

        return self.searchers.retrying(work)

    def complete(self, text: str, limit: int = 8) -> list[completions.Completion]:
        """Surface words of the index completing the last word of `text` (search/completions.py)."""
        return self.searchers.retrying(lambda searcher: completions.complete(searcher.reader(), text, limit))

    def stats(self) -> dict:
        searcher = self.searchers.searcher()
        reader = searcher.reader()
        by_lang = {lang: searcher.doc_frequency("lang", lang) for lang in LANGS}
        size = shards.index_size(self.index_dir)
        extra = self.shard_health() if self.sharded else {}
        return {**extra,
            "index": str(self.index_dir),
            "documents": searcher.doc_count(),
            "by_lang": {k: v for k, v in by_lang.items() if v},
            "segments": len(reader.leaf_readers()),
            "size_bytes": size,
            "generation": self._ix.latest_generation(),
            "vectors": self._vector_stats(searcher),
        }

    def shard_health(self) -> dict:
        """Every shard: open or not (and why), documents, generation (as published at its commit)."""
        self._ix.latest_generation()  # retries shards left out
        listed = []
        for i, d in enumerate(self._ix.dirs):
            published = shard_stats.read(d) or {}
            ok = i not in self._ix.failed
            entry = {"shard": i, "ok": ok, "documents": published.get("documents", 0),
                     "generation": published.get("generation")}
            if not ok:
                entry["error"] = self._ix.failed[i]
            listed.append(entry)
        return {"shards": self._ix.shards, "shard_list": listed}

    def _vector_stats(self, searcher) -> dict:
        """Vectors on or off, how many live documents have one, and whether the model loads."""
        manifest = vectors.read_manifest(self.index_dir)
        if manifest is None:
            return {"enabled": False}
        view = self.dense.view(searcher, self.searchers.present_langs(searcher))
        with_vector = int(view.has_vector.sum()) if view is not None else 0
        return {"enabled": True, "model": manifest.model, "passage_chars": manifest.chars,
                "documents_with_vector": with_vector,
                "documents_without_vector": searcher.doc_count() - with_vector,
                "unavailable": self.dense.unavailable()}

    def search(self, req: SearchRequest, exact_scores: bool = False) -> SearchResults:
        """`exact_scores`: the hits' scores as computed, not rounded to 4 places (for the
        identity check of a sharded index against one index)."""
        return self.searchers.retrying(lambda searcher: self._search(searcher, req, exact_scores))

    def _search(self, searcher, req: SearchRequest, exact_scores: bool = False) -> SearchResults:
        # Built once per index generation (a commit), like opening the searcher:
        # not part of one query's time budget.
        tables = self._xscript_tables(searcher) if req.xscript else None
        started = time.perf_counter()
        deadline = started + self.time_limit  # one budget for the whole request
        mode = self._mode(req)
        # The query's vector is computed on another core while the words are searched.
        qvec = hybrid.query_vector_soon(req.q) if mode != "lexical" else None
        # Only languages the index holds: each one searched costs term lookups in
        # two more fields for every word of the query, in every segment.
        present = self.searchers.present_langs(searcher)
        langs = (req.lang,) if req.lang else present
        exists = self.searchers.terms(searcher)
        respelled = respell(searcher, exists, req.q, present, deadline)
        expansion = None
        if tables is not None:
            expansion = xscript.expand(searcher, tables, exists, req.q, present)
        # Every present language is parsed: the facets count the others too.
        parts = self._parts(dict.fromkeys(present + langs), respelled.query, exists, expansion)
        q = union([parts[lang] for lang in langs if lang in parts])
        failed = dict(self._ix.failed) if self.sharded else {}
        if mode == "semantic":
            matched = {}
        elif self.fanout is not None:
            matched, late = self.fanout.match(searcher, parts, searcher.reader().shard_spans, self._ix.dirs,
                                              deadline, self.vectorize)
            failed.update(late)
        elif self.vectorize and all(vectorized.supports(p, searcher.schema) for p in parts.values()):
            # What people type (words, AND/OR/NOT, phrases): every match scored in
            # one pass over whole posting arrays (search/vectorized.py).
            stats = self.searchers.term_stats(searcher)
            stats.deadline = deadline
            matched = {lang: vectorized.match(searcher, part, stats) for lang, part in parts.items()}
        else:
            matched = {lang: collect.matches(searcher, part, deadline) for lang, part in parts.items()}
        if mode != "lexical":
            # The same matches with fused scores, plus the nearest documents (search/hybrid.py).
            matched = self._fused(searcher, req, mode, matched, present, qvec.result())
        # Filters, facets, timeline, order and near-duplicate folding (search/browse.py).
        refined = browse.refine(searcher, matched, req, langs)
        hits = []
        if refined.page:
            terms = query_terms(searcher.reader(), q) if req.snippets else set()
            for score, docnum, similar, count in refined.page:
                hit = _hit(searcher, terms, _Ranked(searcher, docnum, score), req.snippets, exact_scores)
                if count:
                    hit = replace(hit, similar_count=count, similar=[_brief(searcher, d) for d in similar])
                hits.append(hit)
        total = refined.total
        suggestion = respelled.suggestion
        if suggestion is None and req.page == 1 and total < 3 and time.perf_counter() < deadline:
            suggestion = suggest(searcher, exists, req.q, langs)
        return SearchResults(
            query=req.q, total=total, page=req.page, per_page=req.per_page,
            took_ms=(time.perf_counter() - started) * 1000, hits=hits,
            facets={"lang": refined.lang_counts, "source": refined.source_counts}, suggestion=suggestion,
            respelled=respelled.readings, total_collapsed=refined.total_collapsed,
            histogram=refined.histogram.to_dict() if refined.histogram else None, mode=mode,
            also_searched=expansion.shown_in(langs) if expansion is not None else {},
            shards_failed=sorted(failed) if self.sharded else None,
        )

    def _mode(self, req: SearchRequest) -> str:
        """The ranking a request gets: date sorting orders the lexical matches in every mode."""
        if req.sort != "relevance" or req.mode == "lexical":
            return "lexical"
        why = self.dense.unavailable()
        if why is None:
            return req.mode or "hybrid"
        if req.mode == "semantic":
            raise BadRequest(f"semantic search is unavailable: {why}")
        return "lexical"  # hybrid asked for (or the default) without vectors: words alone

    def _fused(self, searcher, req, mode, matched, present, qvec) -> dict[str, vectorized.Matches]:
        view = self.dense.view(searcher, present)
        prep = hybrid.prepare(searcher, view, qvec, mode, matched, present, req)
        return hybrid.fused(prep, self.fusion)

    # -- internals

    def _xscript_tables(self, searcher) -> xscript.Tables:
        gen = generation(searcher)
        found = self._xtables
        if found is None or found[0] != gen:
            with self._xtables_lock:
                found = self._xtables
                if found is None or found[0] != gen:
                    found = self._xtables = (gen, xscript.load(self.index_dir, searcher.reader()))
        return found[1]

    def _parts(self, langs, text: str, exists=None, expansion=None) -> dict[str, wq.Query]:
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
            if expansion is not None:
                q = xscript.apply(q, lang, expansion)
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


def _hit(searcher, terms: set[tuple[str, str]], hit, with_snippet: bool, exact: bool = False) -> Hit:
    fields = hit.fields()
    lang = fields.get("lang", "en")
    text = snippet(searcher.reader(), body_field(lang), terms, hit.docnum,
                   fields.get("text", "")) if with_snippet else ""
    date = fields.get("date")
    return Hit(
        id=fields["id"], title=fields.get("title", ""), lang=lang, score=(hit.score or 0.0) if exact else round(hit.score or 0.0, 4),
        snippet=text, date=date.date().isoformat() if date else None,
        source=fields.get("source"), url=fields.get("url"), author=fields.get("author"),
    )


def _brief(searcher, docnum: int) -> dict:
    """A folded near-duplicate as a result lists it."""
    fields = searcher.stored_fields(docnum)
    date = fields.get("date")
    return {"id": fields["id"], "title": fields.get("title", ""), "source": fields.get("source"),
            "date": date.date().isoformat() if date else None}


def _to_document(fields: dict) -> Document:
    date = fields.get("date")
    return Document(
        id=fields["id"], title=fields.get("title", ""), text=fields.get("text", ""),
        lang=fields.get("lang"), date=date.date() if date else None,
        source=fields.get("source"), url=fields.get("url"), author=fields.get("author"),
    )
