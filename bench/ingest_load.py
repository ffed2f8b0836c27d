"""Near-real-time writes: a steady stream of POST /documents against `lintas serve`,
with /search load beside it.

    python bench/ingest_load.py [--base 10000] [--rate 50] [--seconds 30] [--clients 4]

Three phases of equal length on one server: search alone (idle), search while
documents arrive at --rate per second over HTTP (write), search alone again.
Reported: the search throughput of the write phase against the mean of the two
idle phases (the target is >= 80 %), the time from each batch's 202 to its first
document being found by /search (p50/p95/max; target p95 <= 2 s), the rate
actually sustained, and the CPU seconds per phase of the writer process, of the
search workers (per request: what commits make each search redo) and of the load
clients (machine shared, so compare ratios within one run, not wall times across runs).

The base index is built once from the shared bench corpus and cached under
bench/out/ingest/; each run works on a copy. Without ../shared (--synthetic)
the documents are made from seeds/, for the smoke test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.http_load import HOST, process_tree, run_load  # noqa: E402

OUT = REPO / "bench" / "out" / "ingest"
DATA = REPO.parent / "shared" / "data" / "bench"
LINTAS = str(Path(sys.executable).with_name("lintas"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def synthetic_docs(n: int, seed: int = 15) -> list[dict]:
    """Documents made by shuffling the seed articles' sentences (for runs without ../shared)."""
    rng = random.Random(seed)
    sentences = {}
    for path in sorted((REPO / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        lang = "fa" if any("\u0600" <= ch <= "\u06ff" for ch in text) else "id"
        sentences.setdefault(lang, []).extend(s.strip() for s in text.replace("\n", " ").split(".") if s.strip())
    langs = sorted(sentences)
    docs = []
    for i in range(n):
        lang = langs[i % len(langs)]
        body = ". ".join(rng.choice(sentences[lang]) for _ in range(12)) + "."
        docs.append({"id": f"syn{i}", "title": body[:60], "text": body, "lang": lang})
    return docs


def corpus(args) -> tuple[list[dict], list[dict], list[str]]:
    """(base documents, documents to post, search paths)."""
    if args.synthetic:
        docs = synthetic_docs(args.base + args.rate * args.seconds + 100)
        words = ["hubungan", "ایران", "ekonomi", "مذاکرات", "pemerintah", "روسیه"]
        return docs[:args.base], docs[args.base:], [f"/search?q={quote(w)}" for w in words]
    from bench.corpus import load_news, load_queries

    news = load_news(DATA)
    need = args.rate * args.seconds + 100
    if len(news) < args.base + need:
        raise SystemExit(f"the corpus has {len(news)} articles: --base {args.base} leaves too few to post")
    rng = random.Random(15)
    rng.shuffle(news)
    queries = load_queries(DATA, limit=200)
    return news[:args.base], news[args.base:args.base + need], [f"/search?q={quote(q.text)}" for q in queries]


def base_index(args, base: list[dict]) -> Path:
    kind = "syn" if args.synthetic else "news"
    out = Path(getattr(args, "out", None) or OUT)
    cached = out / f"base-{kind}-n{args.base}"
    from search.schema import SCHEMA_VERSION

    meta = cached / "lintas.json"
    if meta.exists() and json.loads(meta.read_text()).get("schema") != SCHEMA_VERSION:
        log(f"{cached} is of an older schema: building it again")
        shutil.rmtree(cached)
    if not meta.exists():
        log(f"building the base index of {len(base)} documents in {cached} (once)")
        cached.parent.mkdir(parents=True, exist_ok=True)
        src = out / f"base-{kind}-n{args.base}.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for d in base:
                f.write(json.dumps({k: d[k] for k in ("id", "title", "text", "lang") if d.get(k)},
                                   ensure_ascii=False) + "\n")
        subprocess.run([LINTAS, "index", str(src), "--index", str(cached)], check=True)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(cached, work, ignore=shutil.ignore_patterns("queue.sqlite3*", "keys.sqlite3*", "writer.lock"))
    return work


class Stream(threading.Thread):
    """POSTs `batch` documents every batch/rate seconds on a fixed schedule; each batch's
    first document carries a probe word, and a prober measures 202 -> searchable."""

    def __init__(self, port: int, key: str, docs: list[dict], rate: int, batch: int, seconds: float):
        super().__init__(daemon=True)
        self.port, self.key, self.docs = port, key, docs
        self.rate, self.batch, self.seconds = rate, batch, seconds
        self.posted = 0
        self.refused = 0
        self.post_ms: list[float] = []
        # (probe word, time of its 202, its document's id, its task)
        self.probes: list[tuple[str, float, str, int]] = []
        self.lock = threading.Lock()

    def run(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        start = time.perf_counter()
        n = 0
        interval = self.batch / self.rate
        while time.perf_counter() - start < self.seconds and n * self.batch < len(self.docs):
            due = start + n * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            chunk = [dict(d) for d in self.docs[n * self.batch:(n + 1) * self.batch]]
            word = f"probe{n:05d}q"
            for i, d in enumerate(chunk):
                d["id"] = f"live-{n}-{i}"
                if i == 0:
                    d["text"] = f"{d['text']}\n{word}"
                d = {k: v for k, v in d.items() if k in ("id", "title", "text", "lang", "date", "source", "url") and v}
                chunk[i] = d
            body = json.dumps(chunk, ensure_ascii=False).encode()
            t0 = time.perf_counter()
            conn.request("POST", "/documents", body, {"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {self.key}"})
            resp = conn.getresponse()
            answer = resp.read()
            acked = time.perf_counter()
            self.post_ms.append((acked - t0) * 1000)
            if resp.status == 202:
                self.posted += len(chunk)
                with self.lock:
                    self.probes.append((word, acked, chunk[0]["id"], json.loads(answer)["task"]))
            else:
                self.refused += 1
            n += 1
        conn.close()


PROBES_PER_QUERY = 40  # probe words OR-ed into one /search (its query stays under 1,000 characters)


def probe(port: int, stream: Stream, stop: threading.Event, latencies: list[float],
          timeout: float = 120.0) -> None:
    """202 -> first /search hit, per probe word, in seconds, appended to `latencies` as
    they come (inf past `timeout`).

    Every 50 ms the prober asks GET /tasks/<n> for the oldest tasks still waiting
    (a row of SQLite), and searches only for the words of tasks the server says
    are indexed, in one OR query (per 40 words), again each round until /search
    finds them: the time measured still ends at a /search hit, and a /tasks that
    said "indexed" too early would only make the prober search sooner. Searching
    for every waiting word every 50 ms instead (sessions 12-15) made the prober
    ~20 queries/s of up to 40 words, 9 ms each in the query parser: ~9 % of this
    machine, load a real deployment does not have, taken from the searches measured."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    waiting: dict[str, tuple[str, float, int]] = {}  # doc id -> (probe word, time of its 202, task)
    indexed: set[str] = set()  # doc ids whose task is indexed, not yet found by /search
    taken = 0
    while not (stop.is_set() and not waiting and taken == len(stream.probes)):
        with stream.lock:
            for word, acked, doc_id, task in stream.probes[taken:]:
                waiting[doc_id] = (word, acked, task)
            taken = len(stream.probes)
        for doc_id, (_, _, task) in sorted(waiting.items(), key=lambda kv: kv[1][2]):
            if doc_id in indexed:
                continue
            conn.request("GET", f"/tasks/{task}")
            if json.loads(conn.getresponse().read()).get("status") != "indexed":
                break  # tasks are indexed in order: the later ones are not either
            indexed.add(doc_id)
        items = [(doc_id, waiting[doc_id]) for doc_id in indexed]
        for i in range(0, len(items), PROBES_PER_QUERY):
            chunk = items[i:i + PROBES_PER_QUERY]
            q = quote(" OR ".join(word for _, (word, _, _) in chunk))
            conn.request("GET", f"/search?q={q}&per_page={PROBES_PER_QUERY}&collapse=0&xscript=0")
            data = json.loads(conn.getresponse().read())
            found = time.perf_counter()
            for hit in data.get("results", []):
                if hit["id"] in waiting:
                    latencies.append(found - waiting.pop(hit["id"])[1])
                    indexed.discard(hit["id"])
        now = time.perf_counter()
        for doc_id, (_, acked, _) in list(waiting.items()):
            if now - acked > timeout:
                del waiting[doc_id]
                indexed.discard(doc_id)
                latencies.append(float("inf"))
        time.sleep(0.05)
    conn.close()


def _probe_into(box: dict, port: int, stream: Stream, stop: threading.Event) -> None:
    probe(port, stream, stop, box.setdefault("lat", []))


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server's writer process and its merge children (a
    running one, and the ones it has reaped), by the rest of its tree (gunicorn master,
    search workers), and by this process (the load clients)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"writer": 0.0, "search": 0.0, "clients": time.process_time()}
    writers: set[int] = set()
    for p in process_tree(pid):  # parents first
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            cmdline = Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        # A merge child that has exited but is not yet reaped has no cmdline: its parent
        # (the writer) says whose it is, else its CPU would count as the search workers'.
        if b"search.writer" in cmdline or b"search.merging" in cmdline or int(fields[1]) in writers:
            writers.add(p)
        kind = "writer" if p in writers else "search"
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if b"search.writer" in cmdline:
            ticks += int(fields[13]) + int(fields[14])  # cutime + cstime: merges that ended
        out[kind] += ticks / tick
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=int, default=10_000, help="documents in the index before the stream")
    ap.add_argument("--rate", type=int, default=50, help="documents per second posted")
    ap.add_argument("--batch", type=int, default=5, help="documents per POST")
    ap.add_argument("--seconds", type=int, default=30, help="length of each phase")
    ap.add_argument("--clients", type=int, default=4, help="search clients (keep-alive connections)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--synthetic", action="store_true", help="documents from seeds/ (no ../shared needed)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--out", help=f"where the base index is cached and copied (default {OUT.relative_to(REPO)})")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO / "tests" / "ingest"))
    from served import Server, create_key

    base, live, paths = corpus(args)
    index = base_index(args, base)
    key = create_key(index, "admin")
    server = Server(index, workers=args.workers, threads=args.threads)
    try:
        run_load(server.port, paths, clients=args.clients, duration=3)  # warm caches
        phases = {}
        for name in ("idle1", "write", "idle2"):
            cpu0, load0 = cpu_split(server.proc.pid), os.getloadavg()[0]
            stream = prober = None
            if name == "write":
                stream = Stream(server.port, key, live, args.rate, args.batch, args.seconds)
                stop = threading.Event()
                result_box = {}
                prober = threading.Thread(target=_probe_into, args=(result_box, server.port, stream, stop),
                                          daemon=True)
                stream.start()
                prober.start()
            load = run_load(server.port, paths, clients=args.clients, duration=args.seconds)
            phase = {"search_rps": round(load.rps, 1), "search_errors": load.errors,
                     "search_p95_ms": round(pct(load.latencies_ms, 95), 1)}
            if stream is not None:
                stream.join()
                stop.set()
                prober.join(timeout=150)  # every probe found, or given up on after 120 s
                lat = list(result_box.get("lat", []))
                lat += [float("inf")] * (len(stream.probes) - len(lat))  # still not searchable
                phase.update({
                    "docs_posted": stream.posted, "posts_refused": stream.refused,
                    "docs_per_s": round(stream.posted / args.seconds, 1),
                    "post_p95_ms": round(pct(stream.post_ms, 95), 1),
                    "visible_p50_s": round(pct(lat, 50), 3), "visible_p95_s": round(pct(lat, 95), 3),
                    "visible_max_s": round(max(lat), 3) if lat else None, "probes": len(lat),
                    "not_visible_in_120_s": sum(1 for x in lat if x == float("inf")),
                })
            cpu = {k: v - cpu0[k] for k, v in cpu_split(server.proc.pid).items()}
            phase.update({
                "server_cpu_s": round(cpu["writer"] + cpu["search"], 2),
                "writer_cpu_s": round(cpu["writer"], 2), "search_cpu_s": round(cpu["search"], 2),
                "clients_cpu_s": round(cpu["clients"], 2),
                # What one search cost its worker: rises under writes if the workers redo
                # work at each commit (new searchers, per-segment tables).
                "search_cpu_ms_per_request": round(1000 * cpu["search"] / max(load.requests, 1), 2),
                "loadavg": [round(load0, 2), round(os.getloadavg()[0], 2)],
            })
            phases[name] = phase
            log(f"{name}: {phase}")
        drained = server.wait_drained(timeout=120)
    finally:
        server.stop()
    idle = (phases["idle1"]["search_rps"] + phases["idle2"]["search_rps"]) / 2
    w = phases["write"]
    # The writer process's CPU per document posted (the backlog it drains in idle2 counted too).
    cpu_per_doc_ms = (w["writer_cpu_s"] + phases["idle2"]["writer_cpu_s"]) / max(w["docs_posted"], 1) * 1000
    summary = {
        "base_documents": args.base, "rate": args.rate, "batch": args.batch, "seconds": args.seconds,
        "clients": args.clients, "workers": args.workers, "phases": phases,
        "search_ratio_write_vs_idle": round(w["search_rps"] / idle, 3) if idle else None,
        # idle2 is not idle while the writer still drains a backlog: this one is.
        "search_ratio_write_vs_idle1": round(w["search_rps"] / max(phases["idle1"]["search_rps"], 1e-9), 3),
        "writer_cpu_ms_per_doc": round(cpu_per_doc_ms, 1),
        "search_cpu_ms_per_request_write_vs_idle1": round(
            w["search_cpu_ms_per_request"] / max(phases["idle1"]["search_cpu_ms_per_request"], 1e-9), 2),
        "cpus": os.cpu_count(),
        "documents_after": drained["documents"],
    }
    print(json.dumps(summary, indent=2))
    print(f"\n202 -> searchable: p50 {w['visible_p50_s']} s, p95 {w['visible_p95_s']} s (target <= 2 s); "
          f"{w['docs_per_s']} docs/s sustained; /search under writes {summary['search_ratio_write_vs_idle']:.0%} "
          f"of idle (target >= 80 %); writer {summary['writer_cpu_ms_per_doc']} CPU ms per document; "
          f"a search's worker CPU x{summary['search_cpu_ms_per_request_write_vs_idle1']} under writes")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
