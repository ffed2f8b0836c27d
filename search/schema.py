"""The Whoosh schema: stored fields once, indexed text once per language.

One language per indexed field, as the big engines recommend: each field has its
language's analyzer, a query is analyzed by every field's analyzer, and BM25F
statistics (document frequency, length) stay per language.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Existence

from analyzers import LANGS, analyzer_for
from analyzers.names import NameTokenizer
from analyzers.words import SurfaceWordsTokenizer

# Bumped whenever the schema or an analyzer changes what is indexed: an index of
# another version must be rebuilt (`lintas index --rebuild`), not silently mixed.
SCHEMA_VERSION = 7
# What each version changed, for the message asking for a rebuild.
SCHEMA_CHANGES = {6: "it stores each article's author",
                  7: "near-duplicate keys hash shingles differently"}


def changes_since(found) -> str:
    """What this version changed since version `found`, for the rebuild message ("" if unknown)."""
    news = [SCHEMA_CHANGES[v] for v in sorted(SCHEMA_CHANGES)
            if isinstance(found, int) and not isinstance(found, bool) and found < v <= SCHEMA_VERSION]
    return f" ({'; '.join(news)})" if news else ""


def title_field(lang: str) -> str:
    return f"title_{lang}"


def body_field(lang: str) -> str:
    return f"body_{lang}"


def field_lang(fieldname: str) -> str | None:
    """The language of a title_<lang>/body_<lang> field; None for any other field."""
    prefix, _, lang = fieldname.partition("_")
    return lang if prefix in ("title", "body") and lang in LANGS else None


# Latin-script languages whose documents' names are counted at index time
# (analyzers/names.py): what search/xscript.py offers a Persian query word.
NAME_LANGS = ("id", "en")


def names_field(lang: str) -> str:
    return f"names_{lang}"


def text_fields(langs=LANGS) -> list[str]:
    return [f for lang in langs for f in (title_field(lang), body_field(lang))]


class WORDS(TEXT):
    """A text field that records only which documents hold each surface word."""

    def __init__(self):
        super().__init__(analyzer=SurfaceWordsTokenizer(), phrase=False)
        self.format = Existence(field_boost=1.0)
        self.scorable = False


def build_schema() -> Schema:
    fields = {
        "id": ID(stored=True, unique=True, sortable=True),
        "lang": ID(stored=True, sortable=True),
        "source": ID(stored=True, sortable=True),
        "date": DATETIME(stored=True, sortable=True),
        "url": STORED(),
        # Shown, not searched or filtered: a byline's spelling differs from site to site
        # ("Rina Kusuma", "Penulis: Rina K."), so an exact-match filter would miss most.
        "author": STORED(),
        "title": STORED(),
        "text": STORED(),
        # Content hash: re-indexing an unchanged document is a no-op.
        "hash": ID(sortable=True),
        # Surface words of title and text, for completions (search/completions.py):
        # only which documents hold a word is kept, no frequencies or positions.
        "words": WORDS(),
        # Near-duplicates (search/dedup.py): MinHash band keys, and the cluster label.
        "lsh": KEYWORD(scorable=False),
        "dup": ID(sortable=True),
    }
    for lang in LANGS:
        analyzer = analyzer_for(lang)
        # The title's weight is set at query time (search/query.py), where it can
        # be tuned without rebuilding the index.
        fields[title_field(lang)] = TEXT(analyzer=analyzer)
        # chars=True stores each term's character span: snippets can then mark the
        # stored text without re-analyzing it.
        fields[body_field(lang)] = TEXT(analyzer=analyzer, chars=True)
    for lang in NAME_LANGS:
        # Counts only (no positions): how often each term is capitalized mid-sentence.
        names = TEXT(analyzer=NameTokenizer(lang), phrase=False)
        names.scorable = False  # never ranked: no length column to write
        fields[names_field(lang)] = names
    return Schema(**fields)
