"""Soak test: thousands of hostile requests against a running `lintas serve`, over loopback.

    python -m bench.soak                       # start a server on a temporary index of seeds/
    python -m bench.soak --index DIR           # start a server on an existing index
    python -m bench.soak --url http://127.0.0.1:8000 --requests 20000 --threads 8 --seed 7

Requests are generated from a seed (the same seed sends the same requests): nasty
queries (empty, 100 KB, unbalanced quotes, lone *, thousands of OR'ed terms, control
and bidi characters, invalid UTF-8, HTML and script), out-of-range and malformed
parameters, odd paths and methods, oversized bodies and query strings. Every answer
must be a 2xx/3xx/4xx: a 5xx, a dropped connection or a non-JSON error from an API
route is a failure, and the exit code is then 1.

Prints: requests, status counts, latency (p50, p99, max), 5xx count, failures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from bench import serving

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------ the hostile inputs

# One by one, each of these must give a 200 or a 4xx with the JSON error shape.
NASTY_QUERIES: dict[str, str] = {
    "empty": "",
    "blank": "   \t\n ",
    "title_colon": "title:",
    "lang_xx": "lang:xx",
    "lang_xx_word": "lang:xx hubungan",
    "quote": '"',
    "three_quotes": '"""',
    "unbalanced_phrase": '"hubungan dagang',
    "open_parens": "(((",
    "close_parens": ")))",
    "not": "NOT",
    "not_not": "NOT NOT NOT",
    "star": "*",
    "stars": "* * *",
    "question": "?",
    "star_field": "title:*",
    "a_and": "a AND",
    "and_a": "AND a",
    "or_only": "OR",
    "and_or_not": "AND OR NOT",
    "field_only": "source:",
    "id_quote": 'id:"',
    "range": "[a TO",
    "brace_range": "{a TO z}",
    "fuzzy": "hubungan~5",
    "boost": "hubungan^1000000",
    "caret": "^",
    "backslash": "\\",
    "word_10k": "x" * 10_000,
    "word_1000": "x" * 1000,
    "text_100k": ("hubungan dagang " * 6250)[:100_000],
    "rtl_override": "\u202ehubungan\u202c",
    "bidi_isolates": "\u2066ایران\u2069 \u2067x\u2069",
    "zero_width": "\u200b\u200c\u200d\ufeff",
    "nul": "a\x00b",
    "nul_only": "\x00",
    "controls": "".join(chr(c) for c in range(1, 32)),
    "del_c1": "\x7f\x85\x9f",
    "replacement": "\ufffd\ufffd",
    "noncharacter": "\uffff\ufdd0",
    "astral": "\U0001F600 \U00010000 \U0010FFFF",
    "combining": "a" + "\u0301" * 500,
    "script": "<script>alert(1)</script>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "javascript": "javascript:alert(1)",
    "close_mark": "</mark>",
    "mark": "<mark>x</mark>",
    "attr_break": "\"><script>alert(1)</script>",
    "html_entities": "&lt;script&gt; &amp; &#x3c;",
    "sql": "' OR 1=1 --",
    "template": "{{7*7}} ${7*7} {% raw %}",
    "format": "%s %n %x {0} {}",
    "path": "../../etc/passwd",
    "or_5000": " OR ".join(f"kata{i}" for i in range(5000)),
    "or_fit": " OR ".join(f"k{i}" for i in range(160)),
    "and_fit": " AND ".join(["hubungan"] * 160),
    "nested_500": "(" * 500 + "hubungan" + ")" * 500,
    "nested_5000": "(" * 5000 + "hubungan" + ")" * 5000,
    "nested_unbalanced": "(" * 999,
    "nested_not": "NOT (" * 150,
    "wildcards": " ".join(["*a*"] * 250),
    "prefixes": " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz" * 19),
    "question_wild": "?" * 999,
    "phrase_long": '"' + " ".join(["hubungan"] * 110) + '"',
    "persian_long": ("ایران " * 200)[:1000],
    "arabic_forms": "ي ك ة ۀ ـــ",
    "mixed_digits": "۱۴۰۲ ١٢٣ 2024",
    "emoji_zwj": "\U0001F468\u200d\U0001F469\u200d\U0001F467",
}


def lone_surrogates() -> list[str]:
    """Strings that Python can hold but UTF-8 cannot encode (only the engine sees them)."""
    return ["\ud800", "a\udfffb", "\udc80" * 10]


# Raw query strings, sent as-is: invalid percent-encodings and invalid UTF-8.
RAW_QUERY_STRINGS = [
    "q=%ff",
    "q=%ff%fe%fd",
    "q=%c0%af",  # overlong '/'
    "q=%ed%a0%80",  # a UTF-16 surrogate, CESU-encoded
    "q=%e2%80%ae%ff",
    "q=%",
    "q=%zz",
    "q=%%%",
    "q=a&q=b&q=c",
    "q=hubungan&page=%ff",
    "q=hubungan&lang=%00",
    "q=hubungan&from=%ff",
    "q",
    "&&&=&=",
    "=hubungan",
    "q=hubungan&" + "&".join(f"p{i}=v" for i in range(500)),
    "q=" + "%41" * 5000,  # 'A' * 5000, percent-encoded: over the query limit
    "q=" + "a" * 20_000,  # over the query-string limit
]

