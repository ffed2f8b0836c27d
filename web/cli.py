"""The `lintas` console script: search/cli.py's commands plus `serve`.

`serve` lives here and not in search/cli.py because it needs web/, which sits
above search/; adding it to search's click group from this side keeps every
import arrow pointing down.
"""

from __future__ import annotations

import threading

import click
from waitress import create_server

from search.cli import cli, index_option
from search.errors import IndexNotFound

from . import create_app, engine_for


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 exposes Lintas to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port; 0 picks a free one.")
@index_option
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads answering requests.")
def serve(host: str, port: int, index_dir: str, threads: int) -> None:
    """Serve the search page and JSON API with waitress."""
    app = create_app({"INDEX_DIR": index_dir})
    try:
        engine = engine_for(app)
        what = f"{engine.count()} documents"
        # The Persian lexicon loads in the background so the first query does not wait.
        threading.Thread(target=engine.warm_up, name="lintas-warm-up", daemon=True).start()
    except IndexNotFound:
        # Start anyway: /health reports 503 until an index is built, then it is picked up.
        what = "no documents yet"
        click.echo(
            f"No index in {index_dir} yet: build one with `lintas index --index {index_dir} PATH...`; "
            "until then /health answers 503.",
            err=True,
        )
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="lintas")
    except OSError as e:  # port taken, address not on this machine, no permission
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}; try another --port or --host")
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(
        f"Lintas serving {what} from {index_dir} at "
        f"http://{shown_host}:{_bound_port(server)}/ (Ctrl+C to stop)"
    )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Lintas stopped.")
    finally:
        server.close()


def _bound_port(server) -> int:
    # A host name that resolves to several addresses gets a multi-socket server,
    # which has a list of (host, port) instead of one effective_port.
    if hasattr(server, "effective_port"):
        return server.effective_port
    return server.effective_listen[0][1]


def main() -> None:
    cli(prog_name="lintas")
