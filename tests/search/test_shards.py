"""A sharded index built and searched on a real two-worker Dask LocalCluster, against one
index of the same documents: the judged slice (tests/data/eval, 510 passages)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from search import cluster, shard_build, shards
from search.columns import id_key
from search.documents import Document
from search.engine import Engine
from search.errors import BadRequest, DocumentNotFound, LintasError
from search.indexer import Indexer
from search.request import SearchRequest
from search.searchers import REFRESH_EVERY

SLICE = Path(__file__).resolve().parents[1] / "data" / "eval"
SOURCES = ("Kompas", "Tempo", "IRNA", "Hamshahri")
AUTHORS = ("Rina Kusuma", None, "مهدی حسین\u200cزاده")


def slice_documents() -> list[Document]:
    """The slice's passages, each given a source and a date (a function of its id) so
    that facets, filters and sorting by date have something to work on."""
    docs = []
    for lang in ("fa", "id"):
        with open(SLICE / lang / "corpus.jsonl", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                k = abs(id_key(rec["id"]))
                docs.append(Document(id=rec["id"], title=rec.get("title", ""), text=rec["text"], lang=lang,
                                     source=SOURCES[k % 4], date=date(2024, 1, 1) + timedelta(days=k % 40),
                                     author=AUTHORS[k % 3]))
    return docs


def questions() -> list[str]:
    out = []
    for lang in ("fa", "id"):
        with open(SLICE / lang / "queries.dev.tsv", encoding="utf-8") as fh:
            out += [line.rstrip("\n").split("\t", 1)[1] for line in fh if "\t" in line]
    return out


@pytest.fixture(scope="module")
def dask_client():
    with cluster.client(workers=2) as c:
        yield c


@pytest.fixture()
def on_dask(dask_client):
    """on_dask(index_dir, **options) -> an Engine whose shards are searched by the cluster's workers."""
    made = []

    def make(index_dir, **options):
        made.append(Engine(index_dir, scheduler=dask_client.scheduler.address, **options))
        return made[-1]

    yield make
    for engine in made:
        engine.fanout.close()


def with_copies(docs: list[Document]) -> list[Document]:
    """Plus a re-post of every 25th passage under another id (and source), to fold."""
    return docs + [Document(**{**d.__dict__, "id": d.id + "-copy", "source": "Antara", "text": d.text + " (ant)"})
                   for d in docs[::25]]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, dask_client):
    docs = with_copies(slice_documents())
    single = tmp_path_factory.mktemp("one-index")
    assert not Indexer(single).add_documents(docs).errors
    sharded = tmp_path_factory.mktemp("three-shards")
    # Small batches: several commits, hence several segments, per shard.
    report = shard_build.build(sharded, documents=docs, shards_wanted=3, commit_every=60, client=dask_client)
    assert (report.added, report.errors) == (len(docs), [])
    return single, sharded, docs


