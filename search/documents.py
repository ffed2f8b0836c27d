"""Document and its loaders (.txt, .jsonl, .jsonl.gz, directories; web formats in
search/formats/).

`iter_documents(paths)` yields good documents and per-item `LoadError`s in one lazy
pass, so the indexer can report bad input without stopping and a big JSONL file is
read line by line, never held whole. Every text goes through the news clean-up
(search/cleanup.py), which also reads the dateline (search/datelines.py).
"""

from __future__ import annotations

import gzip
import json
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Iterable, Iterator, NamedTuple

from analyzers import LANGS

from .cleanup import clean_text
from .formats import SUFFIXES as WEB_SUFFIXES
from .formats import Skipped
from .formats import load as load_web


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    lang: str | None = None  # fa | id | en; None = detect at index time
    date: date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None  # the byline: one name, or several joined by "; "


@dataclass(frozen=True)
class LoadError:
    """One file or JSONL line that could not be loaded; the rest of the input still loads."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


MAX_ID_CHARS = 200
# Checked longest first, so ".jsonl.gz" is not taken for some other ".gz".
SUFFIXES = (".jsonl.gz", ".jsonl", ".txt")
OPTIONAL_FIELDS = ("title", "lang", "date", "source", "url", "author")

def iter_documents(paths: Iterable[str | Path] | str | Path) -> Iterator[Document | LoadError | Skipped]:
    """Yield a Document, LoadError or Skipped per item of the given files and directories, lazily.

    Directories are walked recursively in name order; hidden entries and files of
    other types are skipped. An id seen twice in one pass is reported at its second
    occurrence rather than letting one document silently replace another, except
    one article met again at the same URL (a page saved twice, a feed item and its
    page): that is one document, the first copy read, and the others are Skipped,
    not errors. (A later run with another copy updates it as usual.)
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    first_seen: dict[str, tuple[_Origin, str | None]] = {}
    for path in paths:
        for item in _iter_path(Path(path), explicit=True):
            if isinstance(item, (LoadError, Skipped)):
                yield item
                continue
            doc, at = item
            first, first_url = first_seen.setdefault(doc.id, (at, doc.url))
            if first != at:
                if doc.url is not None and doc.url == first_url:
                    yield Skipped(at.path, at.line, "same URL as an article already read")
                else:
                    yield LoadError(at.path, at.line, f"duplicate id {doc.id!r}, first loaded from {first}")
                continue
            yield doc


class _Origin(NamedTuple):
    """Where a document was loaded from: a file, and for JSONL its line."""

    path: str
    line: int | None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


_Loaded = tuple[Document, _Origin]


def _iter_path(path: Path, explicit: bool) -> Iterator[_Loaded | LoadError]:
    try:
        if path.is_dir():
            entries = sorted(path.iterdir(), key=lambda p: p.name)
        elif path.is_file():
            entries = None
        else:
            yield LoadError(str(path), None, "no such file or directory")
            return
    except OSError as e:
        yield LoadError(str(path), None, f"cannot read: {e.strerror or e}")
        return
    if entries is not None:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and entry.is_symlink():
                continue  # a symlinked directory may loop back on itself
            if entry.is_dir() or _suffix(entry):
                yield from _iter_path(entry, explicit=False)
        return
    suffix = _suffix(path)
    if suffix is None:
        if explicit:
            yield LoadError(str(path), None, "unsupported file type: expected "
                            + ", ".join(SUFFIXES + WEB_SUFFIXES))
        return
    if suffix in WEB_SUFFIXES:
        for item in load_web(path, suffix):
            yield item if isinstance(item, (LoadError, Skipped)) else (item[0], _Origin(str(path), item[1]))
        return
    yield from (_load_txt(path) if suffix == ".txt" else _load_jsonl(path, gz=suffix == ".jsonl.gz"))


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in SUFFIXES + WEB_SUFFIXES if name.endswith(s) and len(name) > len(s)), None)


