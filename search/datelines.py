"""The publication date of a news text, read from its dateline.

Indonesian, English and Persian papers print it in a dozen ways (30 Jun 2024,
Kamis (16/2/2024), ۲۹ بهمن ۱۴۰۲ in the Jalali calendar, ISO stamps); each way is
one regular expression whose groups are day, month and year.
"""

from __future__ import annotations

import re
from datetime import date

# Only the dateline is searched: a date deep in the body is usually the date of an
# event the article reports ("Pada 1 Februari 2024, ..."), not when it was published.
DATELINE_LINES = 15

_MONTHS = {
    1: "januari january jan",
    2: "februari pebruari february feb",
    3: "maret march mar",
    4: "april apr",
    5: "mei may",
    6: "juni june jun",
    7: "juli july jul",
    8: "agustus august agu agt ags aug",
    9: "september sept sep",
    10: "oktober october okt oct",
    11: "november nopember nov nop",
    12: "desember december des dec",
}
_MONTH_NUMBER = {name: n for n, names in _MONTHS.items() for name in names.split()}
_JALALI_MONTHS = "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split()
_JALALI_NUMBER = {name: n for n, name in enumerate(_JALALI_MONTHS, 1)}

_MONTH_RE = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_JMONTH_RE = "|".join(sorted(_JALALI_MONTHS, key=len, reverse=True))
# Candidate finders; the groups hold day, month and year, so turning a match into a
# date is a table lookup. (dateparser was tried: it costs ~0.1 s to load, and would
# shift "03:25 GMT" into another day by time zone; the date as printed is what we want.)
_DATE_PATTERNS = [
    # 2024-06-30, 2024-06-30T10:25:00Z
    ("ymd", re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")),
    # 30 Jun 2024, Kamis, 16 Februari , 2024, 16 Februari 2024
    ("dMy", re.compile(rf"(?<![0-9])([0-9]{{1,2}})\s+({_MONTH_RE})(?![a-zA-Z])\.?\s*,?\s*([0-9]{{4}})(?![0-9])", re.I)),
    # Jun 30, 2024 10:25 Asia/Jakarta; June 30th, 2024
    ("Mdy", re.compile(rf"\b({_MONTH_RE})(?![a-zA-Z])\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?\s*,?\s*([0-9]{{4}})(?![0-9])", re.I)),
    # Jumat (16/2/2024): day first, as Indonesian and Persian papers write it
    ("dmy", re.compile(r"(?<![0-9/])([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?![0-9/])")),
    # ۲۹ بهمن ۱۴۰۲, ۲۹ بهمن ماه ۱۴۰۲ (Jalali)
    ("jalali", re.compile(rf"(?<![0-9])([0-9]{{1,2}})\s*({_JMONTH_RE})(?![\u0600-\u06FF])(?:\s*ماه)?\s*،?\s*([0-9]{{4}})(?![0-9])")),
    # ۱۴۰۲/۱۱/۲۹ (Jalali, year first)
    ("jymd", re.compile(r"(?<![0-9])(1[34][0-9]{2})/([0-9]{1,2})/([0-9]{1,2})(?![0-9])")),
]
# Same length in and out, so match positions stay meaningful: Persian and Arabic-Indic
# digits to ASCII, Arabic yeh/kaf to Persian (month names are listed in Persian letters).
_SCAN_FOLD = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يك", "01234567890123456789یک")


def find_date(lines: list[str]) -> date | None:
    """The first valid date in the first DATELINE_LINES non-blank lines, or None."""
    head = [line for line in lines if line.strip()][:DATELINE_LINES]
    for line in head:
        line = line.translate(_SCAN_FOLD)
        hits = []
        for kind, pattern in _DATE_PATTERNS:
            for m in pattern.finditer(line):
                parsed = _to_date(kind, m.groups())
                if parsed is not None:
                    hits.append((m.start(), parsed))
        if hits:
            return min(hits)[1]
    return None


def _to_date(kind: str, groups: tuple[str, ...]) -> date | None:
    try:
        if kind == "ymd":
            y, m, d = (int(g) for g in groups)
        elif kind == "dMy":
            d, m, y = int(groups[0]), _MONTH_NUMBER[groups[1].lower()], int(groups[2])
        elif kind == "Mdy":
            m, d, y = _MONTH_NUMBER[groups[0].lower()], int(groups[1]), int(groups[2])
        elif kind == "dmy":
            d, m, y = (int(g) for g in groups)
        else:
            if kind == "jalali":
                d, m, y = int(groups[0]), _JALALI_NUMBER[groups[1]], int(groups[2])
            else:
                y, m, d = (int(g) for g in groups)
            return _jalali_to_gregorian(y, m, d)
        if not 1900 <= y <= 2100:
            return None
        return date(y, m, d)
    except ValueError:
        return None


def _jalali_to_gregorian(y: int, m: int, d: int) -> date | None:
    if not 1300 <= y <= 1500:  # 1921..2121: a news date, not a phone number
        return None
    import jdatetime  # lazily: only Persian datelines need it

    return jdatetime.date(y, m, d).togregorian()  # ValueError on 30 Esfand of a common year
