"""Shared pieces of the robustness tests and bench/soak.py's test: the hostile
documents, and `lintas` as a subprocess (bench/serving.py: index, delete, serve)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from bench import serving
from search.documents import Document

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
LINTAS = serving.command()  # `lintas` from this tree

# What an attacker would put in a news item: every one of these must come out of
# the JSON snippet and the page as text, never as markup.
XSS_PAYLOADS = (
    "<script>window.__pwned = 1; alert(1)</script>",
    "<img src=x onerror=\"window.__pwned = 2; alert(2)\">",
    "<a href=\"javascript:window.__pwned=3\">klik</a>",
    "</mark><b onmouseover=alert(4)>lepas</b><mark>",
    "<svg onload=alert(5)>",
)
XSS_QUERIES = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "</mark>",
    "<mark>rahasia</mark>",
    "\"><script>alert(1)</script>",
    "racun</mark><script>alert(1)</script>",
)

HOSTILE_DOCS = [
    Document(
        id="xss_body",
        title="Kabar racun " + XSS_PAYLOADS[0],
        text=("Berita racun hari ini: " + " racun ".join(XSS_PAYLOADS)
              + " script alert img onerror javascript mark racun selesai."),
        lang="id", date=date(2024, 7, 2), source="uji-xss",
        url="javascript:window.__pwned=9",
    ),
    Document(
        id="xss_title",
        title="<img src=x onerror=\"window.__pwned = 6\"> racun </mark> judul",
        text="Isi biasa tentang racun dan hubungan dagang, dengan </mark> harfiah di tengah.",
        lang="id", date=date(2024, 7, 3), source="uji-xss",
        url="https://example.invalid/berita?a=1&b=<script>",
    ),
    Document(
        id="bidi_ctrl",
        title="\u202eracun terbalik\u202c \x07 bel",
        text="Teks dengan kontrol \x01\x02\x1b[31m dan \u202e override \u2066isolat\u2069 racun \ufeff.",
        lang="id", source="uji-xss",
    ),
    Document(
        id="fa_hostile",
        title="خبر <script>alert('fa')</script> ایران",
        text="خبرگزاری ایران <b>گزارش</b> داد که <script>alert(7)</script> مذاکرات ادامه دارد.",
        lang="fa", source="uji-xss",
    ),
]


# ---------------------------------------------------------------- subprocess helpers


def lintas(*args: str, timeout: float = 60, env: dict | None = None, check: bool = False):
    """Run `lintas ARGS...`; returns the CompletedProcess (text mode)."""
    proc = serving.run(*args, timeout=timeout, env=env)
    if check:
        assert proc.returncode == 0, f"lintas {' '.join(args)} -> {proc.returncode}\n{proc.stderr}"
    return proc


def doc_token(i: int) -> str:
    """A word unique to document i, e.g. 0 -> 'zqa', 27 -> 'zqab'; no digits, so every
    analyzer keeps it one token."""
    s, i = "", i + 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return "zq" + s


def write_jsonl(path: Path, ids, text: str = "Pemerintah mengumumkan kebijakan {tok} tentang hubungan dagang.",
                lang: str = "id") -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in ids:
            tok = doc_token(i)
            f.write(json.dumps({"id": f"doc{i}", "title": f"Berita {tok}", "text": text.format(tok=tok, i=i),
                                "lang": lang}, ensure_ascii=False) + "\n")
    return path


def wait_for(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
