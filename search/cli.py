"""`lintas index`, `delete`, `search`, `stats`: each parses its arguments, makes one
library call, and turns a LintasError into one line on stderr and exit code 1.

`lintas serve` lives in web/cli.py, whose click.CommandCollection joins it to this
group: the console script points there, so no import runs from search/ up to web/.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from analyzers import LANGS

from .errors import LintasError
from .request import MAX_PER_PAGE, MODES, SORTS, SearchRequest

DEFAULT_SEEDS = Path("seeds")
EXIT_PARTIAL = 2  # some input was skipped; the rest was indexed


def default_index() -> str:
    return os.environ.get("LINTAS_INDEX") or "index"


index_option = click.option(
    "--index", "index_dir", default=default_index, show_default="$LINTAS_INDEX or ./index",
    type=click.Path(file_okay=False), help="Index directory.",
)


def fail(err: LintasError) -> None:
    raise click.ClickException(str(err))


CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT)
def cli() -> None:
    """Lintas: full-text search for Persian and Indonesian news.

    \b
    Quick start:
      lintas index                 # index ./seeds into ./index
      lintas search "hubungan"     # search it
      lintas serve                 # search page and JSON API on 127.0.0.1:8000
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Replace the whole index with PATHS (atomically, at the end).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--commit-every", type=click.IntRange(min=1), default=None,
              envvar="LINTAS_COMMIT_EVERY", help="Commit after this many new or changed documents "
              "(a killed run keeps everything up to its last commit), or sooner when the "
              "writer's 2 GB of postings in memory is nearly full. Default: 20,000. "
              "Env: LINTAS_COMMIT_EVERY.")
@click.option("--vectors", is_flag=True, help="Turn on vectors for hybrid and semantic search "
              "(kept on from then on): after the words are committed, embed each document's title "
              "and lead with the bundled model, on every core.")
@click.option("--defer-vectors", is_flag=True, help="Commit the words and leave the vectors to the "
              "background pass of `lintas serve` (or a later `lintas index`).")
@click.option("--shards", type=click.IntRange(1, 256), default=None,
              help="Create a sharded index of this many shards (fixed from then on); an index that "
                   "has shards is always built in shards, as Dask tasks.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Build the shards on this Dask cluster [default: a local cluster on 127.0.0.1].")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes of the local Dask cluster [default: one per core].")
def index(paths: tuple[Path, ...], index_dir: str, rebuild: bool, progress: bool | None,
          commit_every: int | None, vectors: bool, defer_vectors: bool, shards: int | None,
          scheduler: str | None, workers: int | None) -> None:
    """Index files and directories (default: ./seeds).

    \b
    .txt          one document: file name = id, first non-empty line = title
    .jsonl(.gz)   a line is {"id", "title", "text"} + optional "lang", "date",
                  "source", "url", "author"
    .html .htm    a saved page: main text, title, date, author, site name;
                  id = hash of its canonical URL (else of its path)
    .rss .atom .xml   a feed: each item a document (with its author), id =
                  hash of its link
    .warc(.gz)    a web archive: each HTML response a document

    One article met twice at the same URL is one document. Unchanged documents
    are skipped. Files or lines that cannot be read are reported and skipped;
    the exit code is then 2 ("partial").
    """
    from .indexer import Indexer

    if not paths:
        if not DEFAULT_SEEDS.is_dir():
            raise click.UsageError("no PATH given and no ./seeds directory here")
        paths = (DEFAULT_SEEDS,)
    if progress is None:
        progress = sys.stderr.isatty()
    from . import shards as sharding
    from .documents import iter_documents
    from .writer import send, writing

    if shards is not None or sharding.is_sharded(index_dir):
        report = _index_shards(paths, index_dir, rebuild, progress, commit_every, shards, scheduler, workers)
        _embed(index_dir, vectors, progress, defer_vectors)
        if report.partial:
            sys.exit(EXIT_PARTIAL)
        return
    if scheduler or workers:
        raise click.UsageError("--scheduler and --workers build sharded indexes: add --shards N")
    try:
        with writing(index_dir) as mine:
            if mine:
                options = {} if commit_every is None else {"commit_every": commit_every}
                report = Indexer(index_dir, **options).index_paths(
                    paths, rebuild=rebuild, progress=progress)
            elif rebuild:
                raise click.ClickException(
                    f"another Lintas process (a server, or another `lintas index`) is writing to {index_dir}: "
                    "stop it to rebuild the index, or index without --rebuild (it then indexes the documents)")
            else:
                click.echo(f"another Lintas process (a server, or another `lintas index`) is writing to "
                           f"{index_dir}: sending the documents through its write queue", err=True)
                report = send(index_dir, iter_documents(paths), echo=lambda m: click.echo(m, err=True))
    except LintasError as err:
        fail(err)
    for error in report.errors:
        click.echo(f"skipped: {error}", err=True)
    if mine:
        click.echo(f"{index_dir}: {report.summary()}")
        _embed(index_dir, vectors, progress, defer_vectors)
    else:
        click.echo(f"{index_dir}: {report.added} indexed through the write queue"
                   + (f", {len(report.errors)} skipped with errors" if report.errors else ""))
    if report.partial:
        sys.exit(EXIT_PARTIAL)


