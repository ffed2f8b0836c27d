"""Routes: the search page (/), the JSON API (/search, /documents/<id>, /health) and /openapi.json.

Views only translate: query string -> SearchRequest (params), Engine call,
result -> JSON or template. Errors raised here are rendered by web.errors,
except on the page, which shows them inline next to the search box.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup

from search.documents import Document
from search.errors import LintasError

from . import current_engine, timeline
from .display import LANG_NAMES, date_html
from .openapi import SPEC
from .pagination import paginate
from .params import SEARCH_PARAMS, search_request

bp = Blueprint("views", __name__)


@bp.get("/search")
def search() -> Response:
    """Ranked results as JSON. :raise 400: bad parameter. :raise 503: no index."""
    # Validate first: a bad parameter is worth reporting even while the index is missing.
    search_req = search_request(request.args)
    results = current_engine().search(search_req)
    return jsonify({"ok": True, **results.to_dict()})


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> Response:
    """One stored document. :raise 404: unknown id."""
    return jsonify({"ok": True, "document": _document_dict(current_engine().document(doc_id))})


@bp.get("/health")
def health() -> Response:
    """Document count, write queue, and whether hybrid search can run. :raise 503: no index yet."""
    from .writes import queue_health

    engine = current_engine()
    status = engine.dense.status()
    # A sharded index: every shard, open or not (and why).
    shards = {"shards": engine.shard_health()["shard_list"]} if engine.sharded else {}
    return jsonify({"ok": True, "documents": engine.count(), "warm": engine.warm.is_set(), **shards,
                    **queue_health(current_app._get_current_object()),
                    "semantic": {"available": status["unavailable"] is None, "vectors": status["vectors"],
                                 "reason": status["unavailable"]}})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)


@bp.get("/")
def index() -> tuple[str, int]:
    """The search page. Without q: just the box. With q: results, rendered server-side."""
    q = request.args.get("q", "")
    if "q" not in request.args:
        return render_template("search.html", q=""), 200
    try:
        search_req = search_request(request.args, histogram="auto")
        results = current_engine().search(search_req)
    except LintasError as e:
        # Shown on the page with the box still filled in, so the user can fix it.
        return render_template("search.html", q=q, error=str(e)), e.status
    return render_template(
        "search.html",
        q=q,
        search_request=search_req,
        results=results,
        # The engine guarantees snippets are escaped except for <mark>; a test
        # indexes a <script> and checks it comes out escaped before we trust it here.
        hits=[(hit, Markup(hit.snippet)) for hit in results.hits],
        # Folded results paginate by what is listed: one line per cluster.
        pagination=paginate(results.page, results.per_page, results.total_collapsed),
        lang_names=LANG_NAMES,
        page_url=_page_url,
        date_html=date_html,
        bars=timeline.bars(results.histogram or {}),
        timeline_size=(timeline.WIDTH, timeline.HEIGHT, timeline.AXIS),
    ), 200


def _page_url(**overrides: object) -> str:
    """This page's URL with some search parameters changed (None removes one)."""
    params = {k: request.args[k] for k in SEARCH_PARAMS if request.args.get(k)}
    params.update(overrides)
    return url_for("views.index", **{k: v for k, v in params.items() if v is not None})


def _document_dict(doc: Document) -> dict:
    data = asdict(doc)
    data["date"] = doc.date.isoformat() if doc.date else None
    return data
