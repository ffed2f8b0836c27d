"""Lintas performance benchmark: index build, query latency, HTTP, CLI, memory.

Every figure has a peer measured beside it in the same invocation (plain Whoosh,
SQLite FTS5), because the machine is shared and noisy: read the ratios, and the
medians of --runs runs, not the absolute numbers.

    .venv/bin/python bench/perf.py                       # 10k and 100k, everything
    .venv/bin/python bench/perf.py --sizes 10000 --only build,query --json out.json

Numbers go to stdout as fixed-width tables ending in PASS/FAIL lines for the
targets of the "Lintas performance" issue; progress goes to stderr. Corpora
and indexes are cached under bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `search` importable
    sys.path.insert(0, str(ROOT))

import search  # noqa: E402, F401  (before numpy loads: the engine's OpenBLAS setting, search/__init__.py)
from bench import corpus as corpus_mod  # noqa: E402
from bench import http_load, peers, serving  # noqa: E402

SECTIONS = ("build", "query", "http", "cli", "hybrid")
# hybrid embeds documents with the model: minutes even for a smoke run, so only on request.
DEFAULT_SECTIONS = ("build", "query", "http", "cli")
# The modules of search/ that decide what an index holds (see Bench._hash_code).
INDEX_MODULES = ("schema", "indexer", "documents", "storage", "dedup")
ENGINE_ORDER = ("lintas", "whoosh", "fts5")


def log(msg: str) -> None:
    print(f"[perf {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.data = Path(args.data)
        self.out = Path(args.out)
        self.queries = corpus_mod.load_queries(self.data, args.queries)
        self.results: dict = {"build": {}, "query": {}, "http": {}, "cli": {}, "hybrid": {}}
        self._stamps: dict[str, str] = {}
        self.errors: list[str] = []

    # ---- corpora and indexes -------------------------------------------------

    def corpus(self, size: int) -> Path:
        path = corpus_mod.corpus_file(self.data, self.out, size, self.args.seed)
        return path

    def index_dir(self, engine: str, size: int) -> Path:
        return self.out / "index" / f"{engine}-n{size}-s{self.args.seed}"

    def _stamp(self, engine: str) -> str:
        """A hash of the code that decides the index's content: a stale index is rebuilt.

        Taken once per invocation, so that edits landing mid-run don't rebuild
        the index between sections.
        """
        if engine not in self._stamps:
            self._stamps[engine] = self._hash_code(engine)
        return self._stamps[engine]

    @staticmethod
    def _hash_code(engine: str) -> str:
        paths = [ROOT / "bench" / "peers.py"]
        if engine == "lintas":
            # What decides the index's content; the query side (engine, vectorized,
            # postings, ...) can change without a rebuild.
            paths += sorted((ROOT / "analyzers").rglob("*")) + [
                ROOT / "search" / f"{name}.py" for name in INDEX_MODULES]
        h = hashlib.sha256()
        for p in paths:
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.name.encode() + p.read_bytes())
        return h.hexdigest()

    def _stamp_file(self, engine: str, size: int) -> Path:
        return self.index_dir(engine, size).with_suffix(".stamp")

    def build_once(self, engine: str, size: int) -> dict:
        """One build in a fresh interpreter; returns the worker's measurements."""
        index_dir = self.index_dir(engine, size)
        self._stamp_file(engine, size).unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "bench.peers", "build", engine, str(self.corpus(size)), str(index_dir)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(peers.RESULT_PREFIX)]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"{engine} build failed (exit {proc.returncode}); see stderr above")
        self._stamp_file(engine, size).write_text(self._stamp(engine))
        return json.loads(lines[-1][len(peers.RESULT_PREFIX):])

    def ensure_index(self, engine: str, size: int) -> Path:
        stamp = self._stamp_file(engine, size)
        if not (stamp.exists() and stamp.read_text() == self._stamp(engine)):
            log(f"preparing {engine} index at {size} docs (not measured)")
            self.build_once(engine, size)
        if engine == "lintas":
            self._sidecars(self.index_dir(engine, size))
        return self.index_dir(engine, size)

    @staticmethod
    def _sidecars(index_dir: Path) -> None:
        """Posting sidecars are derived data, outside the stamp: a cached index built
        before them (or by an older sidecar format) gets them here, as
        `lintas index` would give them."""
        from search import sidecar_build

        t0 = time.process_time()
        report = sidecar_build.sync(index_dir)
        if report.written:
            log(f"  wrote {len(report.written)} sidecar(s) of {index_dir.name} in "
                f"{time.process_time() - t0:.1f} CPU s (not measured)")

    # ---- 1. index build --------------------------------------------------------

    def run_build(self, size: int) -> None:
        runs: dict[str, list[dict]] = {e: [] for e in self.args.engines}
        for r in range(self.args.runs):
            # Interleaved so that a noisy minute hits every engine alike.
            for engine in self.args.engines:
                log(f"build {engine} n={size} run {r + 1}/{self.args.runs}")
                m = self.build_once(engine, size)
                m["docs_per_s"] = m["docs"] / m["seconds"]
                m["mb_per_s"] = m["text_bytes"] / 1e6 / m["seconds"]
                m["cpu_ms_per_doc"] = 1000 * m.get("cpu_seconds", float("nan")) / m["docs"]
                runs[engine].append(m)
                log(f"  {m['seconds']:.1f} s, {m['docs_per_s']:.0f} docs/s, {m['cpu_ms_per_doc']:.1f} CPU ms/doc, "
                    f"peak {m['vmhwm_kb'] / 1024:.0f} MB")
        summary = {}
        for engine, ms in runs.items():
            summary[engine] = {
                k: median([m[k] for m in ms])
                for k in ("docs", "text_bytes", "seconds", "docs_per_s", "mb_per_s", "cpu_ms_per_doc",
                          "vmhwm_kb", "children_maxrss_kb", "index_bytes")
            }
            summary[engine]["runs"] = ms
        self.results["build"][size] = summary

    # ---- 2. in-process query latency ------------------------------------------

    def run_query(self, size: int) -> None:
        searchers = {}
        for engine in self.args.engines:
            searchers[engine] = peers.ENGINES[engine].open(self.ensure_index(engine, size))
        texts = [q.text for q in self.queries]
        kinds = [q.kind for q in self.queries]
        out = {e: {"plain": [], "snippets": [], "zero_hits": 0, "kinds": {}} for e in searchers}
        for engine, s in searchers.items():
            log(f"query warm-up {engine} n={size}")
            out[engine]["zero_hits"] = sum(1 for t in texts if not s.search(t, True))
        for r in range(self.args.runs):
            for engine, s in searchers.items():
                for mode, snippets in (("plain", False), ("snippets", True)):
                    lat = []
                    for t in texts:
                        t0 = time.perf_counter()
                        s.search(t, snippets)
                        lat.append((time.perf_counter() - t0) * 1000)
                    out[engine][mode].append(percentiles(lat))
                    # Per query kind (single word, AND, phrase): phrases have targets of their own.
                    by_kind = out[engine]["kinds"].setdefault(mode, {})
                    for kind in sorted(set(kinds)):
                        by_kind.setdefault(kind, []).append(
                            percentiles([x for x, k in zip(lat, kinds) if k == kind]))
            log(f"query n={size} run {r + 1}/{self.args.runs} done")
        for s in searchers.values():
            s.close()
        for o in out.values():
            for mode in ("plain", "snippets"):
                o[mode] = {"runs": o[mode], **{k: median([p[k] for p in o[mode]]) for k in o[mode][0]}}
                o["kinds"][mode] = {kind: {k: median([p[k] for p in ps]) for k in ps[0]}
                                    for kind, ps in o["kinds"][mode].items()}
        self.results["query"][size] = out

    # ---- 3. HTTP under `lintas serve` ------------------------------------------

    def run_http(self, size: int) -> None:
        index = self.ensure_index("lintas", size)
        paths = ["/search?" + urlencode({"q": q.text, "per_page": 10}) for q in self.queries]
        res: dict = {"levels": {}, "workers": self.args.server_workers}
        server = http_load.serve(index, workers=self.args.server_workers or None,
                                 threads=self.args.server_threads or None)
        try:
            port = server.port
            res["startup_s"] = server.ready_seconds
            res["warm_s"] = server.warm_seconds
            # Every figure is over the server's process tree (a gunicorn master and its workers).
            res["rss_startup_kb"] = http_load.memory_kb(server)["vmrss_kb"]
            log(f"http n={size}: server up in {server.ready_seconds:.1f} s, warm in {server.warm_seconds:.1f} s; "
                "warm-up")
            # Warm-up: every query once, so caches and lazy imports (Hazm) are loaded.
            http_load.run_load(port, paths, 2, duration=self.args.http_duration * 3, max_requests=len(paths))
            for clients in self.args.http_clients:
                runs = []
                for r in range(self.args.runs):
                    lr = http_load.run_load(port, paths, clients, duration=self.args.http_duration)
                    runs.append({"requests": lr.requests, "errors": lr.errors, "seconds": lr.seconds,
                                 "rps": lr.rps, "first_error": lr.first_error,
                                 **percentiles(lr.latencies_ms)})
                    log(f"http n={size} c={clients} run {r + 1}: {lr.rps:.0f} req/s, {lr.errors} errors")
                res["levels"][clients] = {
                    "runs": runs,
                    **{k: median([x[k] for x in runs]) for k in ("rps", "p50", "p95", "p99")},
                    "requests": sum(x["requests"] for x in runs),
                    "errors": sum(x["errors"] for x in runs),
                    "first_error": next((x["first_error"] for x in runs if x["first_error"]), None),
                }
            mem = http_load.memory_kb(server)
            res["rss_served_kb"], res["hwm_served_kb"] = mem["vmrss_kb"], mem["vmhwm_kb"]
            res["rss_max_process_kb"], res["pss_served_kb"] = mem["rss_max_kb"], mem["pss_kb"]
            res["processes"] = mem["processes"]
            # At rest: a worker drops the sidecar pages its searches mapped within a
            # second or two of its last search (search/sidecar.py); what is left is its own.
            time.sleep(REST_S)
            rest = http_load.memory_kb(server)
            res["rss_rest_kb"], res["pss_rest_kb"] = rest["vmrss_kb"], rest["pss_kb"]
        finally:
            (self.out / f"serve-n{size}.log").write_text(server.stop(signal.SIGTERM))
        self.results["http"][size] = res

    # ---- 4. `lintas search` wall time ------------------------------------------

    def run_cli(self, size: int) -> None:
        index = self.ensure_index("lintas", size)
        res = {}
        for lang in ("id", "fa"):
            q = next(q for q in self.queries if q.lang == lang and q.kind == "single")
            walls = []
            for _run in range(self.args.runs):
                t0 = time.perf_counter()
                proc = serving.run("search", q.text, "--index", str(index))
                walls.append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    raise RuntimeError(f"lintas search {q.text!r} exited {proc.returncode}: "
                                       f"{proc.stderr[-500:]}")
            res[lang] = {"query": q.text, "runs": walls, "median_s": median(walls)}
            log(f"cli n={size} {lang}: {median(walls):.2f} s")
        self.results["cli"][size] = res

    # ---- 5. hybrid: embedding throughput, hybrid beside lexical (bench/perf_hybrid.py) --

    def run_hybrid(self, size: int) -> None:
        from bench import perf_hybrid

        self.results["hybrid"][size] = perf_hybrid.run(self, size)

    # ---- driver ----------------------------------------------------------------------

    def run(self) -> dict:
        meta = self.meta()
        for size in self.args.sizes:
            log(f"corpus n={size}: {self.corpus(size)}")
        if "query" in self.args.only and "lintas" in self.args.engines:
            # Import the engine now, with the code the build subprocesses are about
            # to use: on a tree that changes mid-run, a later import could find an
            # index of an older schema version.
            import search.engine  # noqa: F401
        timings = {}
        for section in self.args.only:
            t0 = time.perf_counter()
            for size in self.args.sizes:
                try:
                    getattr(self, f"run_{section}")(size)
                except Exception as ex:  # one broken section must not cost the others' numbers
                    log(f"{section} n={size} FAILED: {type(ex).__name__}: {ex}")
                    self.errors.append(f"{section} n={size}: {type(ex).__name__}: {ex}")
            timings[section] = time.perf_counter() - t0
            log(f"{section} section took {timings[section]:.0f} s")
        meta["section_seconds"] = timings
        meta["errors"] = self.errors
        return {"meta": meta, **{k: v for k, v in self.results.items() if v}}

    def meta(self) -> dict:
        real = corpus_mod.real_count(self.data)
        git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
        head = git("rev-parse", "--short", "HEAD")
        # Uncommitted changes to the engine make the numbers unreproducible from the hash alone.
        if git("status", "--porcelain", "--", "analyzers", "search", "web"):
            head += "+dirty"
        return {
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": head,
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "sizes": self.args.sizes,
            "runs": self.args.runs,
            "queries": len(self.queries),
            "seed": self.args.seed,
            "real_articles": real,
            "synthetic_share": {s: corpus_mod.synthetic_share(s, real) for s in self.args.sizes},
            "engines": self.args.engines,
            "http_duration_s": self.args.http_duration,
        }

