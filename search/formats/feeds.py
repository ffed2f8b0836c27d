"""RSS 2.0 and Atom feeds (.xml, .rss, .atom) -> one Document per item, by feedparser.

An item's link is its url and, hashed, its id (formats.url_id), so an article met
in a feed and again as a saved page or in a WARC is one document.

Dates: feedparser turns a Jalali pubDate ("۱۴۰۴/۰۹/۰۳ - ۱۰:۰۰") into the year 1404
without a word, and shifts every date to UTC (01:30 +0330 on the 24th becomes the
23rd). So the raw string is read first: RFC 822 or ISO as written, then the
project's dateline parser (Jalali, "Senin, 24 Nov 2025 10:15 WIB"); feedparser's
own reading only as a last resort, and never a year before 1990.

Authors: the names feedparser reads (dc:creator, <author>), cleaned like a page's
byline (search/bylines.py); an RSS <author> is "e-mail (name)", and only the name is kept.
"""

from __future__ import annotations

import email.utils
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import feedparser

from analyzers import LANGS

from .. import bylines
from ..cleanup import clean_text
from ..datelines import find_date
from ..documents import Document, LoadError, read_file
from . import is_url, normalize_url, url_id
from .html import fragment_text

MIN_YEAR = 1990


def parse_feed(raw: bytes) -> tuple[list[Document | str], str | None]:
    """(per item a Document or what is wrong with it, None) or ([], why this is no feed)."""
    parsed = feedparser.parse(raw)
    if not parsed.version and not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: None)() or "no <rss> or <feed> element"
        return [], f"not an RSS or Atom feed: {reason}"
    feed = parsed.feed
    lang = (feed.get("language") or "").strip().lower()[:2]
    source = (feed.get("title") or "").strip() or None
    # An Atom feed's <author> is every entry's that names none (RFC 4287 4.2.1). RSS has
    # no such rule: feedparser gives its managingEditor as the feed's author.
    feed_author = _author(feed) if (parsed.version or "").startswith("atom") else None
    return [_item(entry, lang if lang in LANGS else None, source, feed_author)
            for entry in parsed.entries], None


def load_feed(path: Path) -> Iterator[tuple[Document, int] | LoadError]:
    where = str(path)
    raw = read_file(path)
    if isinstance(raw, LoadError):
        yield raw
        return
    items, problem = parse_feed(raw)
    if problem:
        yield LoadError(where, None, problem)
    for number, item in enumerate(items, 1):
        yield LoadError(where, number, f"item {number}: {item}") if isinstance(item, str) else (item, number)


def _author(entry) -> str | None:
    """The names of an entry's authors (dc:creator, <author>, Atom <author><name>): never
    an e-mail address, which RSS's <author> holds ("news@site (Name)")."""
    emails = [word for word in (entry.get("author") or "").split() if "@" in word]
    names = []
    for person in entry.get("authors") or []:
        name = fragment_text(person.get("name") or "") if isinstance(person, dict) else ""
        # feedparser cuts a bare "news@site.example" into the address "news@site.exam"
        # and the name "ple": a name found inside an address is none.
        if name and not any(name in address for address in emails):
            names.append(name)
    return bylines.join(names)


def _item(entry, lang: str | None, source: str | None, feed_author: str | None = None) -> Document | str:
    link = (entry.get("link") or "").strip()
    if not is_url(link):
        guid = (entry.get("id") or "").strip()
        if not is_url(guid):
            return "no link (and no guid that is a URL): nothing to identify it by"
        link = guid
    title = fragment_text(entry.get("title") or "")
    contents = entry.get("content") or []
    body = contents[0].get("value", "") if contents else entry.get("summary") or ""
    text, dateline = clean_text(fragment_text(body))
    if not text.strip():
        return "no content or summary"
    raw_date = entry.get("published") or entry.get("updated")
    # dict.get: FeedParserDict maps updated_parsed to published_parsed with a warning
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return Document(
        id=url_id(link), title=title, text=text, lang=lang,
        date=item_date(raw_date, parsed) or dateline, source=source, url=normalize_url(link),
        author=_author(entry) or feed_author,
    )


def item_date(raw: str | None, parsed) -> date | None:
    """The item's date as the feed wrote it; see the module's docstring for the order."""
    if raw:
        raw = raw.strip()
        if raw.isascii():
            for read in (_rfc822, _iso):
                found = read(raw)
                if found is not None and found.year >= MIN_YEAR:
                    return found
        found = find_date([raw])
        if found is not None:
            return found
        if not raw.isascii():
            return None  # Persian digits or month names feedparser cannot have read right
    if parsed and parsed.tm_year >= MIN_YEAR:
        try:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
        except ValueError:
            return None
    return None


def _rfc822(raw: str) -> date | None:
    try:
        return email.utils.parsedate_to_datetime(raw).date()
    except (TypeError, ValueError, IndexError):
        return None


def _iso(raw: str) -> date | None:
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        return None
