"""Hybrid and semantic ranking: BM25F matches fused with exact inner products.

A query's candidates are its lexical matches (every one, with its BM25F score)
plus, per language, the DENSE_K documents whose vectors are nearest the query's
(exact: one matrix-vector product over the memory-mapped vectors, restricted to
the language, source and dates asked for). The fused score is computed for
every candidate, so totals, facets and pages agree with each other: a
language's facet is its lexical matches plus its DENSE_K nearest, the very set
a search restricted to it ranks. A document without a vector yet (embedding
lags the lexical commit) is still a lexical candidate.

Fusion (see `fuse`): chosen by a sweep on the dev half, bench/fusion_sweep.py;
the figures are in the comment above FUSION.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from . import dense_service, embedding, vectorized, vectors
from .request import MODES  # noqa: F401  (re-exported: the modes this module ranks)

# Dense candidates per language. The relevance bench reads the top 100.
DENSE_K = 100

# Fusion: a linear mix of BM25F scaled by the best match's and the cosine scaled
# between the language's DENSE_K-th nearest and its nearest: 0.2 on the cosine, and
# 0.4 for a question whose words single out no document (QUESTION_RULE). The whole
# dev half (6,980 fa / 4,588 id questions over all 3,504 / 6,018 passages), MRR@10,
# passages of 200 characters (python bench/fusion_sweep.py [--short]):
#   fusion                       parsinlu pqa    pquad  fa     | facqa  tydi   id
#   lexical                      0.7273  0.9292  0.9475 0.8680 | 0.8262 0.6746 0.7504
#   semantic                     0.7563  0.8869  0.6541 0.7658 | 0.6798 0.7719 0.7259
#   rrf k=10 w=0.5               0.7618  0.9384  0.8742 0.8581 | 0.7905 0.7345 0.7625
#   linear w=0.2                 0.7662  0.9455  0.9512 0.8876 | 0.8299 0.7545 0.7922
#   linear w=0.3                 0.7849  0.9475  0.9451 0.8925 | 0.8241 0.7777 0.8009
#   zscore w=0.3 K=200           0.7773  0.9492  0.9501 0.8922 | 0.8245 0.7700 0.7973
#   w=0.2, flat(gap<0.1) 0.4     0.7865  0.9559  0.9497 0.8974 | 0.8256 0.7766 0.8011
#   w=0.2, flat(gapd<0.1) 0.4    0.7865  0.9559  0.9497 0.8974 | 0.8276 0.7766 0.8021  (chosen)
#   w=0.2, flat(gapd<0.1) 0.5    0.7922  0.9584  0.9487 0.8997 | 0.8241 0.7825 0.8033
# The chosen rule is the one setting that lowers no source in either language.
# Reciprocal-rank fusion throws away how far ahead BM25F's first answer is, and
# on PQuAD and FacQA (questions that reuse the passage's words) that is most of
# the signal. A fixed weight trades those sources against the rephrased ones
# (tydi, parsinlu): 0.3 already costs PQuAD and FacQA. Standard scores (zscore)
# and min-max over the top k did no better than the plain scale. What separates
# them is per query: when the best lexical match barely leads the next one, the
# words have not found the answer and meaning should decide more.
FUSION = "linear"
RRF_K = 60.0
DENSE_WEIGHT = 0.2  # linear: share of the dense score; rrf: weight of the dense ranking's term
# For a question (is_question) whose best BM25F leads the next lower score by under a
# tenth. Equal scores do not count as competitors: they are copies of one text
# (syndicated news, a repeated passage). Keyword queries keep DENSE_WEIGHT: their
# lexical lists are flat by nature (every report on "harga minyak" matches alike),
# and the dev sets hold no keyword queries to justify more.
QUESTION_RULE = {"flat_weight": 0.4, "signal": "gapd", "confident_at": 0.1}

# Lintas's own syntax, which the model should not read; the rest (question marks,
# parentheses) is part of how people ask.
_SYNTAX = re.compile(r'\b(?:AND|OR|NOT)\b|\b(?:title|lang|source):|["*]')


def query_text(q: str) -> str:
    """The query without its syntax (operators, fields, quotes, prefix stars): what the model reads."""
    return " ".join(_SYNTAX.sub(" ", q).split()) or q.strip()


_qcache: OrderedDict[str, np.ndarray] = OrderedDict()
_qlock = threading.Lock()
# Query vectors remembered per process (0: none; bench/perf_hybrid.py measures that way).
QUERY_CACHE = int(os.environ.get("LINTAS_QUERY_VECTOR_CACHE", "512"))


_known: dict[str, np.ndarray] = {}
EMBED_THREADS = max(2, os.cpu_count() or 1)


def remember_queries(texts, vecs) -> None:
    """Vectors computed elsewhere for these query texts (bench/relevance.py's cache)."""
    _known.update(zip(texts, np.asarray(vecs, np.float32)))


def query_vector(q: str) -> np.ndarray:
    """The query's vector, remembered for the last few hundred queries (paging repeats them)."""
    text = query_text(q)
    vec = _remembered(text)
    return vec if vec is not None else _embed(text)


def query_vector_soon(q: str) -> Future:
    """query_vector(q), computed on another thread while the caller searches the words.

    The model runs in C with the GIL released (ctypes), so the query's embedding
    and its lexical search use both cores, and a hybrid query takes about the
    longer of the two instead of their sum.
    """
    text = query_text(q)
    vec = _remembered(text)
    if vec is not None:
        done: Future = Future()
        done.set_result(vec)
        return done
    return _pool().submit(_embed, text)


def _remembered(text: str) -> np.ndarray | None:
    if text in _known:
        return _known[text]
    with _qlock:
        vec = _qcache.get(text)
        if vec is not None:
            _qcache.move_to_end(text)
        return vec


def _embed(text: str) -> np.ndarray:
    svc = dense_service.client()
    vec = None
    if svc is not None:  # `lintas serve`: the model lives in one process for all workers
        try:
            vec = svc.embed(text)
        except dense_service.Unavailable:
            pass
    if vec is None:
        vec = embedding.embed_query(text)
    if QUERY_CACHE:
        with _qlock:
            _qcache[text] = vec
            if len(_qcache) > QUERY_CACHE:
                _qcache.popitem(last=False)
    return vec


_executor: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    global _executor
    _executor = None


# A forked process (a pre-fork server worker) inherits the pool but not its threads:
# it would queue embeddings that nothing runs. It starts its own on first use.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _qlock:
            if _executor is None:
                # As many as the request threads that can embed at once; each embedding is one core.
                _executor = ThreadPoolExecutor(max_workers=EMBED_THREADS, thread_name_prefix="lintas-embed")
    return _executor


def forget_queries() -> None:
    """Empty the query-vector cache (what the latency bench does before each query)."""
    with _qlock:
        _qcache.clear()


class _View:
    """What one index generation needs for dense scoring, shared by the threads reading it."""

    def __init__(self, searcher, snapshot: vectors.Snapshot, langs):
        reader = searcher.reader()
        self.snapshot = snapshot
        hashes = vectors.doc_hashes(reader)
        self.rows = snapshot.rows(hashes)
        self.rows[hashes == b""] = -1  # deleted
        self.has_vector = self.rows >= 0
        self.n = len(hashes)
        self.lang = {}
        for lang in langs:
            mask = np.zeros(self.n, bool)
            ids = np.fromiter(searcher.docs_for_query(wq.Term("lang", lang)), np.int64)
            mask[ids[ids < self.n]] = True
            self.lang[lang] = mask

    def dense(self, qvec: np.ndarray) -> np.ndarray:
        """Cosine of every docnum with the query; -inf for documents without a vector."""
        by_row = None
        svc = dense_service.client()
        if svc is not None:  # the matrix resident in one process, not in every worker
            try:
                by_row = svc.scores(self.snapshot.manifest.generation, qvec)
            except dense_service.Unavailable:
                pass
        if by_row is None:
            by_row = self.snapshot.scores(qvec)
        out = np.full(self.n, -np.inf, np.float32)
        out[self.has_vector] = by_row[self.rows[self.has_vector]]
        return out


class Dense:
    """An engine's access to the vectors: the newest snapshot and a view per generation."""

    def __init__(self, index_dir):
        self.reader = vectors.VectorReader(index_dir)
        self._views: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def unavailable(self) -> str | None:
        """Why hybrid and semantic search cannot run now; None when they can."""
        snap = self.reader.snapshot()
        if snap is None:
            return self.reader.error or "this index has no vectors: build them with `lintas index --vectors`"
        svc = dense_service.client()
        if svc is not None:
            try:
                return svc.status()
            except dense_service.Unavailable:
                pass
        if not embedding.available():
            return embedding.load_error()
        return None

    def view(self, searcher, langs) -> _View | None:
        snap = self.reader.snapshot()
        if snap is None:
            return None
        key = (searcher.reader().generation(), snap.manifest.generation, id(snap), langs)
        with self._lock:
            view = self._views.get(key)
        if view is None:
            view = _View(searcher, snap, langs)
            with self._lock:
                self._views[key] = view
                while len(self._views) > 2:
                    self._views.popitem(last=False)
        return view

    def status(self) -> dict:
        snap = self.reader.snapshot()
        return {"vectors": len(snap) if snap is not None else 0,
                "model": embedding.MODEL if snap is not None else None,
                "unavailable": self.unavailable()}


def neighbours(searcher, view: _View | None, docnum: int, limit: int) -> list[tuple[int, float]]:
    """The `limit` live documents whose stored vectors lie nearest this one's, nearest first.

    (docnum, cosine) pairs, any language. Uses the stored vector only: no model
    call, so an article page costs one inner product. [] when the document has no
    vector (the index has none, or the embedding pass has not reached it).
    """
    if view is None or not 0 <= docnum < view.n or view.rows[docnum] < 0 or limit <= 0:
        return []
    scores = view.dense(view.snapshot.vector(int(view.rows[docnum])))
    scores[docnum] = -np.inf
    ids = np.flatnonzero(np.isfinite(scores))
    top = _top(ids, scores[ids], limit)
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(d), float(scores[d])) for d in top]


