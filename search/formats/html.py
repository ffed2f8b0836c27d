"""Saved news pages (.html, .htm, POST text/html) -> Document, by trafilatura.

trafilatura finds the main text, title, author and site name; around it this
module puts back what it gets wrong for our news:

- It deletes every ZWNJ (U+200C): its clean-up keeps only printable characters,
  and ZWNJ is a format character. Persian writes it inside words (می‌کند), and the
  analyzers and highlighting depend on it, so it is swapped for a printable
  placeholder the page does not contain before extraction and swapped back after.
- It keeps inline "Baca juga: ..." paragraphs and "(rkk/rkk)" editor tags: the
  project's news clean-up (cleanup.clean_text) runs on its text, then the tag.
- It reads no Jalali visible date (۳ آذر ۱۴۰۴): the project's dateline parser
  reads the lines after the headline when the markup names no date.
- It keeps the labels of Indonesian and Persian bylines ("Penulis: X", "خبرنگار: X")
  and an editor credited beside the writer: search/bylines.py drops them.

lxml (trafilatura's parser) also enters here: feeds.py turns summaries to text
with `fragment_text`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from analyzers import LANGS

from .. import bylines
from ..cleanup import clean_text
from ..datelines import find_date
from ..documents import Document, LoadError, _check_id, read_file
from . import is_url, normalize_url, path_id, url_id

ZWNJ = "\u200c"
# Printable, so trafilatura keeps them; absent from news text. The first one the
# page does not contain is used.
_PLACEHOLDERS = ("\u2e2e", "\u2e4e", "\u2bd1", "\u2e3f")
# A detik/kompas editor tag closing an article: (rkk/rkk), (mae/imk), (aik/dnu/ega).
_EDITOR_TAG = re.compile(r"\s*\((?:[a-z]{2,4}/){1,3}[a-z]{2,4}\)\s*$")
_TEXT_NODES = etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
MAX_TITLE_CHARS = 1000


def extract(markup: str, url: str | None = None, where: str | None = None) -> Document | str:
    """The page as a Document, or a message saying why it has none.

    `url` is where the page was fetched (a WARC record, POST's url parameter); a
    canonical link or og:url in the page wins over it. Without any URL the id is
    a hash of `where` (the file's path).
    """
    if "\x00" in markup:
        return "not an HTML page: binary data (contains NUL bytes)"
    placeholder = next((p for p in _PLACEHOLDERS if p not in markup), None)
    swapped = markup.replace(ZWNJ, placeholder) if placeholder else markup
    try:
        tree = lxml.html.document_fromstring(swapped)
    except (etree.ParserError, ValueError) as e:
        return f"not an HTML page: {e}"
    canonical = _canonical(tree, url)
    page_lang = _lang(tree)
    nodes = [t.strip() for t in _TEXT_NODES(tree) if t.strip()]
    try:
        found = trafilatura.bare_extraction(
            tree, url=canonical or url, with_metadata=True, include_comments=False,
            include_tables=False, date_extraction_params={"extensive_search": False},
        )
    except Exception as e:  # noqa: BLE001 - a third-party parser on untrusted markup: this page's failure
        return f"cannot extract the page's text: {type(e).__name__}"
    if found is None or not (found.text or "").strip():
        return "no article text found in the page"

    def back(value: str | None) -> str:
        value = (value or "").strip()
        return value.replace(placeholder, ZWNJ) if placeholder else value

    title = back(found.title)[:MAX_TITLE_CHARS]
    lines = back(found.text).split("\n")
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]  # the headline, repeated as the text's first line
    text, dateline = clean_text("\n".join(lines))
    text = _EDITOR_TAG.sub("", text).strip()
    if not text:
        return "no article text found in the page"
    published = _iso(found.date) or dateline or _date_after_title(nodes, title, placeholder)
    if canonical:
        doc_id = url_id(canonical)
    elif where is not None:
        doc_id = path_id(where)
    else:
        return "no URL: give the page's address (a canonical link in it, or the url parameter)"
    doc_id, problem = _check_id(doc_id)
    if problem:
        return f"bad id: {problem}"
    return Document(
        id=doc_id, title=title, text=text, lang=page_lang, date=published,
        source=back(found.sitename) or back(found.hostname) or None,
        url=canonical, author=bylines.clean(back(found.author)),
    )


def load_page(path: Path) -> Iterator[tuple[Document, None] | LoadError]:
    where = str(path)
    raw = read_file(path)
    if isinstance(raw, LoadError):
        yield raw
        return
    result = extract(decode(raw), where=where)
    if isinstance(result, str):
        yield LoadError(where, None, result)
    else:
        yield result, None


def decode(raw: bytes, charset: str | None = None) -> str:
    """A page's bytes as text: the declared charset, else UTF-8, else trafilatura's guess."""
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return trafilatura.utils.decode_file(raw)


def fragment_text(markup: str) -> str:
    """The text of an HTML fragment (a feed item's content), one line per block."""
    if "<" not in markup:
        return markup.strip()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return markup.strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for block in root.xpath(".//p|.//br|.//div|.//li|.//h1|.//h2|.//h3|.//h4|.//tr"):
        block.tail = "\n" + (block.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _canonical(tree, fetched: str | None) -> str | None:
    """<link rel=canonical>, else og:url, made absolute against the fetched URL; else that URL."""
    for value in tree.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"):
        value = urljoin(fetched, value.strip()) if fetched else value.strip()
        if is_url(value):
            return normalize_url(value)
    return normalize_url(fetched) if is_url(fetched) else None


def _lang(tree) -> str | None:
    value = (tree.get("lang") or "").strip().lower()[:2]
    return value if value in LANGS else None


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _date_after_title(nodes: list[str], title: str, placeholder: str | None) -> date | None:
    """The dateline printed under the headline, which extraction left out of the text."""
    if not title:
        return None
    if placeholder:
        title = title.replace(ZWNJ, placeholder)
    for i, node in enumerate(nodes):
        if node == title or (len(node) >= 10 and node in title) or title in node:
            return find_date(nodes[i + 1:])
    return None
