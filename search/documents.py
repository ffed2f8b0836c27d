"""Document and its loaders (.txt, .jsonl, .jsonl.gz, directories), with news clean-up.

`iter_documents(paths)` yields good documents and per-item `LoadError`s in one lazy
pass, so the indexer can report bad input without stopping and a big JSONL file is
read line by line, never held whole. `clean_text(text)` is the pure clean-up step:
it drops boilerplate lines and finds a publication date near the top.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Iterable, Iterator, NamedTuple

from .request import LANGS


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    lang: str | None = None  # fa | id | en; None = detect at index time
    date: date | None = None
    source: str | None = None
    url: str | None = None


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
OPTIONAL_FIELDS = ("title", "lang", "date", "source", "url")

# ---------------------------------------------------------------- clean-up

# Each pattern must match a *whole* line (after stripping): a line is dropped only
# if it is boilerplate, never because it merely mentions these words.
_BOILERPLATE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:baca|simak|lihat)\s+juga\s*:.*",  # Indonesian related-article links
        r"(?:read|also read|read also|see also)\s*:.*",
        r"بیشتر\s*بخوانید\s*:.*",
        r"\(\s*last modified\b[^)]*\)",  # CMS page chrome; its date is read before the drop
        r"share this\s*:?",
        r"like this\s*:?",
        r"(?:like\s+)?loading\.\.\.",
        r"click to (?:share|print|email) .*\(opens in new window\)",
        r"tinggalkan balasan",
        r"دیدگاهتان را بنویسید",
        r"save my name, email, and website in this browser for the next time i comment\.?",
        r"post comment",
    )
]
# Comment-form phrases that scrapers glue onto each other and onto the next word
# ("Leave a ReplyCancel reply", "...marked *Comment"), so they are peeled off the
# start of a line; what follows them is kept.
_FORM_PHRASES = (
    r"leave a reply",
    r"cancel reply",
    r"your email address will not be published\.?",
    r"required fields are marked\s*\*",
    r"alamat email anda tidak akan dipublikasikan\.?",
    r"ruas yang wajib ditandai\s*\*",
    r"نشانی ایمیل شما منتشر نخواهد شد\.?",
)
# Field labels of the comment form: only peeled after one of the phrases above.
_FORM_LABELS = r"(?:comment|name|email|komentar|nama)\s*\*"
_FORM_HEAD = re.compile(
    rf"(?:(?:{'|'.join(_FORM_PHRASES)})\s*)+(?:{_FORM_LABELS}\s*)*", re.IGNORECASE
)

# Only the dateline is searched: a date deep in the body is usually the date of an
# event the article reports ("Pada 1 Februari 2024, ..."), not when it was published.
DATELINE_LINES = 15


def clean_text(text: str) -> tuple[str, date | None]:
    """Drop boilerplate lines; return (text, publication date found in the dateline or None).

    Every other line, blank lines included, is kept as it was. A blank line that would
    double up where a boilerplate line was removed goes with it.

    >>> clean_text("Teheran, 30 Jun 2024\\n\\nBaca juga: X\\n\\nIsi.")
    ('Teheran, 30 Jun 2024\\n\\nIsi.', datetime.date(2024, 6, 30))
    """
    lines = text.split("\n")  # not splitlines(): \x0c, \u2028 etc. are not ours to touch
    found = find_date(lines)
    kept: list[str] = []
    dropped_since_content = False
    for line in lines:
        cleaned = _strip_boilerplate(line)
        if cleaned is None:
            dropped_since_content = True
            continue
        if not cleaned.strip():
            if dropped_since_content and (not kept or not kept[-1].strip()):
                continue
        else:
            dropped_since_content = False
        kept.append(cleaned)
    if dropped_since_content:
        while kept and not kept[-1].strip():
            kept.pop()
    return "\n".join(kept), found


def _strip_boilerplate(line: str) -> str | None:
    """The line without boilerplate, or None if the whole line is boilerplate."""
    stripped = line.strip()
    if not stripped:
        return line
    if any(p.fullmatch(stripped) for p in _BOILERPLATE_LINES):
        return None
    head = _FORM_HEAD.match(stripped)
    if head:
        rest = stripped[head.end():]
        return rest if rest.strip() else None
    return line


# ---------------------------------------------------------------- dates

_MONTHS = {
    1: "januari january jan",
    2: "februari pebruari february feb",
    3: "maret march mar",
    4: "april apr",
    5: "mei may",
    6: "juni june jun",
    7: "juli july jul",
    8: "agustus august agu agt ags aug",
    9: "september sept sep",
    10: "oktober october okt oct",
    11: "november nopember nov nop",
    12: "desember december des dec",
}
_MONTH_NUMBER = {name: n for n, names in _MONTHS.items() for name in names.split()}
_JALALI_MONTHS = "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split()
_JALALI_NUMBER = {name: n for n, name in enumerate(_JALALI_MONTHS, 1)}

_MONTH_RE = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_JMONTH_RE = "|".join(sorted(_JALALI_MONTHS, key=len, reverse=True))
# Candidate finders; the groups hold day, month and year, so turning a match into a
# date is a table lookup. (dateparser was tried: it costs ~0.1 s to load, and would
# shift "03:25 GMT" into another day by time zone; the date as printed is what we want.)
_DATE_PATTERNS = [
    # 2024-06-30, 2024-06-30T10:25:00Z
    ("ymd", re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")),
    # 30 Jun 2024, Kamis, 16 Februari , 2024, 16 Februari 2024
    ("dMy", re.compile(rf"(?<![0-9])([0-9]{{1,2}})\s+({_MONTH_RE})(?![a-zA-Z])\.?\s*,?\s*([0-9]{{4}})(?![0-9])", re.I)),
    # Jun 30, 2024 10:25 Asia/Jakarta; June 30th, 2024
    ("Mdy", re.compile(rf"\b({_MONTH_RE})(?![a-zA-Z])\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?\s*,?\s*([0-9]{{4}})(?![0-9])", re.I)),
    # Jumat (16/2/2024): day first, as Indonesian and Persian papers write it
    ("dmy", re.compile(r"(?<![0-9/])([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?![0-9/])")),
    # ۲۹ بهمن ۱۴۰۲, ۲۹ بهمن ماه ۱۴۰۲ (Jalali)
    ("jalali", re.compile(rf"(?<![0-9])([0-9]{{1,2}})\s*({_JMONTH_RE})(?![\u0600-\u06FF])(?:\s*ماه)?\s*،?\s*([0-9]{{4}})(?![0-9])")),
    # ۱۴۰۲/۱۱/۲۹ (Jalali, year first)
    ("jymd", re.compile(r"(?<![0-9])(1[34][0-9]{2})/([0-9]{1,2})/([0-9]{1,2})(?![0-9])")),
]
# Same length in and out, so match positions stay meaningful: Persian and Arabic-Indic
# digits to ASCII, Arabic yeh/kaf to Persian (month names are listed in Persian letters).
_SCAN_FOLD = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يك", "01234567890123456789یک")


def find_date(lines: list[str]) -> date | None:
    """The first valid date in the first DATELINE_LINES non-blank lines, or None."""
    head = [line for line in lines if line.strip()][:DATELINE_LINES]
    for line in head:
        line = line.translate(_SCAN_FOLD)
        hits = []
        for kind, pattern in _DATE_PATTERNS:
            for m in pattern.finditer(line):
                parsed = _to_date(kind, m.groups())
                if parsed is not None:
                    hits.append((m.start(), parsed))
        if hits:
            return min(hits)[1]
    return None


def _to_date(kind: str, groups: tuple[str, ...]) -> date | None:
    try:
        if kind == "ymd":
            y, m, d = (int(g) for g in groups)
        elif kind == "dMy":
            d, m, y = int(groups[0]), _MONTH_NUMBER[groups[1].lower()], int(groups[2])
        elif kind == "Mdy":
            m, d, y = _MONTH_NUMBER[groups[0].lower()], int(groups[1]), int(groups[2])
        elif kind == "dmy":
            d, m, y = (int(g) for g in groups)
        else:
            if kind == "jalali":
                d, m, y = int(groups[0]), _JALALI_NUMBER[groups[1]], int(groups[2])
            else:
                y, m, d = (int(g) for g in groups)
            return _jalali_to_gregorian(y, m, d)
        if not 1900 <= y <= 2100:
            return None
        return date(y, m, d)
    except ValueError:
        return None


def _jalali_to_gregorian(y: int, m: int, d: int) -> date | None:
    if not 1300 <= y <= 1500:  # 1921..2121: a news date, not a phone number
        return None
    import jdatetime  # lazily: only Persian datelines need it

    return jdatetime.date(y, m, d).togregorian()  # ValueError on 30 Esfand of a common year


# ---------------------------------------------------------------- loaders


def iter_documents(paths: Iterable[str | Path] | str | Path) -> Iterator[Document | LoadError]:
    """Yield a Document or a LoadError per item of the given files and directories, lazily.

    Directories are walked recursively in name order; hidden entries and files other
    than .txt/.jsonl/.jsonl.gz are skipped. An id seen twice in one pass is reported
    at its second occurrence rather than letting one document silently replace another.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    first_seen: dict[str, _Origin] = {}
    for path in paths:
        for item in _iter_path(Path(path), explicit=True):
            if isinstance(item, LoadError):
                yield item
                continue
            doc, at = item
            first = first_seen.setdefault(doc.id, at)
            if first != at:
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
            yield LoadError(str(path), None, "unsupported file type: expected .txt, .jsonl or .jsonl.gz")
        return
    yield from (_load_txt(path) if suffix == ".txt" else _load_jsonl(path, gz=suffix == ".jsonl.gz"))


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in SUFFIXES if name.endswith(s) and len(name) > len(s)), None)


def _load_txt(path: Path) -> Iterator[_Loaded | LoadError]:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        yield LoadError(where, None, f"cannot read: {e.strerror or e}")
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
