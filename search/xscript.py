"""A name typed in one script also searched as the index's terms that write it in the other.

Latin -> Persian: a Latin query word that looks like a name (two consonants or
more; not an Indonesian or English dictionary word unless typed capitalized)
is also searched as the Persian terms of the index it transliterates to
(analyzers/translit.py: coarse key for candidates, weighted edit cost to rank,
cut at LATIN_MAX and within LATIN_WITHIN of the best). Persian -> Latin: a
Persian word is also searched as the Latin terms of the index that are names
(capitalized mid-sentence when indexed, analyzers/names.py) at strict costs:
unvocalised Persian looks like many Latin words. Both ways, CLDR's names of
countries and cities (search/exonyms.py) add what is not a transliteration
(Jerman <-> آلمان). Only terms the index holds are ever added.

The added terms join their word in a MaxOf (search/matchers.py): a document that has
the word in both scripts counts once, and a cross-script match weighs WEIGHT of
a same-script one. Figures: bench/xscript.py, /work/notes/issue-13.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from analyzers import analyzer_for
from analyzers.dictionary import is_dictionary_word
from analyzers.names import MIN_LETTERS, name_shaped
from analyzers.translit import (
    coarse_key,
    consonants,
    cost,
    fa_units,
    is_persian,
    latin_units,
)

from . import exonyms
from .bm25 import doc_frequency
from .matchers import MaxOf
from .query import TITLE_BOOST
from .schema import NAME_LANGS, body_field, field_lang, title_field
from .xtables import Tables, build, load, save  # noqa: F401 - the tables' API, used through here

# Weight of a cross-script match next to the same match in the query's own script.
WEIGHT = 0.5
# Latin -> Persian: the highest cost kept, and how far behind the best one a second
# candidate may be (Tehran -> تهران 0.025 keeps تهرانی 0.08 out... not طهران's twin).
LATIN_MAX = 0.2
LATIN_WITHIN = 0.05
# Persian -> Latin, per Latin consonant: a name of 4 consonants or more; of 3 (one
# unwritten short a/e at most: Bagheri); of 2, an exact reading only (تیم is not Atim).
FA_MAX_LONG = 0.1
FA_MAX_SHORT = {3: 0.034, 2: 0.0}
MIN_CONSONANTS = 2
MAX_ALTS = 3  # added terms per word
MAX_WORDS = 8  # query words looked at: a pasted paragraph stays fast
# A Persian word may not be in far more of the Persian documents than its Latin
# reading is in the Latin ones: a bilingual archive names the same people and places
# on both sides, while a common Persian word (داشت, رئیس, پزشکان) looks like a rare
# Latin name (Dasht, Reyes, Pezeshkian). CLDR's names skip this test.
MAX_SHARE_RATIO = 10.0

# Russian and Azeri patronymic endings, which Persian often writes as a word of their
# own after the stem (Aliyev: علی‌اف, علی اف), and the Persian spellings of that word.
_PATRONYMIC = re.compile(r"^([a-z]{2,}?)y?[eo]v$", re.IGNORECASE)
_PATRONYMIC_FA = ("اف", "یف", "وف")
_EDGES = re.compile(r"^([(\W_]*?)([^\W_](?:[^\W_]|\u200c)*)([)\W_]*)$")
_LANG_CLAUSE = re.compile(r"(?<![^\s(])lang:(\w+)")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _first_form(searcher, fname: str, term: str) -> str | None:
    reader = searcher.reader()
    try:
        btext = reader.schema[fname].to_bytes(term)
        m = reader.postings(fname, btext)
    except Exception:  # noqa: BLE001 - no such term (a merge in between): show the term itself
        return None
    if not m.is_active():
        return None
    docnum = m.id()
    spans = m.value_as("characters")
    if not spans:
        return None
    _pos, start, end = spans[0]
    text = searcher.stored_fields(docnum).get("text", "")
    return text[start:end] or None


@dataclass
class Expansion:
    """What to add to each language's part of a query."""

    # lang -> {the typed word's term in lang: [alternatives, each a tuple of terms]}
    words: dict[str, dict[str, list[tuple[str, ...]]]] = field(default_factory=dict)
    # lang -> {a typed phrase's terms in lang: [alternative phrases]}
    phrases: dict[str, dict[tuple[str, ...], list[tuple[str, ...]]]] = field(default_factory=dict)
    # lang -> alternatives of typed words that are no single term there (علی‌اف, جمهوری آذربایجان)
    extra: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    # lang -> {typed word or phrase: how the added terms are written in the documents}
    shown: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def shown_in(self, langs) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for lang in langs:
            for typed, forms in self.shown.get(lang, {}).items():
                have = out.setdefault(typed, [])
                have.extend(f for f in forms if f not in have)
        return out