def _index_shards(paths, index_dir, rebuild, progress, commit_every, shards, scheduler, workers):
    from .indexer import COMMIT_EVERY
    from .shard_build import build

    try:
        report = build(index_dir, paths, shards_wanted=shards, rebuild=rebuild, scheduler=scheduler,
                       workers=workers, commit_every=commit_every or COMMIT_EVERY, progress=progress)
    except LintasError as err:
        fail(err)
    for error in report.errors:
        click.echo(f"skipped: {error}", err=True)
    click.echo(f"{index_dir}: {report.summary()}")
    return report


def _embed(index_dir: str, turn_on: bool, progress: bool, defer: bool) -> None:
    """The embedding pass after indexing, when the index has vectors on (search/embed_pass.py)."""
    from . import embed_pass

    try:
        if turn_on:
            embed_pass.enable(index_dir)
        if defer:
            return
        report = embed_pass.run(index_dir, progress=progress)
    except LintasError as err:
        fail(err)
    except RuntimeError as err:  # the model cannot load: the words are indexed all the same
        raise click.ClickException(f"{err}; the documents are indexed and searchable by their words") from None
    if report.missing or turn_on:
        click.echo(f"{index_dir}: {report.summary()}")


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@index_option
def delete(ids: tuple[str, ...], index_dir: str) -> None:
    """Delete documents by id (ids not in the index are reported, not an error)."""
    from . import shards
    from .indexer import Indexer
    from .writer import send, writing

    try:
        if shards.is_sharded(index_dir):
            from .shard_build import delete as delete_sharded

            deleted = delete_sharded(index_dir, list(dict.fromkeys(ids)))
            missing = len(set(ids)) - deleted
            click.echo(f"{index_dir}: {deleted} deleted" + (f", {missing} not found" if missing > 0 else ""))
            return
        with writing(index_dir) as mine:
            if not mine:
                click.echo(f"another Lintas process (a server, or another `lintas index`) is writing to "
                           f"{index_dir}: sending the deletions through its write queue", err=True)
                send(index_dir, [], deletes=list(dict.fromkeys(ids)))
                click.echo(f"{index_dir}: {len(set(ids))} deleted through the write queue "
                           "(ids not in the index are ignored)")
                return
            deleted = Indexer(index_dir).delete(list(dict.fromkeys(ids)))
    except LintasError as err:
        fail(err)
    missing = len(set(ids)) - deleted
    click.echo(f"{index_dir}: {deleted} deleted" + (f", {missing} not found" if missing > 0 else ""))


def _parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None


