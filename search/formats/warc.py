"""Web archives (.warc, .warc.gz) -> one Document per HTML response, by warcio.

Every `response` record whose HTTP status is 200 and whose Content-Type is HTML
goes through the page extractor (formats.html) with its WARC-Target-URI as the
fetched URL; a canonical link in the page still wins. Every other record
(warcinfo, request, metadata, revisit, images, error pages) is skipped and
counted by kind, so a crawl's archive indexes as it is.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..documents import Document, LoadError
from . import Skipped
from .html import decode, extract

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_RECORD_BYTES = 20 * 1024 * 1024  # a page bigger than this is not an article


def load_warc(path: Path) -> Iterator[tuple[Document, int] | LoadError | Skipped]:
    try:
        stream = open(path, "rb")
    except OSError as e:
        yield LoadError(str(path), None, f"cannot read: {e.strerror or e}")
        return
    with stream:
        yield from iter_warc(stream, str(path))


def iter_warc(stream: BinaryIO, where: str) -> Iterator[tuple[Document, int] | LoadError | Skipped]:
    """The records of a WARC read from `stream` (a file, a POST body), gzipped or not."""
    number = 0
    try:
        for number, record in enumerate(ArchiveIterator(stream), 1):
            result = _record(record, where, number)
            while record.raw_stream.read(1 << 16):
                pass
            if getattr(record.raw_stream, "limit", 0):
                # Fewer bytes than its Content-Length: the file ends inside it.
                yield LoadError(where, number, f"record {number} is cut short: the archive is truncated")
                return
            yield result
        if _gzipped(stream):
            _check_gzip_end(stream)  # warcio drops a cut-off last gzip member silently
    except OSError as e:
        yield LoadError(where, None, f"cannot read: {e.strerror or e}")
    except (ArchiveLoadFailed, ValueError, EOFError) as e:
        # A truncated or corrupt archive: the records before the damage are kept.
        yield LoadError(where, number + 1, f"not a readable WARC record: {e}")


def _gzipped(stream: BinaryIO) -> bool:
    stream.seek(0)
    return stream.read(2) == b"\x1f\x8b"


def _check_gzip_end(stream: BinaryIO) -> None:
    """Raise EOFError if the gzip stream stops before its end marker."""
    stream.seek(0)
    with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
        while unzipped.read(1 << 20):
            pass


def _record(record, where: str, number: int):
    kind = record.rec_type
    if kind != "response":
        return Skipped(where, number, f"{kind} record")
    http = record.http_headers
    if http is None:
        return Skipped(where, number, "response without HTTP headers")
    status = http.get_statuscode()
    if status != "200":
        return Skipped(where, number, f"HTTP {status} response")
    content_type = (http.get_header("Content-Type") or "").lower()
    if not content_type.startswith(HTML_TYPES):
        return Skipped(where, number, f"{content_type.split(';')[0] or 'untyped'} response")
    body = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if len(body) > MAX_RECORD_BYTES:
        return LoadError(where, number, f"record {number}: page larger than {MAX_RECORD_BYTES} bytes")
    charset = next((p.split("=", 1)[1].strip(' "') for p in content_type.split(";")[1:]
                    if p.strip().startswith("charset=")), None)
    uri = record.rec_headers.get_header("WARC-Target-URI")
    result = extract(decode(body, charset), url=uri, where=f"{where}#{number}")
    if isinstance(result, str):
        return LoadError(where, number, f"record {number} ({uri}): {result}")
    return result, number
