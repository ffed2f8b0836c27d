"""Where an index's vectors live and what their manifest says, without numpy or the model.

`lintas serve`'s gunicorn master asks whether an index has vectors on (to start
the model's service and the embedding pass) and then only forks: whatever it
imports stays resident in it, and numpy alone is ~20 MB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DIRNAME = "vectors"
MANIFEST = "manifest.json"


def vectors_dir(index_dir: str | Path) -> Path:
    return Path(index_dir) / DIRNAME


@dataclass(frozen=True)
class Manifest:
    model: str
    chars: int
    dim: int
    generation: int
    segments: tuple[str, ...]

    def current(self) -> bool:
        """Made by the model and passage length this Lintas uses."""
        from . import embedding

        return (self.model, self.chars, self.dim) == (embedding.MODEL, embedding.PASSAGE_CHARS, embedding.DIM)


def read_manifest(index_dir: str | Path) -> Manifest | None:
    """None when vectors were never turned on for this index."""
    try:
        data = json.loads((vectors_dir(index_dir) / MANIFEST).read_text())
        return Manifest(data["model"], int(data["chars"]), int(data["dim"]), int(data["generation"]),
                        tuple(data["segments"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"unreadable vector manifest in {vectors_dir(index_dir)}: {e}") from None
