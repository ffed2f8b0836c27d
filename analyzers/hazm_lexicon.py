"""The part of Hazm that Lintas uses, loaded in a fraction of Hazm's start-up time.

Lemmas need only Hazm's word list, its table of conjugated verb forms and its
suffix stemmer's rules. Importing Hazm (scikit-learn, nltk, gensim) and building
the verb table costs 2-10 s, which would land on the first Persian query of every
`lintas search`. So the first use builds those tables from Hazm once and caches
them in a file next to nothing of ours (`$LINTAS_CACHE` or ~/.cache/lintas),
keyed by Hazm's version; later processes load the file in a few hundred ms.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

FORMAT = 1


@dataclass(frozen=True)
class Lexicon:
    attested: frozenset[str]  # words with a corpus frequency in Hazm's list
    words: frozenset[str]  # every word of the list, informal spellings included
    verbs: dict[str, str]  # conjugated form -> "past#present"
    stem_ends: tuple[str, ...]  # Hazm Stemmer's suffixes, in its order

    def stem(self, word: str) -> str:
        """Hazm's Stemmer.stem, without importing Hazm."""
        for end in self.stem_ends:
            if word.endswith(end):
                word = word[: -len(end)]
        if word.endswith("ۀ"):
            word = word[:-1] + "ه"
        return word


def cache_path() -> Path:
    base = os.environ.get("LINTAS_CACHE") or Path.home() / ".cache" / "lintas"
    try:
        version = metadata.version("hazm")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return Path(base) / f"hazm-lexicon-{version}-f{FORMAT}.marshal"


def load() -> Lexicon:
    path = cache_path()
    try:
        attested, words, verbs, ends = marshal.loads(path.read_bytes())
        return Lexicon(frozenset(attested), frozenset(words), verbs, tuple(ends))
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no cache yet, or a damaged one: rebuild it
    lexicon = build()
    _save(path, lexicon)
    return lexicon


def build() -> Lexicon:
    from hazm import Lemmatizer  # slow: see the module docstring

    # joined_verb_parts builds "گفته_شده_است" forms our tokenizer never makes.
    lem = Lemmatizer(joined_verb_parts=False)
    words = lem.words
    if isinstance(words, dict):  # hazm 0.10: word -> (frequency, tags)
        attested = {w for w, entry in words.items() if entry and entry[0]}
    else:  # newer hazm keeps a plain set
        attested = set(words)
    return Lexicon(frozenset(attested), frozenset(words), dict(lem.verbs), tuple(lem.stemmer.ends))


def _save(path: Path, lexicon: Lexicon) -> None:
    """Write atomically; a cache we cannot write only costs speed."""
    data = marshal.dumps((list(lexicon.attested), list(lexicon.words), lexicon.verbs,
                          list(lexicon.stem_ends)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
