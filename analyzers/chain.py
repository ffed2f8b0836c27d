"""Whoosh glue shared by every language: a normalizing tokenizer and a term filter.

The language modules keep their rules in plain functions (`term_fa(word)`,
`stem_id(word)`); these two classes are the thin adapters that put them into a
Whoosh token stream. Both pickle as plain configuration: Whoosh stores the schema,
analyzers included, in the index at every commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from whoosh.analysis import Filter, Token, Tokenizer

from .common import normalize_chars


class NormalizingTokenizer(Tokenizer):
    """Normalize characters (common.normalize_chars), then split with a regex.

    `prepare` rewrites the normalized text without changing its length (e.g. a
    space that Persian spelling treats as a ZWNJ), so offsets stay exact.
    `startchar`/`endchar` point into the original text.
    """

    def __init__(self, pattern: str, prepare: Callable[[str], str] | None = None):
        self.pattern = pattern
        self.prepare = prepare
        self._regex = re.compile(pattern)

    def __getstate__(self):
        return {"pattern": self.pattern, "prepare": self.prepare}

    def __setstate__(self, state):
        self.__init__(state["pattern"], state["prepare"])

    def __eq__(self, other):
        return type(self) is type(other) and self.__getstate__() == other.__getstate__()

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs) -> Iterator[Token]:
        text, offsets = normalize_chars(value)
        if self.prepare is not None:
            text = self.prepare(text)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Prefix/wildcard terms and exact lookups: the whole value is one term.
            t.original = t.text = text.strip()
            if not t.text:
                return  # blank or all-invisible: no term (an empty prefix matches everything)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        pos = start_pos
        for match in self._regex.finditer(text):
            t.text = match.group()
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = t.text
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                s, e = match.span()
                if offsets is not None:
                    # The end reaches up to the next kept character, so marks that
                    # normalization dropped after the word (کتابْ) stay inside it.
                    s, e = offsets[s], max(offsets[e - 1] + 1, offsets[e])
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


class TermFilter(Filter):
    """Turn each token's text into its index term with `func`; None means stop word.

    `func` is a module-level function (so it pickles by name) that composes a
    language's per-word steps behind one cache: most tokens of news repeat, so one
    lookup per token beats running normalizer, lemmatizer and stop list each time.
    Positions are renumbered over the kept tokens, so a phrase query whose stop word
    was removed ("ایران و آذربایجان") still matches the same words in a document.

    With `surface` (Lucene's KeywordRepeatFilter), indexing also emits the word's
    surface term, at the same position, when it differs from the lemma: a question
    asking for "کتاب‌ها" then ranks a passage with "کتاب‌ها" above one with only
    "کتاب", while every inflection still matches. Extra tokens come only in
    "index" mode and carry `t.surface = True`; query parsing adds them as separate
    leaves (search/query.py), and phrases, which tokenize in "query" mode, keep one
    term per position. Unlike Lucene (discountOverlaps), Whoosh counts them in the
    field's length.
    """

    def __init__(self, func: Callable[[str], str | None],
                 surface: Callable[[str], str] | None = None):
        self.func = func
        self.surface = surface

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("surface", None)  # indexes pickled before `surface`

    def __eq__(self, other):
        return (type(self) is type(other) and self.func is other.func
                and self.surface is other.surface)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        func = self.func
        surface = self.surface
        shift = 0
        for t in tokens:
            word = t.text
            term = func(word)
            if term is None:
                if t.positions:
                    shift += 1
                if not t.removestops:
                    t.stopped = True
                    t.surface = False
                    yield t
                continue
            t.text = term
            t.surface = False
            if t.positions and shift:
                t.pos -= shift
            yield t
            if surface is not None and t.mode == "index":
                form = surface(word)
                if form != term:
                    t.text = form
                    t.surface = True
                    yield t


def surface_terms(analyzer, text: str) -> list[str]:
    """The surface terms (see TermFilter) that indexing `text` adds beside its lemmas."""
    if not any(getattr(f, "surface", None) for f in getattr(analyzer, "items", ())):
        return []  # no surface terms in this chain (Indonesian): skip a second analysis
    return [t.text for t in analyzer(text, mode="index") if getattr(t, "surface", False)]



def index_occurrences(analyzer, value: str, chars: bool) -> dict[str, list] | None:
    """What indexing `value` with `analyzer` records, without Token objects: each term's
    occurrences in order of first appearance, as `position` or (position, start, end).

    The same terms, positions and spans as the token stream of `analyzer(value,
    positions=True, chars=chars, mode="index")` (tests/analyzers/test_chain.py): one
    loop instead of a generator per stage and an attribute write per token, for
    indexing, which runs every document's fields through here. None when `analyzer`
    is not a NormalizingTokenizer followed by a TermFilter, the only chain this knows.
    """
    items = getattr(analyzer, "items", None)
    if (not items or len(items) != 2 or type(items[0]) is not NormalizingTokenizer
            or type(items[1]) is not TermFilter):
        return None
    tokenizer, terms = items
    text, offsets = normalize_chars(value)
    if tokenizer.prepare is not None:
        text = tokenizer.prepare(text)
    func, surface = terms.func, terms.surface
    seen: dict[str, list] = {}
    get = seen.get
    pos = 0  # stop words take no position (TermFilter renumbers over the kept tokens)
    for match in tokenizer._regex.finditer(text):
        word = match.group()
        term = func(word)
        if term is None:
            continue
        if chars:
            s, e = match.span()
            if offsets is not None:
                s, e = offsets[s], max(offsets[e - 1] + 1, offsets[e])
            occ = (pos, s, e)
        else:
            occ = pos
        found = get(term)
        if found is None:
            seen[term] = [occ]
        else:
            found.append(occ)
        if surface is not None:
            form = surface(word)
            if form != term:
                found = get(form)
                if found is None:
                    seen[form] = [occ]
                else:
                    found.append(occ)
        pos += 1
    return seen
