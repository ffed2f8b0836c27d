"""One error envelope for the whole app: {"ok": false, "error": message, "status": code}.

Three sources of errors reach a response: HTTP errors from routing and limits
(404, 405, 413, 414), the core's typed LintasError (BadRequest, IndexNotFound,
DocumentNotFound, each with its .status), and bugs (500, logged with the
traceback; the client gets a generic message, never internals).

API routes always answer JSON. Other paths (the page, unknown URLs) answer HTML
when the client prefers it, i.e. a browser, and JSON otherwise (curl, scripts).
"""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.errors import LintasError

API_PREFIXES = ("/search", "/suggest", "/documents", "/tasks/", "/health", "/openapi.json")


def error_body(message: str, status: int) -> dict:
    return {"ok": False, "error": message, "status": status}


def error_response(message: str, status: int) -> Response:
    """The error as JSON, or as the HTML page a browser would rather read."""
    if _wants_html():
        return Response(render_template("error.html", error=message, status=status), status)
    response = jsonify(error_body(message, status))
    response.status_code = status
    return response


def register(app: Flask) -> None:
    app.before_request(_check_request_size)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(LintasError, _lintas_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_html() -> bool:
    if request.path.startswith(API_PREFIXES):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _check_request_size() -> None:
    # Runs before routing errors are raised, so even an unknown route is bounded.
    # Flask enforces MAX_CONTENT_LENGTH only when a body is read, and no route reads one.
    limit = body_limit()
    # Also caps a chunked body (no Content-Length) when a route reads it.
    request.max_content_length = limit
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
    if len(request.query_string) > current_app.config["MAX_QUERY_STRING_BYTES"]:
        abort(414)


def body_limit() -> int | None:
    """The body size limit of this request: writes take documents, every other route none."""
    if request.method == "POST" and request.path == "/documents":
        return current_app.config.get("MAX_WRITE_BYTES", current_app.config["MAX_CONTENT_LENGTH"])
    return current_app.config["MAX_CONTENT_LENGTH"]


def _http_error(e: HTTPException) -> Response:
    status = e.code or 500
    response = error_response(_http_message(e, status), status)
    # Keep headers the status needs, e.g. Allow on a 405.
    for name, value in e.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _http_message(e: HTTPException, status: int) -> str:
    if status == 404:
        return f"no such page: {request.path}; the routes are listed at /openapi.json"
    if status == 405:
        allowed = ", ".join(sorted(m for m in (e.valid_methods or []) if m not in ("HEAD", "OPTIONS")))
        return f"{request.method} is not allowed on {request.path}; use {allowed or 'GET'}"
    if status == 413:
        if request.method == "POST" and request.path == "/documents":
            return (f"the request body is too large (limit {body_limit()} bytes): "
                    "send the documents in several requests")
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return (f"the request body is too large (limit {limit} bytes); only POST /documents "
                "takes a body, every other route takes parameters")
    if status == 414:
        limit = current_app.config["MAX_QUERY_STRING_BYTES"]
        return (
            f"the URL's query string is {len(request.query_string)} bytes; the limit is {limit}: "
            "shorten the query"
        )
    return e.description or e.name


def _lintas_error(e: LintasError) -> Response:
    if _wants_html():
        return error_response(str(e), e.status)
    # Per-item errors of a write (web/writes.py) ride along with the message.
    response = jsonify({**error_body(str(e), e.status), **getattr(e, "extra", {})})
    response.status_code = e.status
    for name, value in getattr(e, "headers", {}).items():  # WWW-Authenticate on a 401
        response.headers[name] = value
    if getattr(e, "retry_after", None):  # a full or unavailable write queue (429, 503)
        response.headers["Retry-After"] = str(e.retry_after)
    return response


def _unexpected_error(e: Exception) -> Response:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.full_path)
    return error_response(
        "internal error: this is a bug in Lintas, not in your request; the details are in the server log",
        500,
    )
