"""Files arrive truncated, mis-encoded, binary, empty or huge: each bad one (or bad
line) is reported with its path and line and skipped, the rest is indexed, and
`lintas index` exits 2 ("partial")."""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest

from rb_helpers import doc_token, lintas
from search.engine import Engine
from search.request import SearchRequest


def _good(i: int) -> str:
    return json.dumps({"id": f"good{i}", "title": f"Baik {doc_token(i)}",
                       "text": f"Dokumen baik {doc_token(i)} tentang hubungan dagang.", "lang": "id"})


@pytest.fixture()
def corpus(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.txt").write_text("Judul baik\n\nIsi dokumen teks yang baik tentang pendidikan.\n")
    (d / "bad_utf8.txt").write_bytes("Judul\n\nIsi ".encode() + b"\xff\xfe caf\xe9 \n")
    (d / "latin1.txt").write_bytes("Café crème\n\nTexte en Latin-1: été.\n".encode("latin-1"))
    (d / "binary.txt").write_bytes(os.urandom(2048) + b"\x00" + os.urandom(100))
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_text("\n \n\t\n")
    (d / "markup.txt").write_text("<h1>Judul <b>tebal</b></h1>\n<p>Isi <script>alert(1)</script> berita.</p>\n")
    lines = [
        _good(0),
        '{"id": "broken", "text": "no closing brace"',  # line 2: broken JSON
        _good(1),
        '{"id": "badbytes", "text": "' + "x" + '"}',  # placeholder, replaced below with bad UTF-8
        "[1, 2, 3]",  # line 5: not an object
        '{"id": "notext"}',  # line 6
        '{"id": 3.5, "text": "float id"}',  # line 7
        "[" * 100_000,  # line 8: nested too deep for json
        _good(2),
        '{"id": "truncated", "title": "Terpotong", "text": "teks yang terpo',  # line 10: truncated file
    ]
    raw = "\n".join(lines).encode()
    raw = raw.replace(b'"id": "badbytes", "text": "x"', b'"id": "badbytes", "text": "\xc3\x28"')
    (d / "mixed.jsonl").write_bytes(raw)
    with gzip.open(d / "cut.jsonl.gz", "wb") as f:
        f.write((_good(3) + "\n" + _good(4) + "\n").encode())
    data = (d / "cut.jsonl.gz").read_bytes()
    (d / "cut.jsonl.gz").write_bytes(data[: len(data) - 12])  # truncated gzip: CRC and size gone
    (d / "binary.jsonl").write_bytes(os.urandom(4096))
    (d / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + _good(5).encode() + b"\n")
    (d / "crlf.jsonl").write_bytes((_good(6) + "\r\n" + _good(7) + "\r\n").encode())
    return d


def test_bad_files_are_reported_and_skipped(corpus, tmp_path):
    index = tmp_path / "ix"
    proc = lintas("index", str(corpus), "--index", str(index), "--commit-every", "3")
    assert proc.returncode == 2, proc.stderr
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("skipped: ")]
    where = "\n".join(skipped)

    def reported(path_suffix: str, line: int | None = None) -> bool:
        target = f"{corpus / path_suffix}" + (f":{line}:" if line else ":")
        return any(s[len("skipped: "):].startswith(target) for s in skipped)

    assert reported("bad_utf8.txt"), where
    assert reported("latin1.txt"), where
    assert reported("binary.txt"), where
    assert reported("empty.txt") and reported("blank.txt"), where
    for line in (2, 4, 5, 6, 7, 8, 10):
        assert reported("mixed.jsonl", line), (line, where)
    assert reported("cut.jsonl.gz"), where
    assert reported("binary.jsonl", 1), where
    assert "not valid UTF-8" in where and "bad JSON" in where and "binary" in where

    engine = Engine(index)
    ids = {f"good{i}" for i in (0, 1, 2, 5, 6, 7)} | {"ok", "markup"}
    for doc_id in ids:
        assert engine.document(doc_id).id == doc_id
    assert engine.search(SearchRequest(q=doc_token(2))).hits[0].id == "good2"
    # Markup in a text file is kept as text; the snippet escapes it.
    hit = engine.search(SearchRequest(q="berita script")).hits[0]
    assert hit.id == "markup" and "&lt;p&gt;" in hit.snippet
    assert "<" not in hit.snippet.replace("<mark>", "").replace("</mark>", "")

    # What the truncated gzip held before the cut may or may not be readable; nothing more.
    assert engine.count() in (len(ids), len(ids) + 1, len(ids) + 2)

    # Running again over the same input: the same errors, nothing new indexed, still exit 2.
    again = lintas("index", str(corpus), "--index", str(index))
    assert again.returncode == 2 and "0 added" in again.stdout


def test_a_single_bad_path_and_unsupported_type(tmp_path):
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 binary")
    good = tmp_path / "g.jsonl"
    good.write_text(_good(0) + "\n")
    proc = lintas("index", str(tmp_path / "x.pdf"), str(tmp_path / "missing.txt"), str(good),
                  "--index", str(tmp_path / "ix"))
    assert proc.returncode == 2
    assert f"{tmp_path / 'x.pdf'}: unsupported file type" in proc.stderr
    assert f"{tmp_path / 'missing.txt'}: no such file" in proc.stderr
    assert Engine(tmp_path / "ix").count() == 1


@pytest.mark.slow
def test_fifty_megabytes(tmp_path):
    """50 MB in one .jsonl: the document lines are few and small, the rest of the bytes are
    one 50 MB line of binary garbage and one 10 MB JSON string. The loader reads line by line,
    so each is one error (with its line number); the good lines around them are indexed.
    Indexing 50 MB of real text would take minutes on two cores: the size is the hazard here,
    not the number of documents."""
    big = tmp_path / "big.jsonl"
    rng_bytes = os.urandom(1 << 20)
    with open(big, "wb") as f:
        f.write((_good(0) + "\n").encode())
        for _ in range(40):  # line 2: 40 MB of binary with no newline
            f.write(rng_bytes.replace(b"\n", b" "))
        f.write(b"\n")
        f.write((_good(1) + "\n").encode())  # line 3
        # line 4: a 10 MB text with a lone invalid byte near its end
        f.write(b'{"id": "huge", "text": "' + b"kata " * (2 << 20) + b'\xff"}\n')
        f.write((_good(2) + "\n").encode())  # line 5
    assert big.stat().st_size >= 50 * 10**6
    started = time.monotonic()
    proc = lintas("index", str(big), "--index", str(tmp_path / "ix"), timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"{big}:2: " in proc.stderr and f"{big}:4: not valid UTF-8" in proc.stderr, proc.stderr[-2000:]
    assert "3 added" in proc.stdout
    assert Engine(tmp_path / "ix").count() == 3
    assert elapsed < 60, f"{elapsed:.0f}s"
