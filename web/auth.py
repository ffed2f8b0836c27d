"""API keys on HTTP requests: `Authorization: Bearer <key>`, checked against search/keys.py.

Writes always need an admin key. Searching needs a key (search or admin) only
when the app runs with REQUIRE_KEY (`lintas serve --require-key`); /health and
/openapi.json stay open so that monitors and clients can find their way. A key
is never logged, echoed or put in an error message.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from search.errors import LintasError
from search.keys import KeyStore

_KEYS = "lintas.keys"
# Open even under REQUIRE_KEY; every other route reads the index (or writes, and
# then checks for an admin key itself), so a route added later is guarded by default.
OPEN_ENDPOINTS = {"views.health", "views.openapi", "static"}


class Unauthorized(LintasError):
    status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="lintas"'}


class Forbidden(LintasError):
    status = 403


def register(app: Flask) -> None:
    app.extensions[_KEYS] = KeyStore(app.config["INDEX_DIR"])
    app.before_request(_guard_search)


def require(role: str) -> None:
    """Raise Unauthorized/Forbidden unless the request carries a valid key for `role`."""
    header = request.headers.get("Authorization", "")
    if not header.strip():
        raise Unauthorized(f"this needs an API key with the {role} role: send `Authorization: Bearer <key>` "
                           "(keys are made with `lintas keys create`)")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be `Bearer <key>`")
    got = current_app.extensions[_KEYS].role_of(token.strip())
    if got is None:
        raise Unauthorized("the API key is not valid: unknown or revoked")
    if role == "admin" and got != "admin":
        raise Forbidden("this key may only search: writing needs a key with the admin role")


def _guard_search() -> None:
    endpoint = request.endpoint  # None: no such route, which stays a 404
    if current_app.config.get("REQUIRE_KEY") and endpoint and endpoint not in OPEN_ENDPOINTS:
        require("search")
