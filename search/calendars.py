"""Gregorian and Jalali (Persian solar) dates: display and parsing of typed dates.

jdatetime does the calendar arithmetic; this module only knows how Persian
readers write a date (Persian digits, month names) and how a date filter may be
typed: ISO Gregorian, ISO-like Jalali (`1402-11-01` with calendar=jalali), or a
Jalali date in Persian digits (`۱۴۰۲/۱۱/۰۱`), which is Jalali whatever the
calendar parameter says, since nobody types a Gregorian year in Persian digits.
"""

from __future__ import annotations

import re
from datetime import date

import jdatetime

CALENDARS = ("gregorian", "jalali")
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TO_PERSIAN = str.maketrans("0123456789", _PERSIAN_DIGITS)
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class BadDate(ValueError):
    """A typed date that is not a date of the calendar it was read in."""


def persian_digits(value: object) -> str:
    return str(value).translate(_TO_PERSIAN)


def to_jalali(d: date) -> tuple[int, int, int]:
    j = jdatetime.date.fromgregorian(date=d)
    return j.year, j.month, j.day


def from_jalali(year: int, month: int, day: int) -> date:
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError as e:  # 30 Esfand of a common year, month 13, ...
        raise BadDate(f"{year}-{month:02d}-{day:02d} is not a Jalali date ({e})") from None


def jalali_label(d: date) -> str:
    """The Jalali date as a Persian reader writes it: «۲۹ بهمن ۱۴۰۲»."""
    y, m, day = to_jalali(d)
    return f"{persian_digits(day)} {JALALI_MONTHS[m - 1]} {persian_digits(y)}"


def jalali_iso(d: date) -> str:
    """The Jalali date in ASCII digits, year first (`1402-11-29`), as a filter takes it."""
    y, m, day = to_jalali(d)
    return f"{y:04d}-{m:02d}-{day:02d}"


def parse_date(raw: str, calendar: str = "gregorian") -> date:
    """A typed date (`2024-02-18`, `1402-11-29` in the Jalali calendar, `۱۴۰۲/۱۱/۲۹`) -> date.

    >>> parse_date("۱۴۰۲/۱۱/۲۹")
    datetime.date(2024, 2, 18)
    >>> parse_date("1402-11-29", "jalali")
    datetime.date(2024, 2, 18)
    """
    text = raw.strip()
    ascii_text = text.translate(_TO_ASCII)
    jalali = calendar == "jalali" or ascii_text != text
    m = _YMD.fullmatch(ascii_text)
    if not m:
        raise BadDate(f"not a date like 2024-06-30{' or ۱۴۰۲-۱۱-۲۹' if jalali else ''}")
    y, mo, d = (int(g) for g in m.groups())
    if jalali:
        return from_jalali(y, mo, d)
    try:
        return date(y, mo, d)
    except ValueError as e:
        raise BadDate(str(e)) from None
