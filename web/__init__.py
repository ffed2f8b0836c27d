"""Lintas web front end: the Flask app (web/app.py), its routes, and `lintas serve`.

create_app, engine_for and current_engine are web.app's, loaded on first use:
importing `web` itself loads neither Flask nor the engine, so the `lintas`
command and `lintas serve`'s gunicorn master (which only forks the workers that
serve) start without them.
"""

from __future__ import annotations

import importlib

_FROM_APP = frozenset({"create_app", "engine_for", "current_engine", "MAX_QUERY_STRING_BYTES"})


def __getattr__(name: str):
    # Only the app's names: any other one may be a submodule that `from . import x` is
    # about to load, and must not pull the app in on the way.
    if name not in _FROM_APP:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(".app", __name__), name)
