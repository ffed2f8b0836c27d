"""Jalali <-> Gregorian: display in Persian digits, and dates typed either way."""

from __future__ import annotations

from datetime import date

import pytest

from search.calendars import BadDate, jalali_iso, jalali_label, parse_date


@pytest.mark.parametrize("gregorian, label", [
    (date(2024, 2, 18), "۲۹ بهمن ۱۴۰۲"),   # seed 003's «یکشنبه ۲۹ بهمن»
    (date(2024, 3, 20), "۱ فروردین ۱۴۰۳"),  # Nowruz 1403
    (date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),   # 1403 is a leap year: Esfand has 30 days
    (date(2023, 1, 27), "۷ بهمن ۱۴۰۱"),
])
def test_jalali_label_in_persian_digits(gregorian, label):
    assert jalali_label(gregorian) == label


@pytest.mark.parametrize("raw, calendar, expected", [
    ("2024-02-18", "gregorian", date(2024, 2, 18)),
    ("1402-11-29", "jalali", date(2024, 2, 18)),
    ("۱۴۰۲-۱۱-۲۹", "gregorian", date(2024, 2, 18)),  # Persian digits are Jalali anyway
    ("۱۴۰۲/۱۱/۰۱", "jalali", date(2024, 1, 21)),
    ("١٤٠٢/١١/٢٩", "gregorian", date(2024, 2, 18)),  # Arabic-Indic digits too
    (" 1403-1-1 ", "jalali", date(2024, 3, 20)),
])
def test_parse_date_both_calendars(raw, calendar, expected):
    assert parse_date(raw, calendar) == expected


def test_round_trip_over_two_years():
    d = date(2023, 1, 1)
    while d < date(2025, 1, 1):
        assert parse_date(jalali_iso(d), "jalali") == d
        d = date.fromordinal(d.toordinal() + 1)


@pytest.mark.parametrize("raw, calendar", [
    ("1402-12-30", "jalali"),  # 1402 is a common year: Esfand has 29 days
    ("1402-13-01", "jalali"),
    ("2024-02-30", "gregorian"),
    ("yesterday", "gregorian"),
    ("۱۴۰۲", "jalali"),
])
def test_bad_dates_are_refused(raw, calendar):
    with pytest.raises(BadDate):
        parse_date(raw, calendar)