def _terms(lang: str, text: str) -> tuple[str, ...]:
    return tuple(t.text for t in analyzer_for(lang)(text))


def _name_like_latin(word: str, min_letters: int = MIN_LETTERS) -> bool:
    """The query-side gate: a Latin word that may be a name."""
    lw = word.lower()
    if not name_shaped(lw, min_letters):
        return False
    if not _terms("id", lw) or not _terms("en", lw):
        return False  # a stop word
    return word[:1].isupper() or not is_dictionary_word(lw)


def _share(reader, tables: Tables, lang: str, term: str) -> float:
    try:
        return doc_frequency(reader, body_field(lang), term) / tables.docs[lang]
    except (KeyError, ValueError):
        return 0.0


def _balanced(reader, tables: Tables, fa_term: str, latin_lang: str, latin_term: str | None) -> bool:
    """The share test (MAX_SHARE_RATIO); a Latin word the index lacks cannot be compared."""
    latin = _share(reader, tables, latin_lang, latin_term) if latin_term else 0.0
    if latin == 0.0:
        return True
    return _share(reader, tables, "fa", fa_term) <= MAX_SHARE_RATIO * latin


def latin_to_persian(tables: Tables, exists, words: tuple[str, ...],
                     min_consonants: int = MIN_CONSONANTS, reader=None,
                     has_phrase=None) -> list[tuple[tuple[str, ...], float]]:
    """Persian alternatives (term tuples) of a Latin name, with their costs (exonyms 0)."""
    found: dict[tuple[str, ...], float] = {}
    for fa_name in exonyms.persian_names(tuple(w.lower() for w in words)):
        terms = _terms("fa", fa_name)
        if terms and all(exists(body_field("fa"), t) for t in terms):
            found[terms] = 0.0
    if len(words) == 1:
        best: dict[str, float] = {}
        typed = {lang: next(iter(_terms(lang, words[0].lower())), None) for lang in NAME_LANGS}
        for r in latin_units(words[0]):
            if consonants(r) < min_consonants:
                continue
            for t in tables.persian(coarse_key(r)):
                c = cost(r, fa_units(t), LATIN_MAX)
                if c <= LATIN_MAX and c < best.get(t, 9):
                    best[t] = c
        if reader is not None:
            best = {t: c for t, c in best.items()
                    if all(_balanced(reader, tables, t, lang, typed[lang]) for lang in NAME_LANGS)}
        for t, c in best.items():
            found.setdefault((t,), c)
        if has_phrase is not None:
            found.update(_split_patronymic(tables, exists, words[0], has_phrase))
    return _closest(found)


def _split_patronymic(tables: Tables, exists, word: str, has_phrase) -> dict[tuple[str, ...], float]:
    """Aliyev as the two words «علی اف» the documents write: the stem's readings, each
    followed by a spelling of the ending, kept where some document has that phrase."""
    m = _PATRONYMIC.match(word)
    if not m:
        return {}
    endings = [e for e in _PATRONYMIC_FA if exists(body_field("fa"), e)]
    if not endings:
        return {}
    best: dict[str, float] = {}
    for r in latin_units(m.group(1)):
        if consonants(r) < 1:
            continue
        for t in tables.persian(coarse_key(r)):
            c = cost(r, fa_units(t), LATIN_MAX)
            if c <= LATIN_MAX and c < best.get(t, 9):
                best[t] = c
    found = {}
    for t, c in sorted(best.items(), key=lambda kv: kv[1])[:MAX_ALTS]:
        for e in endings:
            if has_phrase((t, e)):
                found[(t, e)] = c
    return found


def _closest(found: dict) -> list[tuple[tuple[str, ...], float]]:
    """The candidates within LATIN_WITHIN of the best one (an exact CLDR name: cost 0)."""
    if not found:
        return []
    top = min(found.values())
    kept = [(a, c) for a, c in found.items() if c <= top + LATIN_WITHIN]
    return sorted(kept, key=lambda kv: (kv[1], kv[0]))[:MAX_ALTS]


