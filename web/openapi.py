"""The OpenAPI 3 description of the HTTP routes, served at /openapi.json.

Hand-written on purpose: the routes are few, and a test checks that every
route in the app's URL map is described here, so the two cannot drift apart.
"""

from __future__ import annotations

from analyzers import LANGS
from search.request import MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS


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
    _param("from", {"type": "string", "format": "date"}, "Only documents dated on or after this ISO date."),
    _param("to", {"type": "string", "format": "date"}, "Only documents dated on or before this ISO date."),
    _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Result order."),
    _param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10},
           "Results per page."),
]

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
                "parameters": SEARCH_PARAMETERS,
                "responses": {
                    "200": _ok("Results", "#/components/schemas/SearchResults"),
                    "400": _error("Bad parameter; the message says which and how to fix it"),
                    "503": _error("No index has been built yet"),
                },
            }
        },
        "/documents/{id}": {
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
        "/health": {
            "get": {
                "summary": "Liveness and document count",
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
                },
            },
            "SearchResults": {
                "type": "object",
                "required": ["ok", "query", "total", "page", "per_page", "took_ms", "results", "facets",
                             "suggestion", "respelled"],
                "properties": {
                    "ok": {"type": "boolean", "enum": [True]},
                    "query": {"type": "string"},
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "took_ms": {"type": "number"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {
                        "type": "object",
                        "description": "Counts per facet value, e.g. {\"lang\": {\"fa\": 1, \"id\": 4}}",
                        "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                    "suggestion": {"type": "string", "nullable": True, "description": "Did you mean"},
                    "respelled": {
                        "type": "object",
                        "description": "Query words no document contains, each also searched as the "
                                       "word(s) it most likely stands for, e.g. {\"hubungn\": \"hubungan\"}",
                        "additionalProperties": {"type": "string"},
                    },
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
                "required": ["ok", "documents"],
                "properties": {"ok": {"type": "boolean", "enum": [True]}, "documents": {"type": "integer"}},
            },
        }
    },
}