def fuse(p: dict, method: str = FUSION, k: float = RRF_K, weight: float = DENSE_WEIGHT,
         flat_weight: float | None = None, confident_at: float = 0.0, signal: str = "z") -> np.ndarray:
    """Fused scores of one language's candidates (`p`: what _prepare_language gives).

    lex_scores / lex_rank: BM25F and 1-based rank among the lexical matches (0 and
    inf for candidates that do not match the words). dense / dense_rank: cosine
    and 1-based rank among the documents allowed (-inf and inf without a vector).
    rrf: 1/(k + lexical rank) + weight/(k + dense rank), ranks past DENSE_K as DENSE_K + 1.
    linear: (1 - weight) * BM25F / the best BM25F + weight * the cosine scaled to
    [0, 1] between the DENSE_K-th nearest and the nearest.
    minmax: as linear, BM25F scaled between the DENSE_K-th match and the best, as
    the cosine is. zscore: each side as standard scores over its own top DENSE_K.
    When no candidate can match the words (another language), the dense part
    stands in for the lexical one. flat_weight: the weight when the words single
    out no document (`signal` below confident_at; z: the best BM25F's standard
    score over the top k; gap: its lead over the second, relative; gapd: its lead
    over the next lower score, relative).
    """
    if flat_weight is not None and not p["substitute"] and p[signal] < confident_at:
        weight = flat_weight
    dense, ok = p["dense"], np.isfinite(p["dense"])
    # A document without a vector yet (the embedding pass lags the commit) takes its
    # lexical standing for its dense one, rather than ranking as if it meant nothing.
    if method == "rrf":
        dense_rank = np.where(np.isfinite(p["dense_rank"]), p["dense_rank"], p["lex_rank"])
        return 1.0 / (k + p["lex_rank"]) + weight / (k + dense_rank)
    if method == "zscore":
        d = (np.where(ok, dense, p["d_mean"]) - p["d_mean"]) / p["d_std"]
        lex = d if p["substitute"] else (p["lex_scores"] - p["l_mean"]) / p["l_std"]
    elif method in ("linear", "minmax"):
        span = p["top"] - p["floor"]
        if span < 1e-6:  # a language with one document (or all alike): nothing to scale between
            d = np.where(ok, 1.0, 0.0)
        else:
            d = np.clip((np.where(ok, dense, p["floor"]) - p["floor"]) / span, 0.0, 1.0)
        if p["substitute"]:
            lex = d
        elif method == "linear":
            lex = p["lex_scores"] / p["lex_top"] if p["lex_top"] > 0 else np.zeros_like(p["lex_scores"])
        else:
            lspan = p["lex_top"] - p["lex_floor"]
            lex = (np.clip((p["lex_scores"] - p["lex_floor"]) / lspan, 0.0, 1.0) if lspan > 1e-9
                   else np.where(p["lex_hit"], 1.0, 0.0))
            lex = np.where(p["lex_hit"], lex, 0.0)
    else:
        raise ValueError(f"unknown fusion {method!r}")
    d = np.where(ok, d, lex)
    return (1.0 - weight) * lex + weight * d


