""""Did you mean": replace query words no document contains with a near, frequent word.

Index terms are lemmas and stems, so a correction is found among the terms and
then shown as a surface word that a document actually uses (hubungn -> hubungan,
not the stem hubung).
"""

from __future__ import annotations

from analyzers import analyzer_for

from .query import plain_words
from .schema import body_field

MAX_WORDS = 8


def _term(lang: str, word: str) -> str | None:
    tokens = [t.text for t in analyzer_for(lang)(word)]
    return tokens[0] if len(tokens) == 1 else None


def _max_dist(term: str) -> int:
    return 1 if len(term) <= 5 else 2


def suggest(searcher, text: str, langs) -> str | None:
    """A corrected query, or None if every word is known (or nothing better exists)."""
    words = plain_words(text).split()
    if not words or len(words) > MAX_WORDS:
        return None
    reader = searcher.reader()
    out, changed = [], False
    for word in words:
        terms = {lang: _term(lang, word.lower()) for lang in langs}
        # Known in any language (or a stop word, or split by the analyzer): keep it.
        # Checked for all languages before any fuzzy search, which walks a field's
        # whole term dictionary: an Indonesian word must not cost a fuzzy search
        # of the Persian field first.
        known = any(
            term is None or reader.doc_frequency(body_field(lang), term)
            for lang, term in terms.items()
        )
        candidates = []  # (doc frequency, field, term)
        for lang, term in terms.items():
            if known or len(term) < 4:
                continue
            field = body_field(lang)
            for cand in reader.terms_within(field, term, _max_dist(term), prefix=1):
                candidates.append((reader.doc_frequency(field, cand), field, cand))
        if known or not candidates:
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