def read_file(path: Path) -> bytes | LoadError:
    """A file's bytes, or the LoadError every loader reports when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as e:
        return LoadError(str(path), None, f"cannot read: {e.strerror or e}")


def _load_txt(path: Path) -> Iterator[_Loaded | LoadError]:
    where = str(path)
    raw = read_file(path)
    if isinstance(raw, LoadError):
        yield raw
        return
    if b"\x00" in raw:
        yield LoadError(where, None, "binary file (contains NUL bytes), not text")
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        yield LoadError(where, line, f"not valid UTF-8 (byte {raw[e.start]:#04x} at offset {e.start})")
        return
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        yield LoadError(where, None, "empty file: no title line")
        return
    doc_id, problem = _check_id(path.name[: -len(".txt")])
    if problem:
        yield LoadError(where, None, f"file name is not a usable id: {problem}")
        return
    body, found = clean_text("\n".join(lines[first + 1:]))
    doc = Document(id=doc_id, title=lines[first].strip(), text=body.strip("\n"), date=found)
    yield doc, _Origin(where, None)


def _load_jsonl(path: Path, gz: bool) -> Iterator[_Loaded | LoadError]:
    where = str(path)
    lineno = 0
    try:
        stream: IO[bytes] = gzip.open(path, "rb") if gz else open(path, "rb")
        with stream:
            for lineno, raw in enumerate(stream, 1):
                if not raw.strip():
                    continue
                result = _parse_record(raw, first=lineno == 1)
                if isinstance(result, str):
                    yield LoadError(where, lineno, result)
                else:
                    yield result, _Origin(where, lineno)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        # A truncated or corrupt file: what was read so far has been yielded.
        yield LoadError(where, lineno + 1 if lineno else None, f"cannot read: {getattr(e, 'strerror', None) or e}")


def _parse_record(raw: bytes, first: bool) -> Document | str:
    """A Document from one JSONL line, or a message saying what is wrong with it."""
    try:
        line = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as e:
        return f"not valid UTF-8 (byte {raw[e.start]:#04x} at column {e.start + 1})"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return f"bad JSON: {e.msg} (column {e.colno})"
    except (ValueError, RecursionError) as e:  # a 5000-digit number, [[[[... nested too deep
        return f"bad JSON: {str(e) or type(e).__name__}"
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        return "missing 'id' (a string or an integer)" if raw_id is None else \
            f"'id' must be a string or an integer, got {type(raw_id).__name__}"
    doc_id, problem = _check_id(str(raw_id))
    if problem:
        return f"bad 'id': {problem}"
    text = obj.get("text")
    if not isinstance(text, str):
        return "missing 'text'" if text is None else f"'text' must be a string, got {type(text).__name__}"
    if not text.strip():
        return "'text' is blank"
    fields: dict[str, str | None] = {}
    for name in OPTIONAL_FIELDS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            return f"'{name}' must be a string, got {type(value).__name__}"
        fields[name] = value.strip() or None if isinstance(value, str) else None  # "" = absent
    if fields["lang"] is not None and fields["lang"] not in LANGS:
        return f"'lang' must be one of {', '.join(LANGS)}, got {fields['lang']!r}"
    given_date = None
    if fields["date"] is not None:
        given_date = _parse_iso_date(fields["date"])
        if given_date is None:
            return f"'date' is not an ISO date (YYYY-MM-DD): {fields['date']!r}"
    body, found = clean_text(text)
    return Document(
        id=doc_id,
        title=fields["title"] or "",
        text=body,
        lang=fields["lang"],
        date=given_date or found,
        source=fields["source"],
        url=fields["url"],
        author=fields["author"],
    )


def _parse_iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date()  # the date as written, not shifted to UTC
    except ValueError:
        return None


def _check_id(raw: str) -> tuple[str, str | None]:
    """(id with control characters removed, None) or (raw, what is wrong with it)."""
    doc_id = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc")
    if not doc_id.strip():
        return raw, "blank"
    if doc_id != doc_id.strip():
        return raw, f"leading or trailing spaces in {doc_id!r}"
    if len(doc_id) > MAX_ID_CHARS:
        return raw, f"{len(doc_id)} characters long; the limit is {MAX_ID_CHARS}"
    return doc_id, None
