"""request.args -> SearchRequest.

This module only turns strings into typed values (whole numbers, ISO dates) and
says clearly when one is not; range and vocabulary checks (per_page limits,
known languages, query length) are SearchRequest's, so the CLI and the web say
the same thing about them. Unknown parameters are ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Mapping

from search.calendars import CALENDARS, BadDate, parse_date
from search.errors import BadRequest
from search.request import SearchRequest

# Parameters the page carries from one link to the next (pagination, filters).
SEARCH_PARAMS = ("q", "lang", "source", "from", "to", "calendar", "sort", "collapse", "page", "per_page", "mode",
                 "xscript")


def search_request(args: Mapping[str, str], histogram: str | None = None) -> SearchRequest:
    """Build a SearchRequest from query-string arguments; raises BadRequest.

    `histogram` is the default when the arguments name none (the page always
    draws its timeline; the JSON API only when asked).
    """
    calendar = _calendar(args)
    return SearchRequest(
        q=args.get("q", ""),
        lang=_optional(args, "lang"),
        source=_optional(args, "source"),
        date_from=_date(args, "from", calendar),
        date_to=_date(args, "to", calendar),
        sort=_optional(args, "sort") or "relevance",
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", 10),
        collapse=_flag(args, "collapse", True),
        histogram=_optional(args, "histogram") or histogram,
        mode=_optional(args, "mode"),
        xscript=_flag(args, "xscript", True),
    )


def _calendar(args: Mapping[str, str]) -> str:
    calendar = _optional(args, "calendar") or "gregorian"
    if calendar not in CALENDARS:
        raise BadRequest(f"unknown calendar {_shown(calendar)}: use one of {', '.join(CALENDARS)}")
    return calendar


def _flag(args: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _optional(args, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"{name} must be 1 or 0, not {_shown(raw)}")


def _optional(args: Mapping[str, str], name: str) -> str | None:
    # An HTML form sends `lang=` for "any": treat empty as absent.
    value = args.get(name, "").strip()
    return value or None


def _int(args: Mapping[str, str], name: str, default: int) -> int:
    raw = _optional(args, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        if raw.isdigit():  # int() refuses more than 4300 digits
            raise BadRequest(f"{name} is far too large ({len(raw)} digits)") from None
        raise BadRequest(f"{name} must be a whole number, e.g. {name}={default}, not {_shown(raw)}") from None


def _date(args: Mapping[str, str], name: str, calendar: str) -> date | None:
    raw = _optional(args, name)
    if raw is None:
        return None
    try:
        return parse_date(raw, calendar)
    except BadDate as e:
        example = "1402-11-29 (Jalali, or ۱۴۰۲-۱۱-۲۹)" if calendar == "jalali" else "2024-06-30"
        raise BadRequest(f"{name} must be an ISO date like {name}={example}, not {_shown(raw)}: {e}") from None


def _shown(raw: str, limit: int = 40) -> str:
    """The value for an error message: quoted, and cut short (it can be 16 KB long)."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")