def persian_to_latin(tables: Tables, exists, words: tuple[str, ...], lang: str,
                     min_consonants: int = MIN_CONSONANTS, reader=None) -> list[tuple[tuple[str, ...], float]]:
    """Latin alternatives in `lang`'s fields of a Persian name given as its words."""
    found: dict[tuple[str, ...], float] = {}
    for latin in exonyms.latin_names(exonyms.words(" ".join(words))):
        terms = _terms(lang, latin)
        if terms and all(exists(body_field(lang), t) for t in terms):
            found[terms] = 0.0
    u = fa_units("".join(words))
    if consonants(u) >= min_consonants:
        best: dict[str, float] = {}
        names = tables.latin_names(lang, coarse_key(u), reader) if reader is not None else []
        for t in names:
            for r in latin_units(t):
                k = consonants(r)
                limit = FA_MAX_LONG if k >= 4 else FA_MAX_SHORT.get(k, 0.0)
                c = cost(r, u, limit)
                if c <= limit and c < best.get(t, 9):
                    best[t] = c
        fa_term = next(iter(_terms("fa", "".join(words))), None)
        if reader is not None and fa_term:
            best = {t: c for t, c in best.items() if _balanced(reader, tables, fa_term, lang, t)}
        for t, c in best.items():
            found.setdefault((t,), c)
    return _closest(found)


def _plain_groups(text: str):
    """Runs of plain words (typed forms) and quoted phrases: ('words'|'phrase', [words])."""
    for i, chunk in enumerate(text.split('"')):
        if i % 2 == 1:
            words = [m.group(2) for m in map(_EDGES.match, chunk.split()) if m]
            if words:
                yield "phrase", words
            continue
        run: list[str] = []
        for token in chunk.split():
            m = _EDGES.match(token)
            if not m or ":" in token or "*" in token or m.group(2) in _OPERATORS:
                if run:
                    yield "words", run
                run = []
                continue
            run.append(m.group(2))
        if run:
            yield "words", run


