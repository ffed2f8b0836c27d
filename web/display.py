"""How the page writes dates and languages: Jalali beside Gregorian for Persian."""

from __future__ import annotations

from datetime import date

from search.calendars import jalali_label

LANG_NAMES = {"fa": "Persian", "id": "Indonesian", "en": "English"}


def date_label(value: str | date | None, lang: str | None) -> str:
    """`۲۹ بهمن ۱۴۰۲ · 2024-02-18` for a Persian document, `2024-02-18` otherwise."""
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    if lang == "fa":
        return f"{jalali_label(d)} · {d.isoformat()}"
    return d.isoformat()