@cli.command()
@click.argument("query")
@index_option
@click.option("--lang", type=click.Choice(LANGS), help="Only documents in this language.")
@click.option("--source", help="Only documents from this source.")
@click.option("--from", "date_from", callback=_parse_date, metavar="YYYY-MM-DD", help="Published on or after.")
@click.option("--to", "date_to", callback=_parse_date, metavar="YYYY-MM-DD", help="Published on or before.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, MAX_PER_PAGE), default=10, show_default=True)
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="hybrid: words and meaning; lexical: words; semantic: meaning. "
                   "[default: hybrid when the index has vectors, else lexical]")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the /search API returns.")
@click.option("--xscript/--no-xscript", default=True, show_default=True,
              help="Also search names in the other script (Tehran <-> تهران).")
def search(query: str, index_dir: str, lang, source, date_from, date_to, sort, page, per_page,
           mode, as_json: bool, xscript: bool) -> None:
    """Search the index. QUERY: words (ranked OR), AND / OR / NOT, "phrases",
    prefix*, title:word, lang:fa|id|en."""
    from .engine import Engine

    try:
        request = SearchRequest(q=query, lang=lang, source=source, date_from=date_from,
                                date_to=date_to, sort=sort, page=page, per_page=per_page, mode=mode,
                                xscript=xscript)
        engine = Engine(index_dir)
        # The query's time budget is for the query, not for loading the Persian
        # lexicon or the model, which a one-off command always pays first.
        engine.warm_up()
        results = engine.search(request)
    except LintasError as err:
        fail(err)
    if as_json:
        click.echo(json.dumps({"ok": True, **results.to_dict()}, ensure_ascii=False, indent=2))
        return
    _print_results(results)


def _print_results(results) -> None:
    import html
    import re

    first = (results.page - 1) * results.per_page + 1
    shown = f"{first}-{first + len(results.hits) - 1} of " if results.hits else ""
    click.echo(f"{shown}{results.total} results ({results.mode}, {results.took_ms:.0f} ms)")
    if results.also_searched:
        added = "; ".join(f"{', '.join(forms)} (for {word})" for word, forms in results.also_searched.items())
        click.echo(f"Also searched: {added}")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    for rank, hit in enumerate(results.hits, first):
        meta = " · ".join(x for x in (hit.lang, hit.date, hit.author and f"by {hit.author}", hit.source) if x)
        click.echo(f"\n{rank}. {click.style(hit.title or hit.id, bold=True)}  [{meta}]")
        click.echo(f"   id: {hit.id}   score: {hit.score:.3f}")
        snippet = re.sub(r"<mark>(.*?)</mark>", lambda m: click.style(m.group(1), fg="yellow", bold=True),
                         hit.snippet)
        click.echo(f"   {html.unescape(snippet)}")


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(index_dir: str, as_json: bool) -> None:
    """Documents per language, index size and segments."""
    from .engine import Engine

    try:
        info = Engine(index_dir).stats()
    except LintasError as err:
        fail(err)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"index:      {info['index']}")
    click.echo(f"documents:  {info['documents']}")
    for lang, n in info["by_lang"].items():
        click.echo(f"  {lang}:       {n}")
    if "shards" in info:
        click.echo(f"shards:     {info['shards']} (fixed when the index was created)")
        for shard in info["shard_list"]:
            state = f"{shard['documents']} documents" if shard["ok"] else f"unavailable: {shard['error']}"
            click.echo(f"  {shard['shard']:>3}:      {state}")
    click.echo(f"segments:   {info['segments']}")
    click.echo(f"size:       {info['size_bytes'] / 1e6:.1f} MB")
    vec = info["vectors"]
    if not vec["enabled"]:
        click.echo("vectors:    off (`lintas index --vectors` turns them on)")
        return
    click.echo(f"vectors:    on, {vec['documents_with_vector']} documents "
               f"({vec['documents_without_vector']} still to embed), {vec['model']}, "
               f"title + lead up to {vec['passage_chars']} characters")
    if vec["unavailable"]:
        click.echo(f"            hybrid search unavailable: {vec['unavailable']}")
