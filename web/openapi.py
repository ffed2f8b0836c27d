"""The OpenAPI 3 description of the HTTP routes, served at /openapi.json.

Hand-written on purpose: the routes are few, and a test checks that every
route in the app's URL map is described here, so the two cannot drift apart.
"""

from __future__ import annotations

from analyzers import LANGS
from search.calendars import CALENDARS
from search.completions import MAX_LIMIT
from search.request import HISTOGRAMS, MAX_PER_PAGE, MAX_QUERY_CHARS, MODES, SORTS

from .writes import MAX_ITEMS, MAX_WRITE_BYTES


def _param(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema_ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


SEARCH_PARAMETERS = [
    _param("q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
           "Query: words, \"phrases\", AND/OR/NOT, prefix*. Broken syntax falls back to plain words.",
           required=True),
    _param("lang", {"type": "string", "enum": list(LANGS)}, "Only documents in this language."),
    _param("source", {"type": "string"}, "Only documents from this source."),
    _param("from", {"type": "string"}, "Only documents dated on or after this date: ISO (2024-02-18), or "
           "Jalali with calendar=jalali (1402-11-29); a date in Persian digits (۱۴۰۲/۱۱/۲۹) is Jalali."),
    _param("to", {"type": "string"}, "Only documents dated on or before this date (as for from)."),
    _param("calendar", {"type": "string", "enum": list(CALENDARS), "default": "gregorian"},
           "The calendar of from and to."),
    _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
           "Result order: relevance, newest or oldest first (undated documents last); date = newest."),
    _param("collapse", {"type": "integer", "enum": [0, 1], "default": 1},
           "1: near-duplicate articles are one result, the others listed in its similar; 0: every copy."),
    _param("mode", {"type": "string", "enum": list(MODES)},
           "Ranking. hybrid: words (BM25F) and meaning (the bundled multilingual model) fused, "
           "so a question can find an answer in other words or another language; lexical: words "
           "only; semantic: meaning only (the 100 nearest documents per language). Default: hybrid "
           "when the index has vectors and the model loads, else lexical (then hybrid falls back "
           "to lexical and semantic is a 400). Sorting by date orders the lexical matches whatever "
           "the mode. The response's `mode` says which ran."),
    _param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
           "Results per page."),
    _param("xscript", {"type": "integer", "enum": [0, 1], "default": 1},
           "1: a name is also searched as the index's terms that write it in the other script "
           "(Tehran -> تهران, باکو -> Baku), reported in also_searched; 0: only as typed."),
]

HISTOGRAM_PARAMETER = _param(
    "histogram", {"type": "string", "enum": list(HISTOGRAMS)},
    "Also count the matches per day, week, month or year; auto picks by the span of their dates.")

