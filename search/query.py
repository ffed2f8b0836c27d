"""From a query string to a Whoosh query over the language fields, never raising.

Syntax: plain words (OR, ranked: documents matching more words score higher),
AND / OR / NOT, "phrases", prefix*, parentheses, and the fields title:, body:,
lang:, source:, id:. Every word is analyzed by each language field's own
analyzer, so one query finds Persian and Indonesian documents alike. Anything
the parser cannot make sense of falls back to its plain words.
"""

from __future__ import annotations

import copy
import re
import threading

from cachetools import LRUCache, cached
from whoosh import qparser, query
from whoosh.qparser import syntax

from analyzers import LANGS
from analyzers.chain import surface_terms
from analyzers.common import fold_text
from analyzers.persian import fold_term
from analyzers.persian import prepare as persian_prepare

from .ranking import SURFACE_BOOST, TITLE_BOOST
from .schema import body_field, field_lang, text_fields, title_field

# Field names a user may type, mapped onto the per-language fields.
_ALIASES = {
    "title": [title_field(lang) for lang in LANGS],
    "body": [body_field(lang) for lang in LANGS],
    "text": [body_field(lang) for lang in LANGS],
}
_FILTER_FIELDS = {"lang", "source", "id"}


class _AliasFieldsPlugin(qparser.Plugin):
    """title:/body: search every language's field; unsearchable names become words."""

    def __init__(self, langs):
        self.aliases = {
            name: [f for f in fields if field_lang(f) in langs]
            for name, fields in _ALIASES.items()
        }
        self.searchable = set(text_fields(LANGS)) | _FILTER_FIELDS

    def filters(self, parser):
        # After FieldsPlugin assigns names (100), before MultifieldPlugin (110).
        return [(self.expand, 105)]

    def expand(self, parser, group):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.expand(parser, node)
            elif node.has_fieldname and node.fieldname is not None:
                if node.fieldname in self.aliases:
                    copies = []
                    for fname in self.aliases[node.fieldname]:
                        c = copy.copy(node)
                        c.set_fieldname(fname, override=True)
                        copies.append(c)
                    group[i] = syntax.OrGroup(copies)
                elif node.fieldname not in self.searchable:
                    node.set_fieldname(None, override=True)
        return group


class _Parser(qparser.QueryParser):
    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        # Prefix and wildcard terms are normalized but not lemmatized or stemmed
        # (as Lucene's normalize()): "kata*" must not become a stem first.
        if termclass in (query.Prefix, query.Wildcard) and fieldname in _TEXT_FIELDS:
            text = fold_term(fold_text(text)).strip()
            if not text.strip("*?"):
                return None  # a lone "*" would enumerate every term
            return termclass(fieldname, text, boost=boost)
        q = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if q is None or termclass is not query.Term or fieldname not in _TEXT_FIELDS or not SURFACE_BOOST:
            return q
        forms = _surface_terms(self.schema[fieldname].analyzer, text)
        if not forms:
            return q
        return query.Or([q, *(query.Term(fieldname, f, boost=boost * SURFACE_BOOST) for f in forms)])


# A language's title and body share one analyzer: analyze each word once per
# query, not once per field. Analyzers live as long as the process, so their id
# is a safe key; parsers are shared by a server's threads, hence the lock.
@cached(LRUCache(10_000), key=lambda analyzer, text: (id(analyzer), text), lock=threading.Lock())
def _surface_terms(analyzer, text: str) -> list[str]:
    return surface_terms(analyzer, text)


_TEXT_FIELDS = set(text_fields(LANGS))


def make_parser(schema, langs=LANGS) -> qparser.QueryParser:
    fields = text_fields(langs)
    boosts = {title_field(lang): TITLE_BOOST for lang in langs}
    parser = _Parser(None, schema, group=syntax.OrGroup)
    # Persian writes می/نمی and plural suffixes apart as often as joined, and the
    # parser splits on spaces before any analyzer sees the text: "می شود" would
    # become the stop word می and the noun شود. The analyzer's own same-length
    # rejoin (space -> ZWNJ) runs on the whole query first.
    parser.prepare = persian_prepare if "fa" in langs else None
    parser.add_plugin(_AliasFieldsPlugin(langs))
    parser.add_plugin(qparser.MultifieldPlugin(fields, fieldboosts=boosts))
    # No ^boosts, ranges or ~fuzzy: they surprise people who type natural text.
    parser.remove_plugin_class(qparser.BoostPlugin)
    parser.remove_plugin_class(qparser.RangePlugin)
    # Prefixes (kata*) yes, wildcards no: "?" ends questions ("Apa itu Pestisida?"),
    # and a wildcard "pestisida?" would demand one more letter.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    return parser


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def plain_words(text: str) -> str:
    """The words of a query with all syntax removed."""
    return " ".join(_WORD.findall(text))


def parse(parser: qparser.QueryParser, text: str) -> query.Query:
    """Parse leniently: malformed syntax falls back to the query's plain words."""
    if getattr(parser, "prepare", None) is not None:
        text = parser.prepare(text)
    try:
        q = parser.parse(text)
    except Exception:  # whoosh raises assorted errors on odd syntax: never the user's problem
        q = None
    if q is None or _has_error(q) or q is query.NullQuery:
        words = plain_words(text)
        if not words:
            return query.NullQuery
        try:
            q = parser.parse(words)
        except Exception:
            return query.NullQuery
    return _must_not(q)


def _must_not(q: query.Query) -> query.Query:
    """Give NOT inside an OR group Lucene's meaning: exclude, don't add.

    Whoosh reads "a b NOT c" as a OR b OR (everything but c); people mean
    (a OR b) AND NOT c.
    """
    if isinstance(q, query.Or):
        subs = [_must_not(s) for s in q.subqueries]
        positive = [s for s in subs if not isinstance(s, query.Not)]
        negative = [s.query for s in subs if isinstance(s, query.Not)]
        if negative and positive:
            base = positive[0] if len(positive) == 1 else q.__class__(positive, boost=q.boost)
            return query.AndNot(base, negative[0] if len(negative) == 1 else query.Or(negative))
        return q.__class__(subs, boost=q.boost) if subs != q.subqueries else q
    if isinstance(q, query.And):
        return query.And([_must_not(s) for s in q.subqueries], boost=q.boost)
    return q


def _has_error(q: query.Query) -> bool:
    # whoosh marks what it could not parse with an `error` attribute
    return getattr(q, "error", None) is not None or any(
        getattr(sub, "error", None) is not None for sub in q.leaves()
    )
