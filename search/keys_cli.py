"""`lintas keys create|list|revoke`: the API keys of one index directory (search/keys.py)."""

from __future__ import annotations

import time

import click

from .cli import fail, index_option
from .errors import LintasError
from .keys import ROLES, KeyStore


@click.group()
def keys() -> None:
    """API keys for the HTTP API: admin keys write (POST/DELETE /documents),
    search keys search (needed only under `lintas serve --require-key`).

    Keys are stored hashed in keys.sqlite3 in the index directory; a key is shown
    once, when it is created. Clients send `Authorization: Bearer <key>`.
    """


@keys.command()
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin: write and search; search: search only.")
@click.option("--name", default="", help="A label to tell keys apart in `lintas keys list`.")
@index_option
def create(role: str, name: str, index_dir: str) -> None:
    """Create a key and print it (the only time it is shown)."""
    info, key = KeyStore(index_dir).create(role, name)
    click.echo(key)
    click.echo(f"created {role} key {info.id}{f' ({name})' if name else ''}: store it now, "
               "it cannot be shown again", err=True)


@keys.command("list")
@index_option
def list_keys(index_dir: str) -> None:
    """Keys by id, role, name, creation and revocation time (never the keys)."""
    rows = KeyStore(index_dir).list()
    if not rows:
        click.echo("no keys: create one with `lintas keys create --role admin`")
        return
    for k in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(k.created))
        state = "revoked " + time.strftime("%Y-%m-%d %H:%M", time.gmtime(k.revoked)) if k.revoked else "active"
        click.echo(f"{k.id}  {k.role:<6}  {when} UTC  {state}  {k.name}")


@keys.command()
@click.argument("key_id")
@index_option
def revoke(key_id: str, index_dir: str) -> None:
    """Revoke a key by its id (from `lintas keys list`); it stops working at once."""
    try:
        info = KeyStore(index_dir).revoke(key_id)
    except LintasError as err:
        fail(err)
    click.echo(f"revoked {info.role} key {info.id}")
