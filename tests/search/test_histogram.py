"""Timeline buckets: the interval follows the span, empty periods are kept, counts add up."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from search.histogram import choose_interval, histogram


def days(*dates):
    return np.asarray([d.toordinal() if d else 0 for d in dates], dtype=np.int32)


@pytest.mark.parametrize("first, last, interval", [
    (date(2024, 2, 1), date(2024, 2, 20), "day"),
    (date(2024, 2, 1), date(2024, 6, 30), "week"),
    (date(2023, 1, 1), date(2024, 6, 30), "month"),
    (date(2010, 1, 1), date(2024, 6, 30), "year"),
])
def test_interval_by_span(first, last, interval):
    assert choose_interval(first, last) == interval


def test_month_buckets_cover_the_span_with_empty_months():
    h = histogram(days(date(2023, 11, 5), date(2024, 1, 10), date(2024, 1, 31), date(2024, 6, 30), None),
                  "month")
    assert h.interval == "month" and h.undated == 1
    assert [(b.start.isoformat(), b.end.isoformat(), b.count) for b in h.buckets[:3]] == [
        ("2023-11-01", "2023-11-30", 1), ("2023-12-01", "2023-12-31", 0), ("2024-01-01", "2024-01-31", 2)]
    assert h.buckets[-1].start == date(2024, 6, 1) and h.buckets[-1].count == 1
    assert len(h.buckets) == 8 and sum(b.count for b in h.buckets) == 4


def test_weeks_start_on_monday_and_last_day_counts():
    h = histogram(days(date(2024, 2, 18), date(2024, 2, 19)), "week")  # a Sunday, then a Monday
    assert [(b.start, b.count) for b in h.buckets] == [(date(2024, 2, 12), 1), (date(2024, 2, 19), 1)]


def test_too_many_buckets_are_coarsened():
    h = histogram(days(date(2000, 1, 1), date(2024, 1, 1)), "day")
    assert h.interval in ("month", "year") and len(h.buckets) <= 400


def test_nothing_dated():
    h = histogram(days(None, None), "auto")
    assert h.buckets == [] and h.undated == 2
