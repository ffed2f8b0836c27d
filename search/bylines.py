"""An article's byline as a reader sees it: the writers' names, without the words around them.

trafilatura finds a page's author (meta tags, JSON-LD, byline markup) and already drops
what English pages write around it ("By", e-mail addresses, a site name after " - "),
deletes colons, and joins several names with "; ". It leaves the labels Indonesian and
Persian pages print before a name ("Penulis: X", "Oleh X", "Reporter: X", "خبرنگار: X",
"به قلم X") and the editor credited beside the writer ("Editor: Y"), who did not write
the article. So each name loses its label here, and a name credited as editor is dropped.
Feeds' names (dc:creator, <author>) get the same treatment.

Names typed by the user (a JSONL `author`) are kept as given: the label rules guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEPARATOR = "; "  # trafilatura's, between several names
MAX_CHARS = 300  # past this it is not a byline; whole names are kept up to it

# Words before the name. "Oleh" is also a Ukrainian first name: a name that is only
# the label ("Oleh") is kept, "Oleh Rina Kusuma" becomes "Rina Kusuma".
_LABEL = re.compile(
    r"^(?:written by|by|oleh|penulis|reporter|wartawan|kontributor|laporan|"
    r"خبرنگار|نویسنده|گزارشگر|گزارش|به قلم|نوشتهٔ|نوشته)(?:\s*[:：\-–—]\s*|\s+)(?=\S)",
    re.IGNORECASE,
)
# An editor's credit, alone ("Editor Budi Santoso") or run on after the writer's name
# when the page printed both in one element ("Rina Kusuma Editor Budi Santoso").
_EDITOR = re.compile(r"(?:^|\s)(?:editor|penyunting|redaktur|ویراستار|دبیر)(?:\s*[:：]|\s|$).*$",
                     re.IGNORECASE)


def clean(raw: str | None) -> str | None:
    """The names of a byline as trafilatura or a feed gives it, or None if none is left."""
    if not raw:
        return None
    return join(raw.split(";"))


def join(names: Iterable[str | None]) -> str | None:
    """Several names as one byline, each cleaned, the same name once."""
    kept: list[str] = []
    for name in names:
        name = " ".join((name or "").split())
        name = _LABEL.sub("", name)
        name = _EDITOR.sub("", name).strip(" ,-–—:")
        if not name or name in kept:
            continue
        if len(SEPARATOR.join([*kept, name])) > MAX_CHARS:
            break
        kept.append(name)
    return SEPARATOR.join(kept) or None
