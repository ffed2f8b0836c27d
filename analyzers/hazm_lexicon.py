"""The part of Hazm that Lintas uses, loaded in a fraction of Hazm's start-up time.

Lemmas need only Hazm's word list, its table of conjugated verb forms and its
suffix stemmer's rules. Importing Hazm (scikit-learn, nltk, gensim) and building
the verb table costs 2-10 s, which would land on the first Persian query of every
`lintas search`. So the first use builds those tables from Hazm once and caches
them in a file next to nothing of ours (`$LINTAS_CACHE` or ~/.cache/lintas),
keyed by Hazm's version; later processes open the file in milliseconds.

The file is a MARISA trie of every word and verb form (538k keys, 1.7 MB) and one
16-bit entry per key, memory-mapped: every process on the machine (each server
worker, the writer, `lintas index`) reads the same pages of the OS page cache,
where the same tables as Python strings, sets and a dict took 72 MB in each of
them. A lookup costs about 2 us against 0.1 us for a set; persian.term_fa caches
its answers per word, so builds and queries pay it once per distinct word.
marisa_trie is used only here.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import sys
import tempfile
import threading
import zlib
from importlib import metadata
from pathlib import Path

import marisa_trie

FORMAT = 2
# magic, format, byte order, key count, trie bytes, tail bytes, crc32 of all after the header
_HEADER = struct.Struct("<8sIIQQQI")
_MAGIC = b"lintasHZ"
_BYTE_ORDER = 1 if sys.byteorder == "little" else 2  # the entries are native uint16
# Entry bits: the low three flag the key's kinds; the rest index the verb's value.
ATTESTED, WORD, VERB = 1, 2, 4
_VERB_SHIFT = 3
_MAX_VERBS = 1 << (16 - _VERB_SHIFT)


class Lexicon:
    """Hazm's tables, read from the mapped file: the same answers as its sets and dict."""

    def __init__(self, buffer, keys: int, trie_bytes: int, verbs: list[str], stem_ends: list[str]):
        self._trie = marisa_trie.Trie()
        view = memoryview(buffer)
        self._trie.map(view[_HEADER.size:_HEADER.size + trie_bytes])
        start = _entries_offset(trie_bytes)
        self._entries = view[start:start + 2 * keys].cast("H")
        self._verbs = verbs
        self.stem_ends = tuple(stem_ends)  # Hazm Stemmer's suffixes, in its order
        self._buffer = buffer  # the mapping outlives every view of it

    def _entry(self, word: str) -> int:
        i = self._trie.get(word)
        return 0 if i is None else self._entries[i]

    def lookup(self, word: str) -> tuple[bool, bool, str | None]:
        """(attested, known, verb) of `word` in one lookup."""
        entry = self._entry(word)
        return (bool(entry & ATTESTED), bool(entry & WORD),
                self._verbs[entry >> _VERB_SHIFT] if entry & VERB else None)

    def attested(self, word: str) -> bool:
        """A word with a corpus frequency in Hazm's list."""
        return bool(self._entry(word) & ATTESTED)

    def known(self, word: str) -> bool:
        """A word of Hazm's list, informal spellings (frequency 0) included."""
        return bool(self._entry(word) & WORD)

    def verb(self, word: str) -> str | None:
        """The conjugated form's "past#present", or None for no verb form."""
        entry = self._entry(word)
        return self._verbs[entry >> _VERB_SHIFT] if entry & VERB else None

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
    return Path(base) / f"hazm-lexicon-{version}-f{FORMAT}.marisa"


_build_lock = threading.Lock()


def load() -> Lexicon:
    path = cache_path()
    found = open_file(path)
    if found is not None:
        return found
    with _build_lock:  # one build per process, however many threads ask at once
        found = open_file(path)
        if found is None:
            data = encode(*build())
            _save(path, data)
            # A cache we cannot write only costs speed: then the tables live in this process.
            found = open_file(path) or _from_bytes(data)
    return found


