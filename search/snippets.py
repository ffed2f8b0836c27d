"""Snippets: the best window of a document's text, HTML-escaped, matches in <mark>.

Character spans come from the index (the body fields store each term's offsets
into the original text), so a snippet costs a few posting lookups, not a
re-analysis of the whole document.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable

from whoosh import query as wq

from . import postings

WIDTH = 240  # characters of text around the matches
MAX_MARKS = 12


def query_terms(reader, q: wq.Query) -> set[tuple[str, str]]:
    """Every (field, term) a query can match, prefixes and wildcards expanded.

    Terms under NOT are left out: a snippet marks what was found, not what was excluded.
    Expanded once per search, not per hit: a prefix can expand to many terms.
    """
    terms = set()

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


def snippet(reader, fieldname: str, terms: set[tuple[str, str]], docnum: int, text: str) -> str:
    """The snippet of one hit: its stored `text` with the query's `terms` of `fieldname` marked."""
    field_terms = {term for fname, term in terms if fname == fieldname}
    return make_snippet(text, term_spans(reader, fieldname, field_terms, docnum))


def term_spans(reader, fieldname: str, terms: Iterable[str], docnum: int) -> list[tuple[int, int, str]]:
    """(start, end, term) of every occurrence of `terms` in one document's field."""
    # Only the document's own segment: a multi-segment reader would look every
    # term up in every segment.
    leaf, docnum = _segment_of(reader, docnum)
    field = leaf.schema[fieldname]
    spans = []
    for term in terms:
        try:
            btext = field.to_bytes(term)
        except ValueError:  # not a value this field can hold
            continue
        # One binary search in the term's ids and the posting's spans, instead of
        # a matcher walking the list.
        spans.extend((start, end, term) for start, end in postings.spans_of(leaf, fieldname, btext, docnum))
    spans.sort()
    return spans


def _segment_of(reader, docnum: int):
    """(leaf reader, docnum within it) of a top-level docnum."""
    # Always a leaf: a sharded index's reader is a MultiReader even when it has one
    # segment (its other shards empty), and that wrapper has no postings of its own.
    leaves = list(reader.leaf_readers())
    offsets = [base for _r, base in leaves]
    i = bisect.bisect_right(offsets, docnum) - 1 if len(leaves) > 1 else 0
    leaf, base = leaves[i]
    return leaf, docnum - base


def best_window(spans: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The window of `width` chars that holds the most distinct terms, then most matches."""
    best = (0, 0, 0)  # (distinct, count, -start)
    best_start = spans[0][0]
    j = 0
    for i, (start, _end, _t) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= start + width:
            j += 1
        inside = spans[i:j]
        score = (len({t for _s, _e, t in inside}), len(inside), -start)
        if score > best:
            best, best_start = score, start
    return best_start, best_start + width


def make_snippet(text: str, spans: list[tuple[int, int, str]], width: int = WIDTH) -> str:
    """HTML: the text around the best cluster of spans; everything but <mark> escaped."""
    if not spans:
        return _escape(_trim(text, 0, width))
    first, limit = best_window(spans, width)
    last = max((e for s, e, _t in spans if s >= first and e <= limit), default=first)
    lo = max(0, first - (width - (last - first)) // 2)  # center the cluster
    hi = min(len(text), lo + width)
    lo, hi = _word_bounds(text, lo, hi)
    out = ["…" if lo > 0 else ""]
    cursor = lo
    marks = 0
    for start, end, _term in spans:
        if start < cursor or end > hi or marks >= MAX_MARKS:
            continue
        out.append(_escape(text[cursor:start]))
        out.append(f"<mark>{_escape(text[start:end])}</mark>")
        cursor = end
        marks += 1
    out.append(_escape(text[cursor:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)


def _escape(s: str) -> str:
    return html.escape(_SPACES.sub(" ", s), quote=True)


_SPACES = re.compile(r"\s+")


def _trim(text: str, lo: int, width: int) -> str:
    lo, hi = _word_bounds(text, lo, min(len(text), lo + width))
    return text[lo:hi] + ("…" if hi < len(text) else "")


def _word_bounds(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Move a window's edges to whitespace so no word is cut in half."""
    if lo > 0:
        space = text.find(" ", lo, lo + 30)
        if space != -1:
            lo = space + 1
    if hi < len(text):
        space = text.rfind(" ", hi - 30, hi)
        if space > lo:
            hi = space
    return lo, hi
