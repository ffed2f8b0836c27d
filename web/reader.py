"""Routes for reading: the article page (/articles/<id>) and completions (/suggest).

/documents/<id> stays the raw JSON of a document; /articles/<id> is the page a
result title links to, with `?q=` carried over so the query's words are marked.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from search.completions import MAX_LIMIT
from search.errors import BadRequest
from search.request import MAX_QUERY_CHARS

from . import current_engine
from .display import LANG_NAMES, date_html

bp = Blueprint("reader", __name__)


@bp.get("/articles/<doc_id>")
def article(doc_id: str) -> tuple[str, int]:
    """The article page. :raise 404: unknown id (an HTML page for a browser)."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    found = current_engine().article(doc_id, q)
    doc = found.document
    url = doc.url if doc.url and doc.url.lower().startswith(("http://", "https://")) else None
    return render_template(
        "article.html", q=q, article=found, doc=doc, original_url=url,
        lang_names=LANG_NAMES, date_html=date_html,
    ), 200


@bp.get("/suggest")
def suggest() -> Response:
    """Completions of the last word typed, from the index's own words, most documents first."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    raw_limit = request.args.get("limit", "8").strip() or "8"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw_limit[:20]!r}")
    found = current_engine().complete(q, int(raw_limit))
    return jsonify({"ok": True, "query": q,
                    "suggestions": [{"text": c.text, "word": c.word, "documents": c.documents} for c in found]})
