"""The Lintas Flask app: a factory with one lazily opened Engine per app.

The engine is opened on first use, not in the factory, so that `lintas serve` and
the tests can start before an index exists: /health then answers 503 with a JSON
error saying how to build one, instead of the process failing to start.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from search.engine import Engine

_ENGINE = "lintas.engine"
_ENGINE_LOCK = "lintas.engine_lock"

# q is at most 1000 characters; a Persian one percent-encodes to ~6 bytes a
# character, so 16 KiB leaves room for it and every other parameter.
MAX_QUERY_STRING_BYTES = 16 * 1024


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults first, then `config` (tests pass INDEX_DIR, TESTING)."""
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=os.environ.get("LINTAS_INDEX", "index"),
        # Only POST /documents reads a body (its limit: MAX_WRITE_BYTES, web/writes.py);
        # any other route's is kept tiny.
        MAX_CONTENT_LENGTH=64 * 1024,
        # `lintas serve --require-key`: searching needs a search or admin key too.
        REQUIRE_KEY=False,
        MAX_QUERY_STRING_BYTES=MAX_QUERY_STRING_BYTES,
    )
    if config:
        app.config.update(config)
    # Persian and Indonesian text stays readable in curl output; keys keep the
    # documented order ("ok" first) rather than Flask's alphabetical default.
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.extensions[_ENGINE_LOCK] = threading.Lock()

    from . import auth, errors, reader, views, writes

    errors.register(app)
    auth.register(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(reader.bp)
    writes.register(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    # Nothing from other origins and no inline script: the only script is our own
    # file (completions while typing), so an escaping bug in a snippet still
    # cannot run code.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def engine_for(app: Flask) -> Engine:
    """The app's Engine, opened on first call; raises IndexNotFound until an index exists.

    A failed open is not cached, so an index built after start-up is picked up
    by the next request without a restart.
    """
    engine = app.extensions.get(_ENGINE)
    if engine is None:
        with app.extensions[_ENGINE_LOCK]:
            engine = app.extensions.get(_ENGINE)
            if engine is None:
                # SCHEDULER (`lintas serve --scheduler`): a sharded index's shards searched by Dask workers.
                engine = Engine(app.config["INDEX_DIR"], scheduler=app.config.get("SCHEDULER"))
                app.extensions[_ENGINE] = engine
                if app.config.get("WARM_UP"):  # lintas serve: load what first queries wait for
                    threading.Thread(target=engine.warm_up, name="lintas-warm-up", daemon=True).start()
    return engine


def current_engine() -> Engine:
    """engine_for() the app handling the current request."""
    return engine_for(current_app._get_current_object())