def ranks_of(values: np.ndarray, sorted_desc: np.ndarray) -> np.ndarray:
    """1-based rank of each value within `sorted_desc` (ties share the best rank).

    `sorted_desc` is a list's top k: a value below all of them ranks k + 1 (RRF's
    term for it is then a bound, not its exact rank).
    """
    # Number of values strictly greater, + 1.
    asc = sorted_desc[::-1]
    return (len(asc) - np.searchsorted(asc, values, side="right") + 1).astype(np.float64)


@dataclass
class Prepared:
    """A query's candidates with what fusion needs, per language (fusion itself is `fused`)."""

    mode: str
    lists: dict[str, dict]
    question: bool = False  # asked in words (is_question): the dense side weighs more


# What marks a query as a question asked in words rather than keywords: a question
# mark, a question word of either language, or a sentence's length. Keyword queries
# ("harga minyak", "انتخابات مجلس") are where BM25F's exact matches are the signal;
# a question's words are often not its answer's (kapankah / "Hari Buruh").
_QUESTION_WORDS = frozenset(
    "apa apakah siapa siapakah kapan kapankah dimana dimanakah manakah kemana kemanakah berapa "
    "berapakah bagaimana bagaimanakah mengapa kenapa "
    "چه چی چرا کی کجا چگونه چطور چند چندم چندمین آیا کدام کدوم چیست کیست چقدر چیه کیه کجاست".split())
