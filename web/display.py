"""How the page writes dates and languages: Jalali beside Gregorian for Persian."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from search.calendars import jalali_label

LANG_NAMES = {"fa": "Persian", "id": "Indonesian", "en": "English"}


def date_html(value: str | date | None, lang: str | None) -> Markup:
    """`۲۹ بهمن ۱۴۰۲ · 2024-02-18` for a Persian document, `2024-02-18` otherwise.

    Each calendar's part is isolated: in a right-to-left line the bidi algorithm
    would otherwise print 2024-02-18 as 18-02-2024.
    """
    if not value:
        return Markup("")
    d = value if isinstance(value, date) else date.fromisoformat(value)
    if lang == "fa":
        return Markup('<bdi dir="rtl">{}</bdi> · <bdi dir="ltr">{}</bdi>').format(jalali_label(d), d.isoformat())
    return Markup("{}").format(escape(d.isoformat()))
