"""The write API: POST /documents, DELETE /documents/<id>, GET /tasks/<n>.

A request is validated item by item (the loaders' own checks and messages), its
good items stored in the durable write queue as one task, and only then answered
202 with the task's number; the server's one index writer (search/writer.py)
makes them searchable. Bad items are reported by their index in the request; the
rest are accepted. Nothing is written to the index from a request thread. A
sharded index has a queue and a writer per shard (search/shard_writes.py routes).
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from search.documents import _check_id, _parse_record
from search.errors import BadRequest, LintasError
from search.formats import is_url
from search.queue import MAX_PENDING, Op, WriteQueue
from search.shard_writes import ShardedQueue, ShardedWriterThread
from search.shards import is_sharded
from search.writer import WriterThread

from .auth import require

bp = Blueprint("writes", __name__)

_QUEUE = "lintas.queue"
_WRITER = "lintas.writer"
# A request body past this is refused (413) before it is read.
MAX_WRITE_BYTES = 8 * 1024 * 1024
MAX_ITEMS = 10_000  # documents per request
MAX_ERRORS_SHOWN = 100
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
WARC_TYPES = ("application/warc", "application/x-warc")
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson")


class UnsupportedType(LintasError):
    status = 415


class NoValidDocument(BadRequest):
    """Every item of a request was bad: nothing was queued. Carries the per-item errors."""

    def __init__(self, message: str, errors: list[dict], total: int):
        super().__init__(message)
        self.extra = {"errors": errors[:MAX_ERRORS_SHOWN], "rejected": total}


def register(app: Flask) -> None:
    app.config.setdefault("MAX_WRITE_BYTES", MAX_WRITE_BYTES)
    app.config.setdefault("WRITE_QUEUE_MAX", MAX_PENDING)
    app.register_blueprint(bp)


def write_queue(app: Flask | None = None) -> WriteQueue | ShardedQueue:
    app = app or current_app._get_current_object()
    queue = app.extensions.get(_QUEUE)
    if queue is None:
        kind = ShardedQueue if is_sharded(app.config["INDEX_DIR"]) else WriteQueue
        queue = app.extensions.setdefault(
            _QUEUE, kind(app.config["INDEX_DIR"], max_pending=app.config["WRITE_QUEUE_MAX"]))
    return queue


def start_writer(app: Flask) -> WriterThread | ShardedWriterThread:
    """Start this process's writer thread (it writes only once it holds the index's lock;
    a sharded index: one per shard, each with its shard's lock)."""
    writer = app.extensions.get(_WRITER)
    if writer is None:
        kind = ShardedWriterThread if is_sharded(app.config["INDEX_DIR"]) else WriterThread
        writer = app.extensions[_WRITER] = kind(
            app.config["INDEX_DIR"], grace=app.config.get("WRITER_GRACE", 0.0)).start()
    return writer


def queue_health(app: Flask) -> dict:
    """The /health fields of the write queue (absent until something was queued)."""
    queue = write_queue(app)
    if not queue.path.exists():
        return {}
    summary = queue.summary()
    return {"queue": summary} if summary["last_task"] else {}


@bp.post("/documents")
def add_documents() -> tuple[Response, int]:
    """Queue documents: a JSON object or array, JSONL, or one HTML page (?url=)."""
    require("admin")
    items = _items()
    docs, errors = [], []
    for index, item in enumerate(items):
        if isinstance(item, bytes):
            item = _parse_record(item, first=index == 0)
        if isinstance(item, str):
            errors.append({"index": index, "error": item})
        else:
            docs.append(item)
    if not docs:
        what = "the request has no documents" if not items else "no valid document in the request"
        raise NoValidDocument(f"{what}: nothing was queued", errors, len(errors))
    task = write_queue().enqueue([Op("put", doc.id, doc) for doc in docs])
    response = jsonify({"ok": True, "task": task, "accepted": len(docs), "rejected": len(errors),
                        "errors": errors[:MAX_ERRORS_SHOWN], "status_url": f"/tasks/{task}"})
    response.headers["Location"] = f"/tasks/{task}"
    return response, 202


@bp.delete("/documents/<doc_id>")
def delete_document(doc_id: str) -> tuple[Response, int]:
    """Queue a deletion (an id not in the index is no error: the result is the same)."""
    require("admin")
    checked, problem = _check_id(doc_id)
    if problem:
        raise BadRequest(f"bad id: {problem}")
    task = write_queue().enqueue([Op("delete", checked)])
    response = jsonify({"ok": True, "task": task, "status_url": f"/tasks/{task}"})
    response.headers["Location"] = f"/tasks/{task}"
    return response, 202


@bp.get("/tasks/<int:task>")
def task(task: int) -> Response:
    """Whether a task's documents are indexed (searchable within the engine's refresh, 0.2 s)."""
    status = write_queue().status(task) if task < 2**62 else None
    if status is None:
        raise _NoTask(f"no task {task}: task numbers come from POST or DELETE /documents")
    return jsonify({"ok": True, **status})


class _NoTask(LintasError):
    status = 404


def _items() -> list:
    """The request's items: dicts re-encoded as JSONL lines (bytes) for the loader's
    checks, messages (str) for items already known bad, or Documents (an HTML page)."""
    mimetype = request.mimetype
    if mimetype == "text/html":
        return [_html_item()]
    body = request.get_data(cache=False)
    if mimetype in FEED_TYPES:
        from search.formats.feeds import parse_feed

        items, problem = parse_feed(body)
        if problem:
            raise BadRequest(problem)
        _check_count(len(items))
        return items
    if mimetype in WARC_TYPES:
        return _warc_items(body)
    if mimetype in JSONL_TYPES:
        lines = [line for line in body.split(b"\n") if line.strip()]
        _check_count(len(lines))
        return lines
    if mimetype != "application/json":
        raise UnsupportedType(
            f"Content-Type {mimetype or '(none)'} is not accepted: send application/json (an object or an "
            "array of objects), application/x-ndjson (one object a line), text/html with ?url=, "
            "a feed (application/rss+xml, application/atom+xml) or a WARC (application/warc)")
    try:
        parsed = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise BadRequest(f"the body is not valid UTF-8 (byte at offset {e.start})") from None
    except json.JSONDecodeError as e:
        raise BadRequest(f"the body is not JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except (ValueError, RecursionError) as e:
        raise BadRequest(f"the body is not usable JSON: {str(e)[:100] or type(e).__name__}") from None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise BadRequest(f"expected a JSON object or an array of objects, got {type(parsed).__name__}")
    _check_count(len(parsed))
    return [json.dumps(item, ensure_ascii=False).encode() if isinstance(item, dict)
            else f"expected a JSON object, got {type(item).__name__}" for item in parsed]


def _check_count(n: int) -> None:
    if n > MAX_ITEMS:
        raise BadRequest(f"{n} documents in one request; the limit is {MAX_ITEMS}: split it")


def _warc_items(body: bytes) -> list:
    import io

    from search.formats import Skipped
    from search.formats.warc import iter_warc

    items = []
    for item in iter_warc(io.BytesIO(body), "request"):
        if isinstance(item, Skipped):
            continue  # not a document (a request record, an image): not an error either
        items.append(item.message if hasattr(item, "message") else item[0])
    _check_count(len(items))
    return items


def _html_item():
    from search.formats.html import decode, extract  # trafilatura loads on the first page only

    url = request.args.get("url", "").strip()
    if not is_url(url):
        raise BadRequest("text/html needs the page's address: POST /documents?url=https://...")
    charset = request.mimetype_params.get("charset")
    return extract(decode(request.get_data(cache=False), charset), url=url)
