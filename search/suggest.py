""""Did you mean": replace query words no document contains with a near, frequent word.

Index terms are lemmas and stems, so a correction is found among the terms and
then shown as a surface word that a document actually uses (hubungn -> hubungan,
not the stem hubung).
"""

from __future__ import annotations

from .bm25 import doc_frequency
from .fuzzy import terms_within
from .query import plain_words
from .respell import term, unknown
from .schema import body_field

MAX_WORDS = 8


def _max_dist(term: str) -> int:
    return 1 if len(term) <= 5 else 2


def suggest(searcher, exists, text: str, langs) -> str | None:
    """A corrected query, or None if every word is known (or nothing better exists).

    `exists` tells whether the index holds a (field, term) (search.plan.TermCache).
    """
    words = plain_words(text).split()
    if not words or len(words) > MAX_WORDS:
        return None
    reader = searcher.reader()
    out, changed = [], False
    for word in words:
        # Known in any language (or a stop word, or split by the analyzer): keep it.
        # Checked for all languages before any fuzzy search, which walks a field's
        # whole term dictionary: an Indonesian word must not cost a fuzzy search
        # of the Persian field first.
        candidates = []  # (doc frequency, field, term)
        if unknown(exists, word.lower(), langs):
            for lang in langs:
                t = term(lang, word.lower())  # not None: a stop word counts as known
                if len(t) < 4:
                    continue
                field = body_field(lang)
                for cand in terms_within(reader, field, t, _max_dist(t), prefix=1):
                    candidates.append((doc_frequency(reader, field, cand), field, cand))
        if not candidates:
            out.append(word)
            continue
        _df, field, cand = max(candidates)
        surface = _surface(searcher, field, cand)
        out.append(surface or cand)
        changed = True
    return " ".join(out) if changed else None


def _surface(searcher, field: str, term: str) -> str | None:
    """How the first document holding `term` writes it."""
    reader = searcher.reader()
    matcher = reader.postings(field, term)
    if not matcher.is_active():
        return None
    docnum = matcher.id()
    chars = matcher.value_as("characters")
    if not chars:
        return None
    _pos, start, end = chars[0]
    text = searcher.stored_fields(docnum).get("text", "")
    return text[start:end].lower() or None
