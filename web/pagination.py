"""Which page numbers a results page links to.

Kept apart from the views as a pure function so the window logic is tested with
plain tables instead of through rendered HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int  # total number of pages; 0 when there are no results
    numbers: list[int | None]  # page numbers to show; None marks a gap ("…")

    @property
    def prev(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def paginate(page: int, per_page: int, total: int, window: int = 2) -> Pagination:
    """First, last, and `window` pages either side of `page`, with gaps as None.

    >>> paginate(6, 10, 200).numbers
    [1, None, 4, 5, 6, 7, 8, None, 20]
    """
    pages = ceil(total / per_page) if total > 0 else 0
    shown = sorted({1, pages, *range(page - window, page + window + 1)} & set(range(1, pages + 1)))
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] > 1:
            # A gap of exactly one page is shown as that page, not as "…".
            numbers.append(n - 1 if n - numbers[-1] == 2 else None)
        numbers.append(n)
    return Pagination(page=page, pages=pages, numbers=numbers)
