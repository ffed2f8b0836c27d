"""Web formats for `lintas index` and POST /documents: saved pages, feeds, web archives.

Each loader lives in its own module, the one place its library enters:
html.py (trafilatura, lxml), feeds.py (feedparser), warc.py (warcio). They are
imported only when a file of their kind is read, so the .txt/.jsonl path and
the search server never pay for them.

A web document's id is a hash of its canonical URL, so one article saved twice,
or found in a feed and in a WARC, is one document (`url_id`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# Longest first, so ".warc.gz" is found before anything shorter.
SUFFIXES = (".warc.gz", ".warc", ".html", ".htm", ".atom", ".rss", ".xml")


@dataclass(frozen=True)
class Skipped:
    """An input item that is not a document and not an error (a WARC request record,
    a second copy of an article): counted, never indexed."""

    path: str
    line: int | None
    reason: str


def normalize_url(url: str) -> str:
    """One spelling per URL: scheme and host lower-cased, default port and fragment
    dropped, the path percent-encoded the same way whether it came escaped or not."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    query = quote(unquote(parts.query), safe="=&:@!$'()*+,;/?-._~")
    return urlunsplit((scheme, host, path, query, ""))


def url_id(url: str) -> str:
    """The stable id of a document found at `url` (any spelling of it)."""
    return "u" + hashlib.sha256(normalize_url(url).encode()).hexdigest()[:24]


def path_id(path: str | Path) -> str:
    """The id of a saved page that names no URL: a hash of its path as given."""
    return "p" + hashlib.sha256(Path(path).as_posix().encode()).hexdigest()[:24]


def is_url(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def suffix_of(name: str) -> str | None:
    name = name.lower()
    return next((s for s in SUFFIXES if name.endswith(s) and len(name) > len(s)), None)


def load(path: Path, suffix: str) -> Iterator:
    """Documents of one web-format file: yields (Document, item number or None),
    LoadError or Skipped."""
    if suffix in (".html", ".htm"):
        from .html import load_page

        return load_page(path)
    if suffix in (".xml", ".rss", ".atom"):
        from .feeds import load_feed

        return load_feed(path)
    from .warc import load_warc

    return load_warc(path)