def test_the_local_cluster_listens_on_loopback_only(dask_client):
    import psutil

    pids = {os.getpid(), *dask_client.run(os.getpid).values()}
    listening = [c.laddr.ip for pid in pids for c in psutil.Process(pid).net_connections("tcp")
                 if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 3 and set(listening) == {"127.0.0.1"}


def test_every_document_is_in_the_shard_its_id_hashes_to(pair):
    _single, sharded, docs = pair
    assert shards.shard_count(sharded) == 3
    engine = Engine(sharded)
    info = engine.stats()
    assert info["documents"] == len(docs) == 510 + 21
    assert [s["documents"] for s in info["shard_list"]] == [
        sum(shards.shard_of(d.id, 3) == i for d in docs) for i in range(3)]
    authors = {}
    for i, d in enumerate(shards.shard_dirs(sharded)):
        with Engine(d).searchers.searcher() as s:
            stored = list(s.all_stored_fields())
        ids = {f["id"] for f in stored}
        assert ids and all(shards.shard_of(x, 3) == i for x in ids)
        authors.update((f["id"], f.get("author")) for f in stored)
    assert authors == {d.id: d.author for d in docs}  # through the spool and the shards' Indexer


def _requests():
    qs = questions()
    assert len(qs) == 100
    syntax = ["بسکتبال AND توپ", '"توپ فوتبال"', "bulu tangkis NOT piala", "pelati*", "title:indonesia",
              "تهران OR ایران", "presiden*"]
    for q in qs + syntax:
        yield SearchRequest(q=q, per_page=100, snippets=False, collapse=False, mode="lexical")
    for q in qs[::10]:
        yield SearchRequest(q=q, per_page=10, page=2, collapse=False, mode="lexical")
        yield SearchRequest(q=q, per_page=20, sort="newest", collapse=False, mode="lexical")
        yield SearchRequest(q=q, per_page=20, source="Tempo", date_from=date(2024, 1, 10), mode="lexical")
        yield SearchRequest(q=q, per_page=20, lang="id", collapse=True, mode="lexical")
    for q in qs[::3]:  # folding: the copies sit in other shards than their originals, mostly
        yield SearchRequest(q=q, per_page=30, collapse=True, mode="lexical")


def _same(one, other) -> int:
    """Assert two results are one ranking; returns how many hits were compared."""
    assert [h.id for h in other.hits] == [h.id for h in one.hits], one.query
    for a, b in zip(one.hits, other.hits):
        assert abs(a.score - b.score) <= 1e-9, (one.query, a.id, a.score, b.score)
        assert (a.snippet, a.author, a.similar_count, a.similar) == (b.snippet, b.author, b.similar_count, b.similar)
    assert (other.total, other.total_collapsed, other.facets) == (one.total, one.total_collapsed, one.facets)
    assert (other.suggestion, other.respelled) == (one.suggestion, one.respelled)
    # The same names are searched; how one is shown is the spelling of the first document
    # found with it (search/xscript.py), which depends on where documents sit.
    assert {w: len(f) for w, f in other.also_searched.items()} == {w: len(f) for w, f in one.also_searched.items()}
    return len(one.hits)


def test_sharded_search_ranks_exactly_as_one_index(pair, on_dask):
    single, sharded, _docs = pair
    one, local = Engine(single, time_limit=60.0), Engine(sharded, time_limit=60.0)
    remote = on_dask(sharded, time_limit=60.0)
    compared = 0
    folds = 0
    for req in _requests():
        expected = one.search(req, exact_scores=True)
        folds += sum(h.similar_count for h in expected.hits)
        for engine in (local, remote):
            got = engine.search(req, exact_scores=True)
            assert got.shards_failed == []
            compared += _same(expected, got)
    assert compared > 10_000  # most of the 107 rankings hold 100 hits
    assert folds > 0  # copies were folded into their originals, across shards too
    assert sum(shards.shard_of(d.id, 3) != shards.shard_of(d.id + "-copy", 3) for d in _docs[:510:25]) > 10


def test_misspelling_and_partial_words_take_the_same_paths(pair, on_dask):
    single, sharded, _docs = pair
    one, remote = Engine(single, time_limit=60.0), on_dask(sharded, time_limit=60.0)
    for q in ("bulutangkis pelatihh", "بسکتبالل", "Indonesiaa presidn"):
        req = SearchRequest(q=q, per_page=50, mode="lexical")
        _same(one.search(req, exact_scores=True), remote.search(req, exact_scores=True))
    assert one.search(SearchRequest(q="bulu tangkis", mode="lexical")).to_dict().get("partial") is None


def test_a_shard_made_unavailable_gives_a_partial_answer(pair, tmp_path, on_dask, make_app):
    _single, sharded, docs = pair
    copy = tmp_path / "copy"
    shutil.copytree(sharded, copy)
    whole = Engine(copy).search(SearchRequest(q="bulu tangkis", mode="lexical")).total
    (copy / "shard-001").rename(tmp_path / "away")
    for engine in (Engine(copy), on_dask(copy)):
        got = engine.search(SearchRequest(q="bulu tangkis", mode="lexical"))
        body = got.to_dict()
        assert (body["partial"], body["shards_failed"]) == (True, [1])
        assert 0 < got.total < whole
    client = make_app(copy).test_client()
    r = client.get("/search", query_string={"q": "bulu tangkis"})
    assert r.status_code == 200 and r.json["partial"] is True and r.json["shards_failed"] == [1]
    health = client.get("/health").json
    assert [s["ok"] for s in health["shards"]] == [True, False, True]
    assert health["documents"] == sum(shards.shard_of(d.id, 3) != 1 for d in docs)
    # Back in place: the next searches see it again, without a restart.
    (tmp_path / "away").rename(copy / "shard-001")
    time.sleep(REFRESH_EVERY * 1.5)  # a searcher checks for a newer index this often
    r = client.get("/search", query_string={"q": "bulu tangkis"})
    assert (r.json["partial"], r.json["total"]) == (False, whole)


def test_a_shard_past_the_time_budget_is_named_not_an_error(pair, on_dask):
    _single, sharded, _docs = pair
    got = on_dask(sharded, time_limit=0.0).search(SearchRequest(q="bulu tangkis", mode="lexical"))
    assert got.shards_failed == [0, 1, 2] and got.total == 0


def test_incremental_runs_touch_only_changed_shards(pair, tmp_path, dask_client):
    _single, sharded, docs = pair
    copy = tmp_path / "copy"
    shutil.copytree(sharded, copy)
    before = {i: shards.shard_dir(copy, i).joinpath("stats.json").read_text() for i in range(3)}
    changed = next(d for d in docs if shards.shard_of(d.id, 3) == 2)
    edited = Document(**{**changed.__dict__, "text": changed.text + " Sabtu lalu."})
    # Through --scheduler's path: a client of its own to the running cluster.
    report = shard_build.build(copy, documents=[*docs, edited], scheduler=dask_client.scheduler.address)
    assert (report.added, report.updated, report.unchanged) == (0, 1, len(docs))
    after = {i: shards.shard_dir(copy, i).joinpath("stats.json").read_text() for i in range(3)}
    assert after[0] == before[0] and after[1] == before[1] and after[2] != before[2]
    assert Engine(copy).document(changed.id).text.endswith("Sabtu lalu.")
    with pytest.raises(BadRequest):  # N is fixed at creation
        shard_build.build(copy, documents=docs[:1], shards_wanted=4, client=dask_client)


def test_a_worker_killed_mid_build_then_a_rerun_completes_the_index(tmp_path):
    docs = slice_documents()[::2]
    target = tmp_path / "index"
    outcome: dict = {}
    with cluster.client(workers=2) as c:
        pids = c.run(os.getpid)
        victim = pids[sorted(pids)[0]]

        def first_run():
            try:
                outcome["report"] = shard_build.build(target, documents=docs, shards_wanted=2, commit_every=20,
                                                      client=c)
            except LintasError as e:  # Dask gave up on a batch: the re-run below completes it
                outcome["error"] = e

        run = threading.Thread(target=first_run)
        run.start()
        stats = [target / f"shard-{i:03d}" / "stats.json" for i in range(2)]
        waited = time.monotonic() + 120
        while not any(p.exists() for p in stats):  # a first batch is committed: mid-build
            assert time.monotonic() < waited and run.is_alive()
            time.sleep(0.01)
        os.kill(victim, signal.SIGKILL)
        run.join(timeout=300)
        assert not run.is_alive()
        committed = sum(json.loads(p.read_text())["documents"] for p in stats if p.exists())
        assert 0 < committed <= len(docs)
        report = shard_build.build(target, documents=docs, client=c)
    assert report.errors == [] and report.unchanged + report.added + report.updated == len(docs)
    assert report.unchanged >= committed - 20 * 2  # at most the batch in flight per shard was lost
    engine = Engine(target)
    assert engine.count() == len(docs)
    assert all(engine.document(d.id).text == d.text for d in docs[::17])
    assert engine.search(SearchRequest(q="bulu tangkis", mode="lexical")).total > 0


def test_the_cli_builds_lists_searches_and_deletes_in_shards(tmp_path):
    from click.testing import CliRunner

    from search.cli import cli

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    target = str(tmp_path / "index")
    run = CliRunner().invoke
    built = run(cli, ["index", str(seeds), "--index", target, "--shards", "2", "--workers", "1"])
    assert built.exit_code == 0 and "5 added" in built.output, built.output
    stats = run(cli, ["stats", "--index", target, "--json"])
    info = json.loads(stats.output)
    assert info["shards"] == 2 and info["documents"] == 5
    assert sum(s["documents"] for s in info["shard_list"]) == 5
    found = json.loads(run(cli, ["search", "hubungan", "--index", target, "--json"]).output)
    assert found["total"] == 3 and found["partial"] is False
    doc = found["results"][0]["id"]
    gone = run(cli, ["delete", doc, "nope", "--index", target])
    assert "1 deleted, 1 not found" in gone.output
    again = json.loads(run(cli, ["search", "hubungan", "--index", target, "--json"]).output)
    assert again["total"] == 2 and doc not in [r["id"] for r in again["results"]]
    for argv, message in ((["--shards", "3"], "has 2 shards"),
                          (["--scheduler", "nowhere"], "not a scheduler address")):
        refused = run(cli, ["index", str(seeds), "--index", target, *argv])
        assert refused.exit_code != 0 and message in refused.output and "Traceback" not in refused.output
    rebuilt = run(cli, ["index", str(seeds), "--index", target, "--rebuild", "--shards", "3", "--workers", "1"])
    assert rebuilt.exit_code == 0 and "5 added" in rebuilt.output, rebuilt.output
    assert json.loads(run(cli, ["stats", "--index", target, "--json"]).output)["shards"] == 3


def test_hybrid_and_semantic_search_over_shards_rank_as_one_index(tmp_path, dask_client, on_dask):
    from search import embed_pass

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    single, sharded = tmp_path / "one", tmp_path / "shards"
    Indexer(single).index_paths([seeds])
    shard_build.build(sharded, [seeds], shards_wanted=2, client=dask_client)
    for d in (single, sharded):
        embed_pass.enable(d)
        assert embed_pass.run(d, procs=1).embedded == 5
    one, local, remote = Engine(single, time_limit=30.0), Engine(sharded, time_limit=30.0), on_dask(sharded)
    for q, mode in (("hubungan Iran dan Azerbaijan", "hybrid"), ("ایران", "semantic"), ("relations", "hybrid")):
        req = SearchRequest(q=q, mode=mode)
        expected = one.search(req, exact_scores=True)
        assert expected.mode == mode and expected.hits
        for engine in (local, remote):
            _same(expected, engine.search(req, exact_scores=True))


def test_a_rebuild_is_atomic_killed_or_finished(tmp_path, dask_client):
    docs = slice_documents()
    old, new = docs[:90], docs[300:360]
    target = tmp_path / "index"
    shard_build.build(target, documents=old, shards_wanted=2, client=dask_client)
    engine = Engine(target)
    before = engine.search(SearchRequest(q="bulu tangkis", mode="lexical")).total
    assert engine.count() == len(old)

    def failing():
        yield from new[:40]
        raise KeyboardInterrupt  # the run stopped mid-way, batches of 10 already committed

    with pytest.raises(KeyboardInterrupt):
        shard_build.build(target, documents=failing(), rebuild=True, shards_wanted=3, commit_every=10,
                          client=dask_client)
    assert any(d.name.startswith("shards-") for d in target.iterdir())  # what the killed rebuild wrote
    time.sleep(REFRESH_EVERY * 2)
    for reader in (engine, Engine(target)):  # open before it, and opened after it
        assert reader.count() == len(old) and reader.shard_health()["shards"] == 2
        assert reader.search(SearchRequest(q="bulu tangkis", mode="lexical")).total == before
    report = shard_build.build(target, documents=new, rebuild=True, shards_wanted=3, client=dask_client)
    assert report.added == len(new)
    time.sleep(REFRESH_EVERY * 2)
    # The server's engine follows the rebuild: the new shards, no partial answer.
    assert engine.count() == len(new) and engine.shard_health()["shards"] == 3
    got = engine.search(SearchRequest(q=new[0].title or new[0].text.split()[0], mode="lexical"))
    assert got.total > 0 and not got.shards_failed
    assert engine.document(new[0].id).text == new[0].text
    with pytest.raises(DocumentNotFound):
        engine.document(old[0].id)
    left = sorted(d.name for d in target.iterdir() if d.is_dir() and d.name.startswith("shard"))
    assert len(left) == 1 and left[0].startswith("shards-")  # the old shards and the killed rebuild's: gone


def test_a_script_without_a_main_guard_is_told_what_to_fix(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "no_guard.py"
    script.write_text("from search import cluster\nwith cluster.client(workers=1) as c:\n    print('up')\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode != 0 and "up" not in proc.stdout
    assert "ClusterUnavailable" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr


def test_snippets_of_a_sharded_index_whose_other_shards_are_empty(tmp_path, dask_client, on_dask):
    # One document: one shard holds one segment, the other nothing, and the index's
    # reader is a MultiReader over that single segment.
    doc = Document(id="only", title="Banjir Jakarta", text="Banjir besar melanda Jakarta pada hari Senin.", lang="id")
    shard_build.build(tmp_path / "index", documents=[doc], shards_wanted=2, client=dask_client)
    for engine in (Engine(tmp_path / "index"), on_dask(tmp_path / "index")):
        found = engine.search(SearchRequest(q="banjir", snippets=True, mode="lexical"))
        assert [h.id for h in found.hits] == ["only"]
        assert "<mark>Banjir</mark> besar" in found.hits[0].snippet