PARAM_VALUES = {
    "page": ["1", "2", "0", "-1", "999999", "10001", "1e3", "0x10", "1.5", "", " 3 ", "١", "1_0",
             "9" * 5000, "abc", "NaN", "\x00"],
    "per_page": ["10", "100", "101", "0", "-5", "1000000", "", "x", "9" * 30],
    "lang": ["fa", "id", "en", "xx", "", "FA", "fa ", "\u202efa", "<script>"],
    "sort": ["relevance", "date", "", "score", "DATE", "../"],
    "from": ["2024-01-01", "2024-13-01", "0000-00-00", "yesterday", "", "9999-12-31", "2024-02-30",
             "20240101", "2024-01-01T00:00:00"],
    "to": ["2024-12-31", "1900-01-01", "x", "", "-1"],
    "source": ["uji-xss", "", "*", "<b>", "a" * 1000, "\x00"],
}

PATHS = ["/search", "/search", "/search", "/", "/", "/health", "/openapi.json",
         "/documents/xss_body", "/documents/", "/documents/%00", "/documents/..%2F..%2Fetc",
         "/documents/" + "a" * 5000, "/documents/%ff", "/documents/<script>", "/nope",
         "/search/", "//search", "/static/../web/__init__.py", "/static/lintas.css", "/%ff",
         "/search;jsessionid=1", "/index.php", "/documents/doc%2f1"]
METHODS = ["GET"] * 12 + ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW"]
API_PREFIXES = ("/search", "/documents/", "/health", "/openapi.json")


@dataclass
class Request:
    method: str
    target: str  # path + query string, already encoded (or deliberately not)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def bad_http(self) -> bool:
        """Not valid HTTP (a control character in a header): waitress answers it with
        its own plain-text 400 before the app sees it, which is right."""
        return any(ord(c) < 32 or ord(c) == 127 for v in self.headers.values() for c in v)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def _q(rng: random.Random) -> str:
    """A nasty query: from the list, a random mix of its pieces, or random code points."""
    r = rng.random()
    if r < 0.4:
        return rng.choice(list(NASTY_QUERIES.values()))
    if r < 0.7:
        parts = rng.sample(list(NASTY_QUERIES.values()), k=rng.randint(2, 4))
        return " ".join(p[: rng.randint(0, 60)] for p in parts)
    if r < 0.85:
        words = ["hubungan", "dagang", "ایران", "racun", "AND", "OR", "NOT", '"', "(", ")", "*",
                 "title:", "lang:fa", "source:uji-xss", "<mark>", "</mark>", "-", "+"]
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
    alphabet_top = rng.choice([0x80, 0x800, 0x10000, 0x110000])
    chars = []
    for _ in range(rng.randint(1, 40)):
        c = rng.randrange(1, alphabet_top)
        if 0xD800 <= c <= 0xDFFF:  # not encodable in a URL; the engine tests cover them
            c = 0xFFFD
        chars.append(chr(c))
    return "".join(chars)


def generate(rng: random.Random) -> Request:
    """One hostile request."""
    r = rng.random()
    headers = {}
    if rng.random() < 0.3:
        headers["Accept"] = rng.choice(["text/html", "application/json", "*/*", "text/html;q=0.1, */*",
                                        "image/png", "\x7f"])
    if r < 0.08:
        return Request("GET", "/search?" + rng.choice(RAW_QUERY_STRINGS), headers=headers)
    if r < 0.16:
        method = rng.choice(METHODS)
        body = b""
        if method in ("POST", "PUT", "PATCH") and rng.random() < 0.5:
            body = os.urandom(rng.choice([10, 1000, 70_000]))
        target = rng.choice(PATHS)
        if rng.random() < 0.5:
            target += "?q=" + quote(_q(rng), safe="")
        return Request(method, target, body=body, headers=headers)
    path = "/search" if r < 0.8 else "/"
    params = {"q": _q(rng)} if rng.random() < 0.95 else {}
    for name, values in PARAM_VALUES.items():
        if rng.random() < 0.25:
            params[name] = rng.choice(values)
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items())
    return Request("GET", f"{path}?{query}", headers=headers)


# ------------------------------------------------------------------ sending


@dataclass
class Outcome:
    status: int  # 0: no HTTP answer (connection dropped, timed out)
    latency: float
    problem: str | None = None  # why the answer is a failure, if it is one


def check(req: Request, status: int, headers, body: bytes) -> str | None:
    """What is wrong with an answer, or None."""
    if status >= 500:
        return f"{status} {body[:200]!r}"
    if req.method == "HEAD" or status < 400:
        return None
    if req.bad_http:
        return None if status == 400 else f"{status} for a malformed HTTP request, not 400"
    if req.path.startswith(API_PREFIXES) or "json" in (headers.get("Content-Type") or ""):
        try:
            data = json.loads(body)
        except ValueError:
            return f"{status} with a body that is not JSON: {body[:200]!r}"
        if not (isinstance(data, dict) and data.get("ok") is False and isinstance(data.get("error"), str)
                and data.get("status") == status):
            return f"{status} without the error envelope: {body[:200]!r}"
    return None