SPEC = {
    "openapi": "3.0.3",
    "info": {
        "title": "Lintas",
        "version": "0.1.0",
        "description": "Full-text search over Persian (fa) and Indonesian (id) news, English fallback.",
    },
    "paths": {
        "/": {
            "get": {
                "summary": "Search page (HTML); renders results server-side when q is given",
                "parameters": [{**p, "required": False} for p in SEARCH_PARAMETERS],
                "responses": {
                    "200": {"description": "HTML page", "content": {"text/html": {}}},
                    "400": {"description": "HTML page with a message about the bad parameter",
                            "content": {"text/html": {}}},
                },
            }
        },
        "/search": {
            "get": {
                "summary": "Ranked search results with highlighted snippets",
                "parameters": [*SEARCH_PARAMETERS, HISTOGRAM_PARAMETER],
                "responses": {
                    "200": _ok("Results", "#/components/schemas/SearchResults"),
                    "400": _error("Bad parameter; the message says which and how to fix it"),
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/articles/{id}": {
            "get": {
                "summary": "The article page (HTML): full text with the words of q marked, more like this",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, "Query whose words are marked."),
                ],
                "responses": {
                    "200": {"description": "HTML page", "content": {"text/html": {}}},
                    "404": {"description": "No document with that id (HTML for a browser, else JSON)",
                            "content": {"text/html": {}, "application/json": {}}},
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/suggest": {
            "get": {
                "summary": "Completions of the last word typed, from the index's own words",
                "parameters": [
                    _param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
                           "What has been typed so far; its last word is completed.", required=True),
                    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 8},
                           "At most this many completions."),
                ],
                "responses": {
                    "200": _ok("Completions, most documents first", "#/components/schemas/Suggestions"),
                    "400": _error("Bad parameter"),
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/documents/{id}": {
            "delete": {
                "summary": "Queue the deletion of a document (admin key); an unknown id is no error",
                "security": [{"bearer": []}],
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "202": _ok("Queued durably", "#/components/schemas/Accepted"),
                    "400": _error("Not a usable id"),
                    "401": _error("No key, or a key that is unknown or revoked"),
                    "403": _error("A search key: writing needs an admin key"),
                    "429": _error("The write queue is full; retry after Retry-After"),
                },
            },
            "get": {
                "summary": "One stored document",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _ok("The document", "#/components/schemas/DocumentEnvelope"),
                    "404": _error("No document with that id"),
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/documents": {
            "post": {
                "summary": "Queue documents for indexing (admin key)",
                "description": (
                    "Body: a JSON object or array of objects ({id, text} + optional title, lang, date, source, "
                    "url, author), JSONL (application/x-ndjson), one HTML page (text/html, with ?url=), an "
                    "RSS/Atom feed (application/rss+xml, application/atom+xml) or a WARC (application/warc); "
                    "a page's or feed item's author is read from it. Items "
                    "are checked one by one: bad ones are listed by their index, the rest are accepted. "
                    "202 comes once the accepted ones are durable in the write queue; GET /tasks/{task} "
                    "says when they are indexed. Same id twice: the last one wins."),
                "security": [{"bearer": []}],
                "parameters": [_param("url", {"type": "string", "format": "uri"},
                                      "text/html only: the page's address (its canonical link wins)")],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/NewDocument"},
                        {"type": "array", "maxItems": MAX_ITEMS, "items": {"$ref": "#/components/schemas/NewDocument"}},
                    ]}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                    "application/rss+xml": {"schema": {"type": "string"}},
                    "application/atom+xml": {"schema": {"type": "string"}},
                    "application/warc": {"schema": {"type": "string", "format": "binary"}},
                }},
                "responses": {
                    "202": _ok("Queued durably", "#/components/schemas/Accepted"),
                    "400": _ok("No valid document (per-item errors listed); nothing was queued",
                               "#/components/schemas/Rejected"),
                    "401": _error("No key, or a key that is unknown or revoked"),
                    "403": _error("A search key: writing needs an admin key"),
                    "413": _error(f"Body larger than the limit (`lintas serve --max-body-mb`, default "
                                  f"{MAX_WRITE_BYTES >> 20} MiB)"),
                    "415": _error("A Content-Type not listed above"),
                    "429": _error("The write queue is full; retry after the Retry-After header's seconds"),
                    "503": _error("The write queue cannot be written now; retry after Retry-After"),
                },
            }
        },
        "/tasks/{task}": {
            "get": {
                "summary": "Whether a write is indexed",
                "description": "indexed = committed to the index; every server worker searches it within 0.2 s.",
                "parameters": [{"name": "task", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": _ok("The task", "#/components/schemas/Task"),
                    "404": _error("No such task"),
                },
            }
        },
        "/health": {
            "get": {
                "summary": "Liveness, document count, and whether hybrid search can run",
                "responses": {
                    "200": _ok("The index is open", "#/components/schemas/Health"),
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}}},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "An API key from `lintas keys create`; search routes need one only "
                                      "under `lintas serve --require-key`"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["ok", "error", "status"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [False]},
                    "error": {"type": "string", "description": "What is wrong and how to fix it"},
                    "status": {"type": "integer"},
                },
            },
            "Hit": {
                "type": "object",
                "required": ["id", "title", "lang", "score", "snippet"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "lang": {"type": "string", "enum": list(LANGS)},
                    "score": {"type": "number"},
                    "snippet": {"type": "string",
                                "description": "HTML: everything escaped except <mark>...</mark>"},
                    "date": {"type": "string", "format": "date", "nullable": True},
                    "source": {"type": "string", "nullable": True},
                    "url": {"type": "string", "nullable": True},
                    "author": {"type": "string", "nullable": True,
                               "description": "The byline: one name, or several joined by \"; \"; null when unknown"},
                    "similar_count": {"type": "integer",
                                      "description": "Near-duplicates of this result that also match, folded into it"},
                    "similar": {"type": "array", "description": "The first of them",
                                "items": {"$ref": "#/components/schemas/Brief"}},
                },
            },
            "Brief": {
                "type": "object",
                "required": ["id", "title"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "source": {"type": "string", "nullable": True},
                    "date": {"type": "string", "format": "date", "nullable": True},
                },
            },
            "Histogram": {
                "type": "object",
                "required": ["interval", "buckets", "undated"],
                "properties": {
                    "interval": {"type": "string", "enum": [h for h in HISTOGRAMS if h != "auto"]},
                    "buckets": {"type": "array", "items": {
                        "type": "object", "required": ["start", "end", "count"],
                        "properties": {"start": {"type": "string", "format": "date"},
                                       "end": {"type": "string", "format": "date",
                                               "description": "Last day of the period, inclusive"},
                                       "count": {"type": "integer"}}}},
                    "undated": {"type": "integer", "description": "Matches without a date, not counted in buckets"},
                },
            },
            "Suggestions": {
                "type": "object",
                "required": ["ok", "query", "suggestions"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "query": {"type": "string"},
                    "suggestions": {"type": "array", "items": {
                        "type": "object", "required": ["text", "word", "documents"],
                        "properties": {"text": {"type": "string", "description": "The query with its last word completed"},
                                       "word": {"type": "string"},
                                       "documents": {"type": "integer"}}}},
                },
            },
            "SearchResults": {
                "type": "object",
                "required": ["ok", "query", "total", "total_collapsed", "page", "per_page", "took_ms", "results",
                             "facets", "suggestion", "respelled", "histogram", "mode",
                             "also_searched"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "query": {"type": "string"},
                    "total": {"type": "integer", "description": "Matching documents"},
                    "total_collapsed": {"type": "integer",
                                        "description": "Results once near-duplicates are folded (total with collapse=0); pages count these"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "took_ms": {"type": "number"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {
                        "type": "object",
                        "description": "Counts per facet value: lang and source (at most 20 sources, most first), "
                                       "e.g. {\"lang\": {\"fa\": 1, \"id\": 4}, \"source\": {\"Pars Today\": 2}}",
                        "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                    "suggestion": {"type": "string", "nullable": True, "description": "Did you mean"},
                    "histogram": {"allOf": [{"$ref": "#/components/schemas/Histogram"}], "nullable": True,
                                  "description": "With histogram=...: matches per period; else null"},
                    "respelled": {
                        "type": "object",
                        "description": "Query words no document contains, each also searched as the "
                                       "word(s) it most likely stands for, e.g. {\"hubungn\": \"hubungan\"}",
                        "additionalProperties": {"type": "string"},
                    },
                    "mode": {"type": "string", "enum": list(MODES),
                             "description": "How these results were ranked (see the mode parameter). "
                                            "In hybrid and semantic modes a result found by meaning "
                                            "alone has a snippet from its lead, the passage its vector "
                                            "was made from, with nothing marked; total and facets "
                                            "count the word matches plus the 100 nearest documents "
                                            "of each language"},
                    "also_searched": {
                        "type": "object",
                        "description": "Query words (or phrases) that look like names, each also searched as "
                                       "the terms that write it in the other script (Latin <-> Persian), as "
                                       "the documents write them, e.g. {\"Azerbaijan\": [\"آذربایجان\"]}. "
                                       "A match in the other script counts half; xscript=0 turns this off.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "partial": {"type": "boolean",
                                "description": "A sharded index only: some shards did not answer within the "
                                               "query's time budget (or cannot be opened); the results, total "
                                               "and facets are those of the other shards"},
                    "shards_failed": {"type": "array", "items": {"type": "integer"},
                                      "description": "A sharded index only: the shards left out of this answer"},
                },
            },
            "Document": {
                "type": "object",
                "required": ["id", "title", "text"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                    "lang": {"type": "string", "nullable": True},
                    "date": {"type": "string", "format": "date", "nullable": True},
                    "source": {"type": "string", "nullable": True},
                    "url": {"type": "string", "nullable": True},
                    "author": {"type": "string", "nullable": True},
                },
            },
            "DocumentEnvelope": {
                "type": "object",
                "required": ["ok", "document"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "document": {"$ref": "#/components/schemas/Document"},
                },
            },
            "Health": {
                "type": "object",
                "required": ["ok", "documents", "semantic"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "documents": {"type": "integer"},
                    "warm": {"type": "boolean",
                             "description": "The answering worker has loaded the tables its first queries "
                                            "would wait for (lexicon, completions, cross-script names, "
                                            "model): until then they are slower, not wrong"},
                    "shards": {
                        "type": "array",
                        "description": "A sharded index only: every shard, whether it is open, and its "
                                       "documents and generation as published at its last commit",
                        "items": {"type": "object", "required": ["shard", "ok", "documents"],
                                  "properties": {"shard": {"type": "integer"}, "ok": {"type": "boolean"},
                                                 "documents": {"type": "integer"},
                                                 "generation": {"type": "integer", "nullable": True},
                                                 "error": {"type": "string"}}},
                    },
                    "queue": {
                        "type": "object",
                        "description": "The write queue, once anything was written over HTTP",
                        "properties": {
                            "pending": {"type": "integer", "description": "Ops waiting for the writer"},
                            "last_task": {"type": "integer"},
                            "indexed_task": {"type": "integer", "description": "Every task up to this is indexed"},
                        },
                    },
                    "semantic": {
                        "type": "object",
                        "description": "Hybrid and semantic search: whether they can run, and why not",
                        "required": ["available", "vectors", "reason"],
                        "properties": {
                            "available": {"type": "boolean"},
                            "vectors": {"type": "integer", "description": "Vectors stored"},
                            "reason": {"type": "string", "nullable": True,
                                       "description": "Why not: no vectors, or the model cannot load"},
                        },
                    },
                },
            },
            "NewDocument": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {
                    "id": {"type": "string", "maxLength": 200, "description": "or an integer"},
                    "text": {"type": "string"},
                    "title": {"type": "string"},
                    "lang": {"type": "string", "enum": list(LANGS)},
                    "date": {"type": "string", "format": "date"},
                    "source": {"type": "string"},
                    "url": {"type": "string"},
                    "author": {"type": "string", "description": "The byline, stored and shown as given"},
                },
            },
            "ItemError": {
                "type": "object",
                "properties": {"index": {"type": "integer", "description": "Position in the request, from 0"},
                               "error": {"type": "string"}},
            },
            "Accepted": {
                "type": "object",
                "required": ["ok", "task", "status_url"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "task": {"type": "integer"},
                    "accepted": {"type": "integer"},
                    "rejected": {"type": "integer"},
                    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ItemError"}},
                    "status_url": {"type": "string"},
                },
            },
            "Rejected": {
                "type": "object",
                "required": ["ok", "error", "status", "errors"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [False]},
                    "error": {"type": "string"},
                    "status": {"type": "integer"},
                    "rejected": {"type": "integer"},
                    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ItemError"}},
                },
            },
            "Task": {
                "type": "object",
                "required": ["ok", "task", "status"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "task": {"type": "integer"},
                    "status": {"type": "string", "enum": ["enqueued", "indexed"]},
                    "documents": {"type": "integer", "nullable": True},
                    "failed": {"type": "array", "items": {"type": "object"},
                               "description": "Documents the writer could not index, with why"},
                },
            },
        }
    },
}
