"""The timeline as inline SVG: one bar per period, each a link to that period's results.

Server-rendered, so it needs no script; every bar that has documents is an
<a> with an aria-label ("2024-02: 3 articles"), reachable with the keyboard,
and the same label as a <title> tooltip for the mouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, AXIS = 600, 96, 18  # viewBox units; the SVG scales to the column


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    start: str
    end: str
    label: str


def period_name(start: date, interval: str) -> str:
    if interval == "year":
        return f"{start.year}"
    if interval == "month":
        return start.strftime("%Y-%m")
    if interval == "week":
        return f"week of {start.isoformat()}"
    return start.isoformat()


def bars(histogram: dict) -> list[Bar]:
    buckets = histogram.get("buckets") or []
    if not buckets:
        return []
    top = max(b["count"] for b in buckets) or 1
    step = WIDTH / len(buckets)
    gap = min(2.0, step * 0.2)
    out = []
    for i, b in enumerate(buckets):
        h = 0.0 if not b["count"] else max(2.0, (HEIGHT - AXIS - 4) * b["count"] / top)
        name = period_name(date.fromisoformat(b["start"]), histogram["interval"])
        noun = "article" if b["count"] == 1 else "articles"
        out.append(Bar(x=round(i * step + gap / 2, 2), y=round(HEIGHT - AXIS - h, 2),
                       width=round(step - gap, 2), height=round(h, 2), count=b["count"],
                       start=b["start"], end=b["end"], label=f"{name}: {b['count']} {noun}"))
    return out
