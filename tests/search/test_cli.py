"""The `lintas` command, run as a user runs it (a real subprocess for the must-show
checks; click's runner for the rest)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli

ROOT = Path(__file__).resolve().parents[2]
LINTAS = Path(sys.executable).with_name("lintas")


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    """`lintas index` run from the repository root with no PATH: seeds/ by default."""
    index_dir = tmp_path_factory.mktemp("cli-index")
    out = subprocess.run([str(LINTAS), "index", "--index", str(index_dir)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "5 added" in out.stdout
    return index_dir


def lintas(*args, index=None):
    env = {**os.environ, "LINTAS_INDEX": str(index)} if index else None
    return subprocess.run([str(LINTAS), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("query, first", [
    ("Patrushev Bishkek", "002_2e6686a3ccd039ae"),
    ("Lavrov", "004_0b9ad2877bc8c180"),
    ("روابط ایران و آذربایجان", "003_b8878e3335182e53"),
    ("1401", "003_b8878e3335182e53"),
])
def test_search_json_first_result(cli_index, query, first):
    out = lintas("search", query, "--json", index=cli_index)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["ok"] is True
    assert payload["results"][0]["id"] == first


def test_search_text_output_and_no_result(cli_index):
    out = lintas("search", "berhubungan", index=cli_index)
    assert out.returncode == 0 and "hubungan" in out.stdout.lower()
    out = lintas("search", "Netanyahu", "--json", index=cli_index)
    assert json.loads(out.stdout)["total"] == 0


def test_reindex_unchanged_does_nothing(cli_index):
    out = lintas("index", "seeds", "--index", str(cli_index))
    assert out.returncode == 0 and "0 added, 0 updated, 5 unchanged" in out.stdout


def test_stats(cli_index):
    out = lintas("stats", "--json", index=cli_index)
    assert json.loads(out.stdout)["by_lang"] == {"fa": 1, "id": 4}


@pytest.mark.parametrize("args, message", [
    (["search", ""], "the query is empty"),
    (["search", "x", "--per-page", "0"], "per-page"),
    (["search", "x", "--from", "yesterday"], "not a date"),
    (["search", "x", "--lang", "xx"], "xx"),
])
def test_bad_input_is_one_clear_line(cli_index, args, message):
    result = CliRunner().invoke(cli, [*args, "--index", str(cli_index)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_index_is_a_clear_error(tmp_path):
    out = lintas("search", "x", "--index", str(tmp_path / "none"))
    assert out.returncode == 1
    assert "no Lintas index" in out.stderr and "Traceback" not in out.stderr


def test_partial_input_exit_code(tmp_path):
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"id": "a", "text": "satu"}\nnot json\n{"id": "b", "text": "dua"}\n')
    result = CliRunner().invoke(cli, ["index", str(bad), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    assert "in.jsonl:2" in result.output and "2 added" in result.output


@pytest.mark.parametrize("command", [[], ["index"], ["search"], ["stats"]])
def test_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_index_help_states_the_indexers_commit_default():
    from search.indexer import COMMIT_EVERY

    out = CliRunner().invoke(cli, ["index", "--help"])
    assert out.exit_code == 0
    assert f"Default: {COMMIT_EVERY:,}." in " ".join(out.output.split())


def test_index_with_vectors_then_search_across_languages(tmp_path):
    """The issue's must-show: `lintas index --vectors`, then the Indonesian question lists 003."""
    index_dir = tmp_path / "vec"
    out = lintas("index", "--vectors", "--index", str(index_dir))
    assert out.returncode == 0, out.stderr
    assert "5 of 5 missing vectors computed" in out.stdout
    stats = lintas("stats", "--index", str(index_dir))
    assert "vectors:    on, 5 documents (0 still to embed)" in stats.stdout
    out = lintas("search", "hubungan Iran dan Azerbaijan", "--json", index=index_dir)
    payload = json.loads(out.stdout)
    assert payload["mode"] == "hybrid"
    assert "003_b8878e3335182e53" in [r["id"] for r in payload["results"][:4]]
    # Words as typed (the cross-script names would find 003 too: tests/search/test_xscript.py).
    out = lintas("search", "hubungan Iran dan Azerbaijan", "--mode", "lexical", "--no-xscript", "--json",
                 index=index_dir)
    assert "003_b8878e3335182e53" not in [r["id"] for r in json.loads(out.stdout)["results"]]
