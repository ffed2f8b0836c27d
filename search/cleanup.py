"""News clean-up: boilerplate lines out, the publication date read from the dateline.

`clean_text(text)` is a pure function: scrapers leave related-article links,
share buttons and comment forms in the text, and they must neither be searched
nor shown in a snippet.
"""

from __future__ import annotations

import re
from datetime import date

from .datelines import find_date

# Each pattern must match a *whole* line (after stripping): a line is dropped only
# if it is boilerplate, never because it merely mentions these words.
_BOILERPLATE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:baca|simak|lihat)\s+juga\s*:.*",  # Indonesian related-article links
        r"(?:read|also read|read also|see also)\s*:.*",
        r"بیشتر\s*بخوانید\s*:.*",
        r"\(\s*last modified\b[^)]*\)",  # CMS page chrome; its date is read before the drop
        r"share this\s*:?",
        r"like this\s*:?",
        r"(?:like\s+)?loading\.\.\.",
        r"click to (?:share|print|email) .*\(opens in new window\)",
        r"tinggalkan balasan",
        r"دیدگاهتان را بنویسید",
        r"save my name, email, and website in this browser for the next time i comment\.?",
        r"post comment",
    )
]
# Comment-form phrases that scrapers glue onto each other and onto the next word
# ("Leave a ReplyCancel reply", "...marked *Comment"), so they are peeled off the
# start of a line; what follows them is kept.
_FORM_PHRASES = (
    r"leave a reply",
    r"cancel reply",
    r"your email address will not be published\.?",
    r"required fields are marked\s*\*",
    r"alamat email anda tidak akan dipublikasikan\.?",
    r"ruas yang wajib ditandai\s*\*",
    r"نشانی ایمیل شما منتشر نخواهد شد\.?",
)
# Field labels of the comment form: only peeled after one of the phrases above.
_FORM_LABELS = r"(?:comment|name|email|komentar|nama)\s*\*"
_FORM_HEAD = re.compile(
    rf"(?:(?:{'|'.join(_FORM_PHRASES)})\s*)+(?:{_FORM_LABELS}\s*)*", re.IGNORECASE
)

def clean_text(text: str) -> tuple[str, date | None]:
    """Drop boilerplate lines; return (text, publication date found in the dateline or None).

    Every other line, blank lines included, is kept as it was. A blank line that would
    double up where a boilerplate line was removed goes with it.

    >>> clean_text("Teheran, 30 Jun 2024\\n\\nBaca juga: X\\n\\nIsi.")
    ('Teheran, 30 Jun 2024\\n\\nIsi.', datetime.date(2024, 6, 30))
    """
    lines = text.split("\n")  # not splitlines(): \x0c, \u2028 etc. are not ours to touch
    found = find_date(lines)
    kept: list[str] = []
    dropped_since_content = False
    for line in lines:
        cleaned = _strip_boilerplate(line)
        if cleaned is None:
            dropped_since_content = True
            continue
        if not cleaned.strip():
            if dropped_since_content and (not kept or not kept[-1].strip()):
                continue
        else:
            dropped_since_content = False
        kept.append(cleaned)
    if dropped_since_content:
        while kept and not kept[-1].strip():
            kept.pop()
    return "\n".join(kept), found


def _strip_boilerplate(line: str) -> str | None:
    """The line without boilerplate, or None if the whole line is boilerplate."""
    stripped = line.strip()
    if not stripped:
        return line
    if any(p.fullmatch(stripped) for p in _BOILERPLATE_LINES):
        return None
    head = _FORM_HEAD.match(stripped)
    if head:
        rest = stripped[head.end():]
        return rest if rest.strip() else None
    return line
