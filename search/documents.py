"""Document and its loaders (.txt, .jsonl, directories), with news clean-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    lang: str | None = None  # fa | id | en; None = detect at index time
    date: date | None = None
    source: str | None = None
    url: str | None = None