QUESTION_LENGTH = 6  # words


def is_question(q: str) -> bool:
    """Whether `q` reads as a question in words (see _QUESTION_WORDS)."""
    if "?" in q or "\u061f" in q:
        return True
    words = re.findall(r"\w+", q.lower())
    return len(words) >= QUESTION_LENGTH or any(w in _QUESTION_WORDS for w in words)


def prepare(searcher, view: _View, qvec: np.ndarray, mode: str, lexical: dict[str, vectorized.Matches],
            facet_langs, req, k: int = DENSE_K) -> Prepared:
    """Each language's candidates: its lexical matches and its DENSE_K nearest.

    Each language is fused on its own (its BM25F ranks, its documents' dense
    ranks) and the languages' lists merged by fused score. Raw cosines favour the
    query's own language (e5 put every Indonesian seed article nearer an
    Indonesian question than the Persian article on its very topic), and a
    language the query's words cannot reach has no lexical ranks at all: its
    documents are ranked by meaning alone, that ranking standing in for the
    missing lexical one, so the best Persian answer to an Indonesian question
    competes with the best Indonesian ones instead of trailing every word match.
    The date and source filters restrict the nearest documents as they restrict
    the matches (search/browse.py applies them to both afterwards).
    """
    allowed_base = view.has_vector.copy()
    fmask = _filter_mask(searcher, req, view.n)
    if fmask is not None:
        allowed_base &= fmask
    dense_all = view.dense(qvec)
    lists = {}
    for lang in facet_langs:
        allowed = allowed_base & view.lang.get(lang, np.zeros(view.n, bool))
        ids = np.flatnonzero(allowed)
        top = _top(ids, dense_all[ids], k)
        lex_ids = np.zeros(0, np.int64)
        lex_sc = np.zeros(0, np.float64)
        m = lexical.get(lang)
        if mode != "semantic" and m is not None and len(m):
            lex_ids, lex_sc = m.docnums, m.scores
            if fmask is not None:
                keep = fmask[lex_ids]
                lex_ids, lex_sc = lex_ids[keep], lex_sc[keep]
        cand = np.union1d(lex_ids, top)
        if len(cand):
            lists[lang] = _prepare_language(cand, lex_ids, lex_sc, dense_all, ids, mode, k)
    return Prepared(mode, lists, is_question(req.q))


def fused(prep: Prepared, fusion: dict | None = None) -> dict[str, vectorized.Matches]:
    """Each language's candidates with their fused scores, as the lexical path's matches."""
    # The chosen rule, unless the caller (the sweep) gives its own parameters.
    fusion = dict(fusion) if fusion else dict(QUESTION_RULE if prep.question else {})
    out = {}
    for lang, p in prep.lists.items():
        if prep.mode == "semantic":
            scores = p["dense"].astype(np.float64)
        else:
            scores = fuse(p, **fusion)
        out[lang] = vectorized.Matches(p["cand"], scores)
    return out


