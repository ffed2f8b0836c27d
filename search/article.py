"""One article as a reader opens it: paragraphs with the query's words marked, and
"more like this".

Marks come from the index: the body field stores each term's character span, so
the words a query matched are marked where they stand in the stored text (a
lemma marks every inflection of it: «روابط» for a query of «رابطه»). Titles
store no spans and are short, so they are analyzed again.

More like this is lexical for now: the article's most distinctive surface words
(document frequency in the `words` field) searched as an OR query over every
language, so that a name both languages write alike finds the other language's
reports. An engine that can say which documents lie nearest in a vector space
offers `neighbours(doc_id, limit)`; when it does, its neighbours come first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from analyzers.words import surface_words

from .documents import Document
from .request import SearchRequest
from .schema import body_field, title_field
from .snippets import term_spans

KEY_WORDS = 12
MORE_LIKE_THIS = 5
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


@dataclass(frozen=True)
class Article:
    document: Document
    title: list[tuple[str, bool]]  # (text, marked) pieces
    paragraphs: list[list[tuple[str, bool]]]
    marked: int  # how many words are marked in the text
    similar: list[dict] = field(default_factory=list)


def read(searcher, docnum: int, document: Document, terms: set[tuple[str, str]]) -> Article:
    lang = document.lang or "en"
    body_terms = {t for f, t in terms if f == body_field(lang)}
    spans = term_spans(searcher.reader(), body_field(lang), body_terms, docnum) if body_terms else []
    title_terms = {t for f, t in terms if f == title_field(lang)}
    title_spans = _analyzed_spans(searcher.schema[title_field(lang)].analyzer, document.title, title_terms)
    return Article(
        document=document,
        title=_pieces(document.title, _merge(title_spans)),
        paragraphs=_paragraphs(document.text, spans),
        marked=len(_merge(spans)),
    )


def _analyzed_spans(analyzer, text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    if not terms or not text:
        return []
    return [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True, mode="index")
            if t.text in terms]


def _merge(spans) -> list[tuple[int, int]]:
    """Overlapping spans (a lemma and its surface form share one) as one span."""
    merged: list[list[int]] = []
    for start, end, _t in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _pieces(text: str, spans: list[tuple[int, int]], offset: int = 0) -> list[tuple[str, bool]]:
    """`text` cut into unmarked and marked pieces; spans are offsets into the whole text."""
    out, cursor = [], 0
    for start, end in spans:
        start, end = start - offset, end - offset
        if start < cursor or end > len(text):
            continue
        if start > cursor:
            out.append((text[cursor:start], False))
        out.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        out.append((text[cursor:], False))
    return out


def _paragraphs(text: str, spans) -> list[list[tuple[str, bool]]]:
    marks = _merge(spans)
    out, start = [], 0
    for m in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[start:end]
        if chunk.strip():
            inside = [(s, e) for s, e in marks if s >= start and e <= end]
            out.append(_pieces(chunk, inside, offset=start))
        if m:
            start = m.end()
    return out


def key_words(reader, document: Document, limit: int = KEY_WORDS) -> list[str]:
    """The article's most distinctive surface words: frequent in it, rare in the index."""
    counts = Counter(surface_words(f"{document.title}\n{document.title}\n{document.text}"))
    n = max(1, reader.doc_count())
    scored = []
    for word, tf in counts.items():
        if len(word) < 3:
            continue
        df = reader.doc_frequency("words", word)
        if df <= 1 and n > 1:
            continue  # only this article has it: it cannot find another
        scored.append((tf * math.log(1 + n / max(df, 1)), word))
    scored.sort(reverse=True)
    return [w for _s, w in scored[:limit]]


def more_like_this(engine, document: Document, words: list[str], exclude: set[str],
                   limit: int = MORE_LIKE_THIS) -> list[dict]:
    found: list[dict] = []
    seen = set(exclude)
    neighbours = getattr(engine, "neighbours", None)
    if callable(neighbours):  # vectors, when the index has them
        for doc_id, _score in neighbours(document.id, limit + len(seen)) or []:
            if doc_id not in seen:
                seen.add(doc_id)
                found.append(_brief(engine.document(doc_id)))
    if words and len(found) < limit:
        # Its own words, as written: names read across scripts would pull in the
        # other language's coverage, which is not "like this" article.
        # Lexical: the neighbours above already are the meaning side, and a model
        # call for a dozen key words would double an article page's cost.
        results = engine.search(SearchRequest(q=" ".join(words), per_page=limit + len(seen) + 1,
                                              snippets=False, xscript=False, mode="lexical"))
        for hit in results.hits:
            if hit.id not in seen and len(found) < limit:
                seen.add(hit.id)
                seen.update(s["id"] for s in hit.similar)
                found.append({"id": hit.id, "title": hit.title, "lang": hit.lang, "source": hit.source,
                              "date": hit.date})
    return found[:limit]


def _brief(doc: Document) -> dict:
    return {"id": doc.id, "title": doc.title, "lang": doc.lang, "source": doc.source,
            "date": doc.date.isoformat() if doc.date else None}