def expand(searcher, tables: Tables, exists, text: str, langs) -> Expansion:
    """The cross-script alternatives of the names in `text`, for the languages `langs`."""
    exp = Expansion()
    typed_langs = set(_LANG_CLAUSE.findall(text))
    if typed_langs:
        langs = [lang for lang in langs if lang in typed_langs]  # "lang:fa ایران": Persian only
    used: set[tuple[str, tuple[str, ...]]] = set()  # (lang, alternative): one word each
    looked = 0

    def first_form(lang: str, term: str) -> str | None:
        return _first_form(searcher, body_field(lang), term)

    def has_phrase(terms: tuple[str, ...]) -> bool:
        return not searcher.search(wq.Phrase(body_field("fa"), list(terms)), limit=1).is_empty()

    def add(lang: str, typed: str, key, alts, kind: str):
        fresh = [a for a, _c in alts if (lang, a) not in used]
        if not fresh:
            return False
        used.update((lang, a) for a in fresh)
        if kind == "word" and key is not None:
            exp.words.setdefault(lang, {}).setdefault(key, []).extend(fresh)
        elif kind == "phrase" and key is not None:
            exp.phrases.setdefault(lang, {}).setdefault(key, []).extend(fresh)
        else:
            exp.extra.setdefault(lang, []).extend(fresh)
        shown = exp.shown.setdefault(lang, {}).setdefault(typed, [])
        for a in fresh:
            form = " ".join(tables.display(lang, t, first_form) for t in a)
            if form not in shown:
                shown.append(form)
        return True

    def targets(word: str):
        return ["fa"] if not is_persian(word) else [lang for lang in NAME_LANGS if lang in langs]

    def alternatives(words: tuple[str, ...], lang: str, min_consonants: int = MIN_CONSONANTS):
        if lang == "fa":
            short = 1 if min_consonants < MIN_CONSONANTS else MIN_LETTERS
            if not all(_name_like_latin(w, short) for w in words):
                return []
            return latin_to_persian(tables, exists, words, min_consonants, searcher.reader(), has_phrase)
        if not all(is_persian(w) and _terms("fa", w) for w in words):
            return []  # a Persian stop word names nothing
        return persian_to_latin(tables, exists, words, lang, min_consonants, searcher.reader())

    for kind, words in _plain_groups(text):
        if looked >= MAX_WORDS:
            break
        if kind == "phrase":
            looked += 1
            for lang in targets(words[0]):
                if lang not in langs:
                    continue
                key = tuple(t for w in words for t in _terms(lang, w))
                whole = alternatives(tuple(words), lang) if len(words) > 1 else []
                if not whole:
                    # A phrase of names: the phrase of each word's best reading. Its
                    # words must be adjacent, so short ones (Ali) may take part.
                    parts = [alternatives((w,), lang, 1) for w in words]
                    if all(parts):
                        whole = [(tuple(t for p in parts for t in p[0][0]), max(p[0][1] for p in parts))]
                add(lang, " ".join(words), key, whole, "phrase" if len(words) > 1 else "word")
            continue
        # Multi-word standard names typed without quotes (جمهوری آذربایجان, Korea Selatan).
        taken: set[int] = set()
        for n in (3, 2):
            for i in range(len(words) - n + 1):
                if any(j in taken for j in range(i, i + n)):
                    continue
                span = tuple(words[i:i + n])
                if len({is_persian(w) for w in span}) != 1:
                    continue
                for lang in targets(span[0]):
                    if lang not in langs:
                        continue
                    if is_persian(span[0]):
                        found = [(a, c) for a, c in persian_to_latin(tables, exists, span, lang,
                                                                         reader=searcher.reader()) if c == 0.0]
                    else:
                        found = [(a, c) for a, c in latin_to_persian(tables, exists, span) if c == 0.0]
                    if found and add(lang, " ".join(span), None, found, "extra"):
                        taken.update(range(i, i + n))
        for i, word in enumerate(words):
            if looked >= MAX_WORDS:
                break
            looked += 1
            if i in taken:
                continue  # part of a standard name found above (Costa Rica): not read alone
            for lang in targets(word):
                if lang not in langs:
                    continue
                plain = word.replace("\u200c", "")
                key = _terms(lang, word.lower())
                alts = alternatives((plain,), lang)
                if len(key) == 1:
                    add(lang, word, key[0], alts, "word")
                elif key:
                    add(lang, word, None, alts, "extra")  # علی‌اف: two terms, one name
            # علی اف typed with a space: the pair read as one name, if it is one.
            if i + 1 < len(words) and is_persian(word) and is_persian(words[i + 1]):
                joined = word.replace("\u200c", "") + words[i + 1].replace("\u200c", "")
                for lang in targets(word):
                    if lang in langs and all(_terms("fa", w) for w in (word, words[i + 1])):
                        alts = [(a, c) for a, c in persian_to_latin(tables, exists, (joined,), lang,
                                                                     reader=searcher.reader())
                                if c <= FA_MAX_SHORT]
                        add(lang, f"{word} {words[i + 1]}", None, alts, "extra")
    return exp


def apply(q: wq.Query, lang: str, exp: Expansion) -> wq.Query:
    """`q` (one language's part, before pruning) with that language's alternatives joined in."""
    words, phrases, extra = exp.words.get(lang), exp.phrases.get(lang), exp.extra.get(lang)
    if not (words or phrases or extra):
        return q

    def alt(fname: str, terms: tuple[str, ...], boost: float) -> wq.Query:
        if len(terms) == 1:
            return wq.Term(fname, terms[0], boost=boost * WEIGHT)
        return wq.Phrase(fname, list(terms), boost=boost * WEIGHT)

    def walk(node: wq.Query) -> wq.Query:
        # Under NOT too: "Azerbaijan NOT Aliyev" must not list a Persian page naming علی‌اف.
        if isinstance(node, wq.AndNot):
            c = node.copy()
            c.a, c.b = walk(node.a), walk(node.b)
            return c
        if type(node) is wq.Term and field_lang(node.fieldname) == lang and words:
            alts = words.get(node.text)
            if alts:
                return MaxOf([node, *(alt(node.fieldname, a, node.boost) for a in alts)])
            return node
        if type(node) is wq.Phrase and field_lang(node.fieldname) == lang and phrases:
            alts = phrases.get(tuple(node.words))
            if alts:
                return MaxOf([node, *(alt(node.fieldname, a, node.boost) for a in alts)])
            return node
        if node.is_leaf():
            return node
        return node.apply(walk)

    q = walk(q)
    if extra and not isinstance(q, (wq.And, wq.AndNot, wq.Not)):
        added = [wq.Or([alt(title_field(lang), a, TITLE_BOOST), alt(body_field(lang), a, 1.0)]) for a in extra]
        q = wq.Or([q, *added]) if q is not wq.NullQuery else wq.Or(added)
    return q