def build() -> tuple[set[str], set[str], dict[str, str], list[str]]:
    """Hazm's tables: attested words, every word, verb form -> "past#present", stem suffixes."""
    from hazm import Lemmatizer  # slow: see the module docstring

    # joined_verb_parts builds "گفته_شده_است" forms our tokenizer never makes.
    lem = Lemmatizer(joined_verb_parts=False)
    words = lem.words
    if isinstance(words, dict):  # hazm 0.10: word -> (frequency, tags)
        attested = {w for w, entry in words.items() if entry and entry[0]}
    else:  # newer hazm keeps a plain set
        attested = set(words)
    return attested, set(words), dict(lem.verbs), list(lem.stemmer.ends)


def encode(attested, words, verbs: dict[str, str], stem_ends) -> bytes:
    """The file's bytes for these tables."""
    trie = marisa_trie.Trie(set(words) | set(verbs) | set(attested))
    values = sorted(set(verbs.values()))
    if len(values) > _MAX_VERBS:
        raise ValueError(f"{len(values)} verb stems do not fit the {_MAX_VERBS} of an entry")
    index = {v: i for i, v in enumerate(values)}
    entries = [0] * len(trie)
    for key, i in trie.iteritems():
        entry = (ATTESTED if key in attested else 0) | (WORD if key in words else 0)
        if key in verbs:
            entry |= VERB | index[verbs[key]] << _VERB_SHIFT
        entries[i] = entry
    trie_bytes = trie.tobytes()
    padding = b"\0" * (_entries_offset(len(trie_bytes)) - _HEADER.size - len(trie_bytes))
    tail = struct.pack(f"={len(entries)}H", *entries) + json.dumps(
        {"verbs": values, "stem_ends": list(stem_ends)}, ensure_ascii=False).encode("utf-8")
    body = trie_bytes + padding + tail
    header = _HEADER.pack(_MAGIC, FORMAT, _BYTE_ORDER, len(entries), len(trie_bytes), len(tail),
                          zlib.crc32(body))
    return header + body


def _entries_offset(trie_bytes: int) -> int:
    return (_HEADER.size + trie_bytes + 7) // 8 * 8


def _check(buffer) -> tuple[int, int, int] | None:
    """(keys, trie bytes, tail bytes) of a whole, undamaged file of this format, else None."""
    if len(buffer) < _HEADER.size:
        return None
    magic, fmt, order, keys, trie_bytes, tail, crc = _HEADER.unpack_from(buffer)
    start = _entries_offset(trie_bytes)
    if (magic, fmt, order) != (_MAGIC, FORMAT, _BYTE_ORDER) or len(buffer) != start + tail \
            or 2 * keys > tail or zlib.crc32(memoryview(buffer)[_HEADER.size:]) != crc:
        return None
    return keys, trie_bytes, tail


def _meta(buffer, keys: int, trie_bytes: int, tail: int) -> tuple[list, list]:
    start = _entries_offset(trie_bytes) + 2 * keys
    meta = json.loads(bytes(memoryview(buffer)[start:_entries_offset(trie_bytes) + tail]))
    return meta["verbs"], meta["stem_ends"]


def open_file(path: Path) -> Lexicon | None:
    """The lexicon of the file at `path`, memory-mapped; None if it is missing, of another
    format, or damaged in any byte (it is then built again)."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < _HEADER.size:
                return None
            # Checked through read(), not the mapping, so that the check leaves no page in
            # this process: the mapping then holds only the pages lookups touch.
            shape = _check(fh.read())
            if shape is None:
                return None
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:  # the file checked is the one mapped: the cache is only ever replaced, not rewritten
        return Lexicon(mapped, shape[0], shape[1], *_meta(mapped, *shape))
    except (ValueError, KeyError, TypeError, RuntimeError):
        return None


def _from_bytes(data: bytes) -> Lexicon | None:
    shape = _check(data)
    return None if shape is None else Lexicon(data, shape[0], shape[1], *_meta(data, *shape))


def _save(path: Path, data: bytes) -> None:
    """Write atomically: a reader sees the old file, the whole new one, or none."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
