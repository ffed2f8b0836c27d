"""The timeline: how many matching documents fall in each day, week, month or year.

`auto` picks the interval from the span of the matches' dates, so that a story
of two weeks gets days and an archive of ten years gets years, and there are
never more than a few dozen bars to draw (a bar links to its period, where the
next, finer histogram takes over). Periods are Gregorian; weeks start on Monday
(ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

INTERVALS = ("day", "week", "month", "year")
# Widest span (in days) drawn per bar of each interval under `auto`.
_AUTO_SPAN = {"day": 45, "week": 7 * 26, "month": 366 * 4}
MAX_BUCKETS = 400  # an interval asked for explicitly is coarsened past this


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date  # inclusive
    count: int

    def to_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "count": self.count}


@dataclass(frozen=True)
class Histogram:
    interval: str
    buckets: list[Bucket]
    undated: int  # matches without a date: not on the timeline

    def to_dict(self) -> dict:
        return {"interval": self.interval, "buckets": [b.to_dict() for b in self.buckets],
                "undated": self.undated}


def period_start(d: date, interval: str) -> date:
    if interval == "day":
        return d
    if interval == "week":
        return d - timedelta(days=d.weekday())
    if interval == "month":
        return d.replace(day=1)
    return d.replace(month=1, day=1)


def next_period(d: date, interval: str) -> date:
    if interval == "day":
        return d + timedelta(days=1)
    if interval == "week":
        return d + timedelta(days=7)
    if interval == "month":
        return date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def choose_interval(first: date, last: date) -> str:
    span = (last - first).days
    for interval, widest in _AUTO_SPAN.items():
        if span <= widest:
            return interval
    return "year"


def _periods(first: date, last: date, interval: str) -> list[date]:
    starts, d = [], period_start(first, interval)
    while d <= last:
        starts.append(d)
        d = next_period(d, interval)
    return starts


def histogram(days: np.ndarray, interval: str = "auto") -> Histogram:
    """Buckets from the first to the last dated match, empty periods included.

    `days` holds date ordinals, 0 for an undated document.
    """
    dated = days[days > 0]
    undated = int(len(days) - len(dated))
    if not len(dated):
        return Histogram(interval if interval in INTERVALS else "day", [], undated)
    first, last = date.fromordinal(int(dated.min())), date.fromordinal(int(dated.max()))
    if interval not in INTERVALS:
        interval = choose_interval(first, last)
    starts = _periods(first, last, interval)
    while len(starts) > MAX_BUCKETS and interval != "year":
        interval = INTERVALS[INTERVALS.index(interval) + 1]
        starts = _periods(first, last, interval)
    edges = np.asarray([d.toordinal() for d in starts] + [next_period(starts[-1], interval).toordinal()])
    counts = np.histogram(dated, bins=edges)[0] if len(edges) > 1 else []
    # np.histogram's last bin is closed on the right; the edge is the next period's
    # first day, never a document's, since every date is before it.
    buckets = [Bucket(s, date.fromordinal(int(edges[i + 1]) - 1), int(counts[i])) for i, s in enumerate(starts)]
    return Histogram(interval, buckets, undated)