def _filter_mask(searcher, req, n: int) -> np.ndarray | None:
    """The request's date and source filters over every docnum (as search/browse.py reads them)."""
    from . import columns

    if not (req.date_from or req.date_to or req.source):
        return None
    cols = columns.for_reader(searcher.reader())
    mask = np.ones(n, bool)
    if req.date_from or req.date_to:
        lo = req.date_from.toordinal() if req.date_from else 1
        hi = req.date_to.toordinal() if req.date_to else np.iinfo(np.int32).max
        mask &= (cols.day >= lo) & (cols.day <= hi)
    if req.source:
        code = columns.SOURCES.code(req.source)
        mask &= cols.source == code if code is not None else np.zeros(n, bool)
    return mask


def _prepare_language(cand, lex_ids, lex_sc, dense_all, allowed_ids, mode, k=DENSE_K) -> dict:
    """One language's candidates with their lexical and dense scores, ranks and scales."""
    dense = dense_all[cand]
    if len(lex_ids):
        at = np.minimum(np.searchsorted(lex_ids, cand), len(lex_ids) - 1)
        lex_hit = lex_ids[at] == cand
        lex_scores = np.where(lex_hit, lex_sc[at], 0.0)
    else:
        lex_hit = np.zeros(len(cand), bool)
        lex_scores = np.zeros(len(cand), np.float64)
    if mode == "semantic":
        return {"cand": cand, "dense": dense, "lex_hit": lex_hit}
    # Only the top k of either side is sorted: a common word matches most of a
    # 100k index, and every scale below needs no more than its top k.
    d_top = _top_sorted(dense_all[allowed_ids], k)
    dense_rank = np.where(np.isfinite(dense), ranks_of(dense, d_top), np.inf)
    out = {"cand": cand, "lex_hit": lex_hit, "dense": dense, "lex_scores": lex_scores,
           "dense_rank": dense_rank, "substitute": not len(lex_ids),
           "floor": float(d_top[-1]) if len(d_top) else 0.0, "top": float(d_top[0]) if len(d_top) else 1.0,
           "d_mean": float(d_top.mean()) if len(d_top) else 0.0, "d_std": _std(d_top)}
    if len(lex_ids):
        l_top = _top_sorted(lex_sc, k)
        out.update(lex_rank=np.where(lex_hit, ranks_of(lex_scores, l_top), np.inf),
                   lex_top=float(l_top[0]), lex_floor=float(l_top[-1]) if len(l_top) >= k else 0.0,
                   l_mean=float(l_top.mean()), l_std=_std(l_top))
        out["z"] = (out["lex_top"] - out["l_mean"]) / out["l_std"] if len(l_top) > 2 else np.inf
        out["gap"] = (l_top[0] - l_top[1]) / l_top[0] if len(l_top) > 1 and l_top[0] > 0 else np.inf
        # The same over distinct scores: equal scores are copies of one text (syndicated
        # news, a repeated passage), not two documents competing for the words.
        below = l_top[l_top < l_top[0]]
        out["gapd"] = (l_top[0] - below[0]) / l_top[0] if len(below) and l_top[0] > 0 else np.inf
    else:
        # The words reach no document of this language: meaning stands in for them.
        out.update(lex_rank=dense_rank, lex_top=1.0, lex_floor=0.0, l_mean=0.0, l_std=1.0, z=np.inf, gap=np.inf,
                   gapd=np.inf)
    return out


def _top_sorted(values: np.ndarray, k: int) -> np.ndarray:
    """The k highest values, highest first (float64)."""
    values = np.asarray(values, np.float64)
    if len(values) > k:
        values = np.partition(values, len(values) - k)[len(values) - k:]
    return np.sort(values)[::-1]


def _std(x: np.ndarray) -> float:
    """Standard deviation, never 0 (one candidate, or all alike, scale by 1)."""
    s = float(x.std()) if len(x) > 1 else 0.0
    return s if s > 1e-9 else 1.0


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """The k ids of highest score (ties: lower docnum), ascending by docnum."""
    if len(ids) <= k:
        return ids
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    keep = scores > kth
    ties = np.flatnonzero(scores == kth)[: k - int(keep.sum())]
    keep[ties] = True
    return ids[keep]