# ---- statistics and the report -----------------------------------------------------


def median(values):
    v = sorted(values)
    n = len(v)
    if not n:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def percentiles(lat_ms: list[float]) -> dict:
    """p50/p95/p99 (linear interpolation between ranks) and mean, in ms."""
    v = sorted(lat_ms)
    if not v:
        return {"p50": None, "p95": None, "p99": None, "mean": None}

    def pct(p):
        k = (len(v) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (k - lo)

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "mean": sum(v) / len(v)}


def table(headers: list[str], rows: list[list]) -> str:
    """Fixed-width text table: words left-aligned, numbers right-aligned."""
    cells = [[_fmt(c) for c in r] for r in rows]
    left = [all(isinstance(r[i], str) for r in rows) for i in range(len(headers))]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(r):
        return "  ".join(c.ljust(w) if lf else c.rjust(w) for c, w, lf in zip(r, widths, left)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _x(r) -> str:
    return f"{r:.2f}x" if r is not None else "-"


def _ratio(a, b):
    return a / b if a is not None and b else None


def paired_ratio(a: dict | None, b: dict | None, key: str):
    """Median over runs of a[key]/b[key], run i against run i.

    Runs are interleaved, so run i of both engines shared the same minute of a
    noisy machine: the per-run ratio cancels most of that noise, the ratio of
    two medians does not.
    """
    if not a or not b:
        return None
    pairs = [_ratio(x[key], y[key]) for x, y in zip(a["runs"], b["runs"])]
    return median([r for r in pairs if r is not None])


REST_S = 3.0  # seconds after the HTTP load before the at-rest memory reading
MB = 1024  # kB per MB (RSS figures come from /proc in kB)


def targets(res: dict) -> list[tuple[str, bool | None, str]]:
    """The issue's targets: (what, passed or None if not measured, the numbers)."""
    out = []
    build, query, http, cli = (res.get(k, {}) for k in ("build", "query", "http", "cli"))
    for size in (10_000, 100_000):
        b = build.get(size, {})
        r = paired_ratio(b.get("lintas"), b.get("whoosh"), "docs_per_s")
        out.append((f"index build {size:,}: Lintas docs/s >= 1.5x plain Whoosh",
                    None if r is None else r >= 1.5, f"ratio {r:.2f}" if r else "not measured"))
    q = query.get(10_000, {})
    r = paired_ratio(q.get("lintas", {}).get("snippets"), q.get("fts5", {}).get("snippets"), "p50")
    out.append(("query with snippets 10,000: Lintas p50 <= 5x FTS5 p50",
                None if r is None else r <= 5, f"ratio {r:.1f}" if r else "not measured"))
    p99 = query.get(100_000, {}).get("lintas", {}).get("snippets", {}).get("p99")
    out.append(("query with snippets 100,000: Lintas p99 <= 50 ms",
                None if p99 is None else p99 <= 50, f"{p99:.1f} ms" if p99 is not None else "not measured"))
    h = http.get(10_000, {}).get("levels", {})
    if 8 in h:
        ok = h[8]["rps"] >= 200 and h[8]["p99"] is not None and h[8]["p99"] <= 100
        out.append(("HTTP 10,000 at 8 clients: >= 200 req/s and p99 <= 100 ms", ok,
                    f"{h[8]['rps']:.0f} req/s, p99 {h[8]['p99']:.1f} ms"))
    else:
        out.append(("HTTP 10,000 at 8 clients: >= 200 req/s and p99 <= 100 ms", None, "not measured"))
    out.append(("HTTP 10,000 at 32 clients: 0 errors", None if 32 not in h else h[32]["errors"] == 0,
                f"{h[32]['errors']} errors of {h[32]['requests']}" if 32 in h else "not measured"))
    for size, c in sorted(cli.items()):
        out.append((f"lintas search {size:,}: Indonesian query < 1 s wall", c["id"]["median_s"] < 1,
                    f"{c['id']['median_s']:.2f} s"))
    h100 = http.get(100_000, {})
    rss, rest = h100.get("rss_served_kb"), h100.get("rss_rest_kb")
    if rest:
        out.append((f"server RSS after serving 100,000, at rest ({REST_S:g} s after the load): <= 400 MB",
                    rest / MB <= 400, f"{rest / MB:.0f} MB ({rss / MB:.0f} MB right after the load)"))
    else:
        out.append(("server RSS after serving 100,000: <= 400 MB", None if rss is None else rss / MB <= 400,
                    f"{rss / MB:.0f} MB" if rss else "not measured"))
    return out


def _tree_memory(h: dict) -> str:
    """The per-process part of the RSS line (absent from results saved before it existed)."""
    if "processes" not in h:
        return ""
    pss = f", PSS {h['pss_served_kb'] / MB:.0f} MB" if h.get("pss_served_kb") else ""
    return (f"; summed over {h['processes']} process(es), largest {h['rss_max_process_kb'] / MB:.0f} MB{pss}")


def render_report(res: dict) -> str:
    m = res["meta"]
    parts = [
        f"Lintas performance report  {m['date']}  commit {m['commit']}",
        f"{m['cpus']} CPUs (shared, noisy: read the ratios), load at start {m['loadavg_start'][0]:.2f}; "
        f"medians of {m['runs']} run(s); {m['queries']} queries; seed {m['seed']}",
        "corpus: " + "; ".join(
            f"{s:,} docs = {min(s, m['real_articles']):,} real + {s - min(s, m['real_articles']):,} synthetic "
            f"({share:.0%} synthetic)" for s, share in m["synthetic_share"].items()),
        "synthetic documents are paraphrases of real ones: fine for speed and size, not for relevance.",
    ]
    if "build" in res:
        rows = []
        for size, engines in res["build"].items():
            for e, b in engines.items():
                rows.append([f"{size:,}", e, b["runs"][0]["docs"], b["seconds"], b["docs_per_s"], b["mb_per_s"],
                             b.get("cpu_ms_per_doc"), b["vmhwm_kb"] / MB, b["children_maxrss_kb"] / MB or None, b["index_bytes"] / 1e6])
        ratios = []
        for size, engines in res["build"].items():
            r = paired_ratio(engines.get("lintas"), engines.get("whoosh"), "docs_per_s")
            f = paired_ratio(engines.get("lintas"), engines.get("fts5"), "docs_per_s")
            ratios.append(f"  {size:,} docs: Lintas/Whoosh docs/s = {_x(r)}, Lintas/FTS5 = {_x(f)}"
                          " (median of per-run ratios)")
        parts += ["", "1. Index build (fresh subprocess per build; peak RSS = VmHWM; MB/s of title+text UTF-8)",
                  table(["docs", "engine", "n", "seconds", "docs/s", "MB/s", "CPU ms/doc", "peak RSS MB",
                         "child MB", "index MB"], rows)] + ratios + [
                  "  CPU ms/doc: user+system time of the build and its worker processes per document; unlike"
                  " docs/s it does not depend on how many cores the shared machine left free.",
                  "  child MB: the largest child process's peak; a forked helper shares its parent's pages,"
                  " so it can read as big as the parent."]
    if "query" in res:
        rows = []
        for size, engines in res["query"].items():
            for e, q in engines.items():
                for mode in ("plain", "snippets"):
                    rows.append([f"{size:,}", e, mode, q[mode]["p50"], q[mode]["p95"], q[mode]["p99"],
                                 q[mode]["mean"], q["zero_hits"] if mode == "plain" else ""])
        ratios = []
        for size, engines in res["query"].items():
            def r(peer, mode, engines=engines):
                return _x(paired_ratio(engines.get("lintas", {}).get(mode), engines.get(peer, {}).get(mode), "p50"))

            ratios.append(f"  {size:,} docs: Lintas/FTS5 p50 = {r('fts5', 'plain')} plain, {r('fts5', 'snippets')} "
                          f"with snippets; Lintas/Whoosh p50 = {r('whoosh', 'plain')} plain, "
                          f"{r('whoosh', 'snippets')} with snippets (median of per-run ratios)")
        parts += ["", "2. In-process query latency, ms (top 10; 'zero' = queries with no hit at all)",
                  table(["docs", "engine", "mode", "p50", "p95", "p99", "mean", "zero"], rows)] + ratios
        kind_rows = [[f"{size:,}", e, mode, kind, k["p50"], k["p95"], k["p99"], k["mean"]]
                     for size, engines in res["query"].items() for e, q in engines.items()
                     for mode, kinds in q.get("kinds", {}).items() for kind, k in kinds.items()]
        if kind_rows:
            parts += ["", "2b. The same, by query kind",
                      table(["docs", "engine", "mode", "kind", "p50", "p95", "p99", "mean"], kind_rows)]
    if "http" in res:
        rows, mem = [], []
        for size, h in res["http"].items():
            for c, lv in h["levels"].items():
                rows.append([f"{size:,}", c, lv["rps"], lv["p50"], lv["p95"], lv["p99"], lv["requests"], lv["errors"]])
            mem.append(f"  {size:,} docs: server up in {h['startup_s']:.1f} s, RSS {h['rss_startup_kb'] / MB:.0f} MB "
                       f"after start-up, {h['rss_served_kb'] / MB:.0f} MB after serving (peak {h['hwm_served_kb'] / MB:.0f} MB)"
                       + _tree_memory(h)
                       + (f"; {REST_S:g} s later, at rest: RSS {h['rss_rest_kb'] / MB:.0f} MB, PSS {h['pss_rest_kb'] / MB:.0f} MB"
                          if h.get("rss_rest_kb") and h.get("pss_rest_kb") else ""))
            errs = [f"    first error at {c} clients: {lv['first_error']}" for c, lv in h["levels"].items() if lv["first_error"]]
            mem += errs
        workers = {h.get("workers") for h in res["http"].values()}
        shown = "" if workers == {None} else " --workers " + ",".join(str(w or "default") for w in sorted(workers, key=str))
        parts += ["", f"3. HTTP /search under `lintas serve{shown}` ({m['http_duration_s']:g} s per level and run, keep-alive, loopback)",
                  table(["docs", "clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors"], rows)] + mem
    if "cli" in res:
        rows = [[f"{size:,}", lang, c["query"], c["median_s"], " ".join(f"{x:.2f}" for x in c["runs"])]
                for size, cl in res["cli"].items() for lang, c in cl.items()]
        parts += ["", "4. `lintas search` wall time, s (cold process)",
                  table(["docs", "lang", "query", "median", "runs"], rows)]
    if "hybrid" in res:
        from bench import perf_hybrid

        parts += perf_hybrid.report(res["hybrid"], table, MB)
    secs = m.get("section_seconds", {})
    if secs:
        parts += ["", "section wall time: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in secs.items())]
    for err in m.get("errors", []):
        parts.append(f"ERROR  {err}")
    parts += ["", "Targets"]
    for what, ok, detail in targets(res):
        parts.append(f"  {'SKIP' if ok is None else 'PASS' if ok else 'FAIL'}  {what}: {detail}")
    return "\n".join(parts)


def load_results(paths: list[str]) -> dict:
    """Merge saved --json files (e.g. a build run and an http run) for one report."""
    merged: dict = {}
    for path in paths:
        res = json.loads(Path(path).read_text())
        meta = res.pop("meta")
        for k in ("sizes", "synthetic_share"):  # JSON turned the int keys into strings
            if isinstance(meta.get(k), dict):
                meta[k] = {int(s): v for s, v in meta[k].items()}
        if "meta" in merged:
            meta["section_seconds"] = {**merged["meta"].get("section_seconds", {}), **meta.get("section_seconds", {})}
            meta["synthetic_share"] = {**merged["meta"]["synthetic_share"], **meta["synthetic_share"]}
            meta["date"] = f"{merged['meta']['date']} .. {meta['date']}"
            if merged["meta"]["commit"] != meta["commit"]:
                meta["commit"] = f"{merged['meta']['commit']} .. {meta['commit']}"
            meta["loadavg_start"] = merged["meta"]["loadavg_start"]
            meta["runs"] = f"{merged['meta']['runs']}/{meta['runs']}"  # runs per merged file, in order
            meta["errors"] = merged["meta"].get("errors", []) + meta.get("errors", [])
        merged["meta"] = meta
        for section, by_size in res.items():
            for size, v in by_size.items():
                merged.setdefault(section, {})[int(size)] = v
    for h in merged.get("http", {}).values():
        h["levels"] = {int(c): v for c, v in h["levels"].items()}
    return merged


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    csv_ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "bench"),
                   help="folder with news.jsonl.gz and queries.jsonl (default: ../shared/data/bench)")
    p.add_argument("--out", default=str(ROOT / "bench" / "out"), help="cache folder for corpora and indexes")
    p.add_argument("--sizes", type=csv_ints, default=[10_000, 100_000])
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; medians are reported")
    p.add_argument("--only", type=lambda s: [x for x in s.split(",") if x], default=list(DEFAULT_SECTIONS),
                   help="comma list of " + ",".join(SECTIONS) + " (default: all but hybrid)")
    p.add_argument("--engines", type=lambda s: s.split(","), default=list(ENGINE_ORDER),
                   help="engines for build and query (lintas is always used by http and cli)")
    p.add_argument("--queries", type=int, default=None, help="use a balanced slice of N queries")
    p.add_argument("--seed", type=int, default=corpus_mod.DEFAULT_SEED)
    p.add_argument("--http-clients", type=csv_ints, default=[1, 8, 32])
    p.add_argument("--http-duration", type=float, default=10.0, help="seconds per client level and run")
    p.add_argument("--server-threads", type=int, default=None, help="--threads for lintas serve (default: its own)")
    p.add_argument("--server-workers", type=int, default=None,
                   help="--workers for lintas serve (default: its own, one per CPU core)")
    p.add_argument("--embed-docs", type=int, default=200, help="hybrid: documents to embed for throughput")
    p.add_argument("--embed-chars", type=csv_ints, default=[200],
                   help="hybrid: passage lengths (title + lead, characters) to time")
    p.add_argument("--skip-hybrid", type=lambda s: s.split(","), default=[], help="hybrid: parts to skip (http)")
    p.add_argument("--json", dest="json_out", default=None, help="also write the numbers to this file")
    p.add_argument("--report-from", default=None, metavar="A.json,B.json",
                   help="measure nothing: print the report of saved --json files, merged")
    args = p.parse_args(argv)
    bad = set(args.only) - set(SECTIONS) or set(args.engines) - set(ENGINE_ORDER)
    if bad:
        p.error(f"unknown section or engine: {', '.join(sorted(bad))}")
    args.only = [s for s in SECTIONS if s in args.only]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report_from:
        print(render_report(load_results(args.report_from.split(","))))
        return 0
    if not (Path(args.data) / corpus_mod.NEWS_FILE).exists():
        print(f"no benchmark data in {args.data}: pass --data DIR", file=sys.stderr)
        return 2
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results = Bench(args).run()
    print(render_report(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1, default=str))
        log(f"numbers written to {args.json_out}")
    return 1 if results["meta"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
