"""The README and `--help` match the code: every command is documented and answers --help,
and every option the README shows for a command is one the command has."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from web.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = cli.list_commands(click.Context(cli))


def usage_lines(name: str) -> list[str]:
    """The README's `lintas NAME ...` lines in its 'Using it' block."""
    return [line.strip() for line in README.splitlines() if re.match(rf"\s+lintas {name}\b", line)]


def test_the_collection_holds_every_command():
    assert COMMANDS == ["delete", "index", "keys", "search", "serve", "stats"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name):
    assert usage_lines(name), f"README.md has no `lintas {name} ...` line under 'Using it'"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_answers_help(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert re.match(rf"Usage: \S+ {name} ", result.output), result.output
    command = cli.get_command(click.Context(cli), name)
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in result.output, f"{name} --help does not show {opt}"
    for sub in getattr(command, "commands", {}):  # `lintas keys create|list|revoke`
        result = CliRunner().invoke(cli, [name, sub, "--help"])
        assert result.exit_code == 0 and re.match(rf"Usage: \S+ {name} {sub} ", result.output), result.output


def _params(command: click.Command) -> list[click.Parameter]:
    """A command's parameters; a group's (`lintas keys`) are its subcommands'."""
    if isinstance(command, click.Group):
        return [p for sub in command.commands.values() for p in _params(sub)]
    return command.params


@pytest.mark.parametrize("name", COMMANDS)
def test_the_readmes_options_exist(name):
    command = cli.get_command(click.Context(cli), name)
    known = {opt for param in _params(command) for opt in (*param.opts, *param.secondary_opts)}
    for line in usage_lines(name):
        shown = set(re.findall(r"--[a-z][a-z-]*", line.split("#")[0]))
        assert shown <= known, f"README shows {sorted(shown - known)} for lintas {name}, which it lacks"


def test_top_level_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^  {name}\s", result.output, re.M), name
