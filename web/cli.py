"""The `lintas` console script: search/cli.py's commands and `serve`, in one collection.

`serve` lives here and not in search/cli.py because it needs web/, which sits
above search/: the two groups stay apart and `lintas` is their
click.CommandCollection, so every import arrow points down.
"""

from __future__ import annotations

import os

import click

from search.cli import CONTEXT, index_option
from search.cli import cli as search_cli
from search.keys import KeyStore
from search.keys_cli import keys

from . import server


@click.group()
def web_cli() -> None:
    """The web server."""


@web_cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 exposes Lintas to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port; 0 picks a free one.")
@index_option
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help=f"Processes answering requests [default: CPU cores, at most {server.MAX_DEFAULT_WORKERS}]. "
                   "1 is a single waitress process; more run under gunicorn (POSIX only).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Threads answering requests, per worker process.")
@click.option("--require-key", is_flag=True,
              help="Searching needs an API key too (search or admin role); writes always need an admin key.")
@click.option("--max-body-mb", default=8, show_default=True, type=click.IntRange(1, 1024),
              help="Largest POST /documents body, in MiB; a bigger one is refused (413).")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Compute, in a low-priority background process, the vectors of documents "
                   "indexed without them (when the index has vectors on at start).")
@click.option("--refresh-interval", default=None, metavar="SECONDS",
              type=click.FloatRange(0.05, 60.0),  # search/writer.py's COMMIT_BUDGET_MIN/MAX (not imported: heavy)
              help="How long a posted document may wait to become searchable: the writer commits "
                   "about this often, so a longer interval makes each commit cheaper per document and "
                   "leaves more of the CPU to searches under a write stream [default: 1.0, or "
                   "LINTAS_REFRESH_INTERVAL].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="A sharded index: match and score its shards on the workers of this Dask cluster "
                   "[default: every shard in this process].")
def serve(host: str, port: int, index_dir: str, workers: int | None, threads: int, require_key: bool,
          max_body_mb: int, embed: bool, refresh_interval: float | None, scheduler: str | None) -> None:
    """Serve the search page, the JSON API and the write API with waitress (one worker)
    or gunicorn.

    Writes (POST/DELETE /documents, with an admin key from `lintas keys create`)
    are queued durably and indexed by one background writer; `lintas index` run
    meanwhile sends its documents through the same queue.
    """
    if refresh_interval is not None:  # the writer process, and a worker that takes over, read it
        os.environ["LINTAS_REFRESH_INTERVAL"] = repr(refresh_interval)
    config = {"INDEX_DIR": index_dir, "REQUIRE_KEY": require_key, "MAX_WRITE_BYTES": max_body_mb << 20,
              "SCHEDULER": scheduler}
    if scheduler:
        from search.cluster import check_address
        from search.errors import LintasError

        try:
            check_address(scheduler)
        except LintasError as e:
            raise click.BadParameter(str(e), param_hint="--scheduler") from None
    if require_key and not KeyStore(index_dir).any():
        click.echo(f"--require-key: {index_dir} has no keys yet, so every search is refused until "
                   "`lintas keys create --role search` makes one.", err=True)
    master_pid = os.getpid()
    stops = []
    if _has_vectors(index_dir):  # else neither is needed, and this process never loads numpy
        from search import dense_service, embed_pass

        background = embed_pass.start_background(index_dir) if embed else None
        # The model and the vectors, once for all workers (they find it through the environment);
        # one worker holds them itself.
        dense = dense_service.start(index_dir) if (workers or server.default_workers()) > 1 else None
        stops = [lambda: dense_service.stop(dense), lambda: embed_pass.stop_background(background)]
    try:
        server.serve(host, port, config, workers, threads)
    finally:
        if os.getpid() == master_pid:  # not in a gunicorn worker leaving
            for stop in stops:
                stop()


def _has_vectors(index_dir: str) -> bool:
    from search.vector_manifest import read_manifest

    try:
        return read_manifest(index_dir) is not None
    except ValueError:  # unreadable: the workers report it; nothing to start for it here
        return False


web_cli.add_command(keys)


cli = click.CommandCollection(
    sources=[search_cli, web_cli], help=search_cli.help, context_settings=CONTEXT)


def main() -> None:
    cli(prog_name="lintas")