class Client:
    """One keep-alive connection per thread; reconnects after the server closes it."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def send(self, req: Request) -> Outcome:
        started = time.perf_counter()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.putrequest(req.method, req.target, skip_accept_encoding=True)
                for name, value in req.headers.items():
                    self.conn.putheader(name, value)
                if req.body or req.method in ("POST", "PUT", "PATCH"):
                    self.conn.putheader("Content-Length", str(len(req.body)))
                self.conn.endheaders(req.body or None)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.will_close:
                    self.close()
                status = resp.status
                return Outcome(status, time.perf_counter() - started,
                               check(req, status, resp.headers, body))
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # A kept-alive connection the server had already closed: retry once on a
                # fresh one; a second failure is the server's.
                self.close()
                if attempt == 2:
                    return Outcome(0, time.perf_counter() - started, f"connection: {e!r}")
            except (OSError, http.client.HTTPException) as e:
                self.close()
                return Outcome(0, time.perf_counter() - started, f"connection: {e!r}")
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Report:
    requests: int
    seconds: float
    statuses: Counter
    latencies: list[float]
    failures: list[tuple[Request, Outcome]]
    server_log_errors: int = 0

    @property
    def five_xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def ok(self) -> bool:
        return not self.failures and self.five_xx == 0 and self.server_log_errors == 0

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0

    def text(self) -> str:
        statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(self.statuses.items()))
        lines = [
            f"requests:     {self.requests} in {self.seconds:.1f} s ({self.requests / max(self.seconds, 1e-9):.0f}/s)",
            f"statuses:     {statuses}",
            f"latency:      p50 {self.percentile(0.5) * 1000:.0f} ms, p99 {self.percentile(0.99) * 1000:.0f} ms, "
            f"max {max(self.latencies, default=0) * 1000:.0f} ms",
            f"5xx:          {self.five_xx}",
            f"failures:     {len(self.failures)}",
        ]
        if self.server_log_errors:
            lines.append(f"server log:   {self.server_log_errors} tracebacks")
        for req, out in self.failures[:10]:
            lines.append(f"  {req.method} {req.target[:150]!r}: {out.problem}")
        lines.append("result:       " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)


def run(url: str, requests: int, threads: int, seed: int, max_seconds: float = 600,
        timeout: float = 30) -> Report:
    """Send `requests` generated requests from `threads` threads; stop early at max_seconds."""
    parts = urlsplit(url)
    rng = random.Random(seed)
    batch = [generate(rng) for _ in range(requests)]
    statuses: Counter = Counter()
    latencies: list[float] = []
    failures: list[tuple[Request, Outcome]] = []
    lock = threading.Lock()
    next_index = iter(range(requests))
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()

    def worker() -> None:
        client = Client(parts.hostname or "127.0.0.1", parts.port or 80, timeout)
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                out = client.send(batch[i])
                with lock:
                    statuses[out.status] += 1
                    latencies.append(out.latency)
                    if out.problem:
                        failures.append((batch[i], out))
        finally:
            client.close()

    pool = [threading.Thread(target=worker, name=f"soak-{n}") for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return Report(sum(statuses.values()), time.perf_counter() - started, statuses, latencies, failures)


# ------------------------------------------------------------------ a server to soak


def index_seeds(index_dir: Path) -> None:
    proc = serving.run("index", str(ROOT / "seeds"), "--index", str(index_dir), timeout=300)
    if proc.returncode:
        raise RuntimeError(f"lintas index failed: {proc.stderr[-2000:]}")


def warm_up(url: str) -> None:
    """One Persian and one Indonesian query, so the analyzers' one-time load (Hazm takes
    seconds) is not counted as the latency of whichever hostile request comes first."""
    parts = urlsplit(url)
    client = Client(parts.hostname, parts.port, timeout=120)
    for q in ("ایران", "hubungan"):
        client.send(Request("GET", "/search?q=" + quote(q)))
    client.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="soak this running server (default: start one)")
    ap.add_argument("--index", type=Path, help="index for the started server (default: seeds/ in a temp dir)")
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=20240630)
    ap.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long")
    ap.add_argument("--server-threads", type=int, default=4)
    args = ap.parse_args(argv)

    served = None
    tmp = None
    if args.url:
        url = args.url
    else:
        index_dir = args.index
        if index_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="lintas-soak-")
            index_dir = Path(tmp.name) / "index"
            index_seeds(index_dir)
        served = serving.LintasServer(index_dir, threads=args.server_threads)
        url = served.url
    try:
        warm_up(url)
        print(f"soaking {url}: {args.requests} requests, {args.threads} threads, seed {args.seed}", flush=True)
        report = run(url, args.requests, args.threads, args.seed, max_seconds=args.max_seconds)
    finally:
        if served is not None:
            log = served.stop()
            tracebacks = log.count("Traceback (most recent call last)")
        if tmp is not None:
            tmp.cleanup()
    if served is not None:
        report.server_log_errors = tracebacks
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
