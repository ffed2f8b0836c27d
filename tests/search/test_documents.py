"""Loaders (search/documents.py) and news clean-up (search/cleanup.py, search/datelines.py), on the real seeds and on small files."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.cleanup import clean_text
from search.documents import Document, LoadError, iter_documents

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def load(*paths):
    docs, errors = [], []
    for item in iter_documents(paths):
        (errors if isinstance(item, LoadError) else docs).append(item)
    return docs, errors


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records) -> str:
    """Records as JSONL; a str record is written as the raw line it is."""
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


# ---------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seeds() -> dict[str, Document]:
    docs, errors = load(SEEDS)
    assert errors == []
    return {d.id: d for d in docs}


def test_seeds_load_with_file_name_ids_in_name_order():
    docs, errors = load(SEEDS)
    assert errors == []
    assert [d.id for d in docs] == [
        "000_7ecd846baa03e493",
        "001_7096a94d9b5d90fd",
        "002_2e6686a3ccd039ae",
        "003_b8878e3335182e53",
        "004_0b9ad2877bc8c180",
    ]


@pytest.mark.parametrize(
    "doc_id, title, found_date",
    [
        ("000_7ecd846baa03e493",
         "Pejabat Tinggi Keamanan Iran Peringatkan Rencana Musuh untuk Tidak Mengganggu Hubungan dengan Azerbaijan",
         None),  # "Januari 2023", "Juli 2024" have no day
        ("001_7096a94d9b5d90fd", "Ketika Ilham Aliyev Menekankan Perluasan Hubungan Azerbaijan-Iran",
         None),  # "(14/12)" has no year
        ("002_2e6686a3ccd039ae", "Iran dan Rusia Berunding Tingkatkan Kerja Sama Keamanan",
         date(2024, 2, 16)),  # "Kamis, 16 Februari , 2024": 8th non-blank line of the body
        ("003_b8878e3335182e53", "مناسبات رو به جلو و پیشرفت ایران و جمهوری آذربایجان",
         None),  # leading blank lines skipped; "۲۹ بهمن ماه" has no year, "هفتم بهمن ۱۴۰۱" a word day
        ("004_0b9ad2877bc8c180", "Tehran-Moskow Menekankan Hubungan Bilateral",
         date(2024, 6, 30)),  # "(last modified Sun, 30 Jun 2024 03:25:09 GMT )"
    ],
)
def test_seed_title_and_date(seeds, doc_id, title, found_date):
    assert seeds[doc_id].title == title
    assert seeds[doc_id].date == found_date


@pytest.mark.parametrize("gone", ["Baca juga", "Baca Juga", "Leave a Reply", "Your email address",
                                  "Netanyahu",  # only in a "Baca juga" line of seed 000
                                  "last modified"])
def test_seed_boilerplate_is_gone(seeds, gone):
    assert [d.id for d in seeds.values() if gone in d.text] == []


def test_seed_clean_up_keeps_paragraphs(seeds):
    text = seeds["000_7ecd846baa03e493"].text
    assert text.startswith("mengganggu hubungan iran azerbaijan\n\nTeheran, Purna Warta")
    assert "\n\n\n" not in text  # no hole where a "Baca juga" line was
    assert text.endswith("untuk meredakan ketegangan.")
    assert "Eslami" not in text and "Hubungan Azerbaijan dengan Iran menegang" in text
    assert seeds["001_7096a94d9b5d90fd"].text.count("\n\n") == 0  # single-newline paragraphs stay so


# ---------------------------------------------------------------- clean_text

@pytest.mark.parametrize(
    "text, expected",
    [
        ("A\n\nBaca juga: X\n\nB", "A\n\nB"),
        ("A\nBaca Juga : X\nB", "A\nB"),  # space before the colon
        ("A\nBACA JUGA:X\nB", "A\nB"),  # any case, no space
        ("A\n  Baca juga  :  X  \nB", "A\nB"),  # indented
        ("A\nSimak juga: X\nB", "A\nB"),
        ("A\nبیشتر بخوانید: X\nB", "A\nB"),
        ("A\n\nLeave a Reply\n\nYour email address will not be published. Required fields are marked *",
         "A"),  # seed 000's ending
        ("A\nLeave a ReplyCancel reply\nB", "A\nB"),
        ("A\nRequired fields are marked *Comment *Berita Terkait\nB",
         "A\nBerita Terkait\nB"),  # glued to the next words: those are kept
        ("A\nShare this:\nLike this:\nLike Loading...\nB", "A\nB"),
        ("A\nClick to share on X (Opens in new window)\nB", "A\nB"),
        ("A\n(last modified Sun, 30 Jun 2024 03:25:09 GMT )\nB", "A\nB"),
        # conservative: these merely mention the words
        ("Dia berkata, baca juga: laporan itu.", "Dia berkata, baca juga: laporan itu."),
        ("He said: leave a reply later", "He said: leave a reply later"),
        ("A\nBaca juga laporan kami\nB", "A\nBaca juga laporan kami\nB"),  # no colon: prose
        ("A\n\n\nB\n\n", "A\n\n\nB\n\n"),  # blank runs not next to a drop are left alone
        ("", ""),
    ],
)
def test_clean_text_drops_boilerplate_lines_only(text, expected):
    assert clean_text(text)[0] == expected


@pytest.mark.parametrize(
    "dateline, expected",
    [
        ("(last modified Sun, 30 Jun 2024 03:25:09 GMT )", date(2024, 6, 30)),  # not shifted by zone
        ("Jun 30, 2024 10:25 Asia/Jakarta", date(2024, 6, 30)),
        ("June 3rd, 2024", date(2024, 6, 3)),
        ("Kamis, 16 Februari , 2024", date(2024, 2, 16)),
        ("16 Februari 2024", date(2024, 2, 16)),
        ("Jakarta, 1 Agustus 2023 -", date(2023, 8, 1)),
        ("5 Mei 2024", date(2024, 5, 5)),
        ("7 Des. 2022", date(2022, 12, 7)),
        ("Jumat (16/2/2024)", date(2024, 2, 16)),  # day first
        ("2024-06-30T10:25:00Z", date(2024, 6, 30)),
        ("Published 2024-01-05", date(2024, 1, 5)),
        ("۲۹ بهمن ۱۴۰۲", date(2024, 2, 18)),  # Jalali, Persian digits
        ("يکشنبه ۲۹ بهمن ماه ۱۴۰۲", date(2024, 2, 18)),  # with "ماه", Arabic yeh
        ("1 فروردین 1403", date(2024, 3, 20)),  # Nowruz, ASCII digits
        ("۱۴۰۲/۱۱/۲۹", date(2024, 2, 18)),
        ("30 Jun 2024 and 1 Jul 2024", date(2024, 6, 30)),  # leftmost wins
        # no date
        ("31 Februari 2024", None),  # invalid day
        ("30 Esfand: ۳۰ اسفند ۱۴۰۲", None),  # 1402 is not a leap year
        ("Pada Juli 2024", None),  # no day
        ("(14/12)", None),  # no year
        ("Kode 12 Mar 0001", None),  # out of range
        ("januari2024 jan", None),
        ("", None),
    ],
)
def test_clean_text_finds_dates(dateline, expected):
    assert clean_text(f"{dateline}\n\nIsi berita.")[1] == expected


def test_date_is_looked_for_in_the_dateline_only():
    body = "\n\n".join(["Paragraf."] * 15 + ["Pada 1 Februari 2024, perjanjian ditandatangani."])
    assert clean_text(body)[1] is None
    assert clean_text("Paragraf.\n\n" * 14 + "Pada 1 Februari 2024.")[1] == date(2024, 2, 1)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab :*\n\u200cبا\x0c\u2028"), max_size=60)
       | st.lists(st.sampled_from(["Baca juga: x", "", "teks", "Leave a Reply", "Required fields are marked *x"]))
       .map("\n".join))
def test_clean_text_output_lines_are_input_lines_in_order(text):
    cleaned, _ = clean_text(text)
    remaining = iter(text.split("\n"))
    for line in cleaned.split("\n") if cleaned else []:
        # each kept line is an input line, or the tail of one whose glued boilerplate was peeled off
        assert any(src == line or src.strip().endswith(line) for src in remaining), line


# ---------------------------------------------------------------- .txt files

@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("a.txt", "Judul\nIsi.", ("a", "Judul", "Isi.")),
        ("bom.txt", "\ufeffJudul\n\nIsi.", ("bom", "Judul", "Isi.")),  # BOM not in the title
        ("crlf.txt", "Judul\r\n\r\nSatu.\r\nDua.", ("crlf", "Judul", "Satu.\nDua.")),
        ("blank.txt", "\n \n\n  Judul  \n\nIsi.\n\n", ("blank", "Judul", "Isi.")),
        ("title-only.txt", "Judul\n", ("title-only", "Judul", "")),
        ("UPPER.TXT", "Judul\nIsi.", ("UPPER", "Judul", "Isi.")),
    ],
)
def test_txt_file_loads(tmp_path, name, content, expected):
    docs, errors = load(write(tmp_path / name, content))
    assert errors == []
    assert [(d.id, d.title, d.text) for d in docs] == [expected]


@pytest.mark.parametrize(
    "name, content, line, message",
    [
        ("bad-utf8.txt", b"Judul\nIsi \xff rusak", 2, "not valid UTF-8"),
        ("latin1.txt", "Judul\ncaf\xe9".encode("latin-1"), 2, "not valid UTF-8"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", None, "binary file"),
        ("empty.txt", b"", None, "empty file"),
        ("spaces.txt", b"  \n\n\t\n", None, "empty file"),
        (("x" * 201) + ".txt", b"Judul\nIsi", None, "limit is 200"),
    ],
)
def test_bad_txt_file_is_reported_and_skipped(tmp_path, name, content, line, message):
    write(tmp_path / "good.txt", "Judul\nIsi.")
    docs, errors = load(write(tmp_path / name, content), tmp_path / "good.txt")
    assert [d.id for d in docs] == ["good"]
    [error] = errors
    assert (error.path, error.line) == (str(tmp_path / name), line)
    assert message in error.message


# ---------------------------------------------------------------- .jsonl files

def test_jsonl_loads_all_fields(tmp_path):
    path = write(tmp_path / "a.jsonl", jsonl(
        {"id": "x1", "title": "Judul", "text": "Isi.\n\nBaca juga: lain\n\nLagi.", "lang": "id",
         "date": "2024-06-30", "source": "antara", "url": "https://example.org/x1", "extra": 1},
        {"id": 7, "text": "Teks saja."},  # integer id, optional fields absent
        {"id": "x3", "text": "Teks.", "date": "2024-06-30T23:30:00-05:00"},  # the date as written
        {"id": "x4", "text": "Jakarta, 16 Februari 2024\nIsi.", "lang": None, "source": ""},  # found date
        {"id": "x5", "text": "16 Februari 2024", "date": "2023-01-01"},  # a given date wins
    ))
    docs, errors = load(path)
    assert errors == []
    assert docs[0] == Document("x1", "Judul", "Isi.\n\nLagi.", "id", date(2024, 6, 30), "antara",
                               "https://example.org/x1")
    assert docs[1] == Document("7", "", "Teks saja.")
    assert [d.date for d in docs[2:]] == [date(2024, 6, 30), date(2024, 2, 16), date(2023, 1, 1)]
    assert docs[3].source is None


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "a", "text": "x"', "bad JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('"just a string"', "expected a JSON object, got str"),
        ('{"text": "x"}', "missing 'id'"),
        ('{"id": "", "text": "x"}', "bad 'id': blank"),
        ('{"id": "\\u0000\\u0007", "text": "x"}', "bad 'id': blank"),  # only control characters
        ('{"id": " a ", "text": "x"}', "leading or trailing spaces"),
        ('{"id": true, "text": "x"}', "'id' must be a string or an integer, got bool"),
        ('{"id": 1.5, "text": "x"}', "'id' must be a string or an integer, got float"),
        (json.dumps({"id": "x" * 201, "text": "x"}), "201 characters long; the limit is 200"),
        ('{"id": "a"}', "missing 'text'"),
        ('{"id": "a", "text": "  \\n "}', "'text' is blank"),
        ('{"id": "a", "text": ["x"]}', "'text' must be a string, got list"),
        ('{"id": "a", "text": "x", "title": 3}', "'title' must be a string, got int"),
        ('{"id": "a", "text": "x", "lang": "de"}', "'lang' must be one of fa, id, en"),
        ('{"id": "a", "text": "x", "date": "30/06/2024"}', "'date' is not an ISO date"),
        ('{"id": "a", "text": "x", "date": "2024-02-30"}', "'date' is not an ISO date"),
        ('{"id": "a", "text": "x", "url": {}}', "'url' must be a string, got dict"),
        ('{"id": ' + "9" * 5000 + ', "text": "x"}', "bad JSON"),  # int() digit limit
        ("[" * 100_000 + "]" * 100_000, "bad JSON"),  # recursion limit
    ],
)
def test_bad_jsonl_line_is_reported_with_its_number_and_the_rest_loads(tmp_path, line, message):
    content = jsonl({"id": "first", "text": "ok"}, "", line, {"id": "last", "text": "ok"})
    docs, errors = load(write(tmp_path / "a.jsonl", content))
    assert [d.id for d in docs] == ["first", "last"]  # the blank line 2 is ignored
    [error] = errors
    assert (error.path, error.line) == (str(tmp_path / "a.jsonl"), 3)
    assert message in error.message
    assert str(error).startswith(f"{tmp_path / 'a.jsonl'}:3: ")


def test_jsonl_control_characters_are_stripped_from_ids(tmp_path):
    docs, errors = load(write(tmp_path / "a.jsonl", jsonl({"id": "ab\tc\u0000d\x7f", "text": "x"})))
    assert errors == [] and [d.id for d in docs] == ["abcd"]


def test_jsonl_bad_utf8_line_is_reported_and_bom_accepted(tmp_path):
    raw = b'\xef\xbb\xbf{"id": "a", "text": "x"}\n{"id": "b", "text": "\xff"}\n{"id": "c", "text": "y"}\n'
    docs, errors = load(write(tmp_path / "a.jsonl", raw))
    assert [d.id for d in docs] == ["a", "c"]
    assert [(e.line, e.message.split(" (")[0]) for e in errors] == [(2, "not valid UTF-8")]


def test_jsonl_gz_loads_and_a_truncated_gz_keeps_what_was_read(tmp_path):
    records = [{"id": f"d{i}", "text": f"teks {i} " * 50} for i in range(200)]
    packed = gzip.compress(jsonl(*records).encode())
    docs, errors = load(write(tmp_path / "a.jsonl.gz", packed))
    assert errors == [] and len(docs) == 200 and docs[199].id == "d199"

    docs, errors = load(write(tmp_path / "cut.jsonl.gz", packed[: len(packed) // 2]))
    assert 0 < len(docs) < 200
    [error] = errors
    assert error.path == str(tmp_path / "cut.jsonl.gz") and "cannot read" in error.message


def test_not_gzip_is_reported(tmp_path):
    docs, errors = load(write(tmp_path / "a.jsonl.gz", b'{"id": "a", "text": "x"}\n'))
    assert docs == [] and len(errors) == 1 and "cannot read" in errors[0].message


def test_corrupt_gz_is_reported(tmp_path):
    packed = bytearray(gzip.compress(jsonl(*({"id": i, "text": "teks " * 50} for i in range(50))).encode()))
    packed[len(packed) // 2] ^= 0xFF
    docs, errors = load(write(tmp_path / "a.jsonl.gz", bytes(packed)))
    # the damage may inflate to garbage lines first (each reported); the checksum catches it at the end
    assert len(docs) < 50 and "cannot read" in errors[-1].message


def test_loading_is_lazy(tmp_path):
    first = write(tmp_path / "a.jsonl", jsonl(*({"id": i, "text": "x"} for i in range(3))))

    def paths():
        yield first
        raise AssertionError("the next path was asked for before the first file's documents were used")

    items = iter_documents(paths())
    assert [next(items).id for _ in range(3)] == ["0", "1", "2"]


# ---------------------------------------------------------------- directories and paths

def test_directory_is_walked_sorted_skipping_hidden_and_other_files(tmp_path):
    write(tmp_path / "b.txt", "B\nb")
    write(tmp_path / "a" / "z.jsonl", jsonl({"id": "z1", "text": "z"}))
    write(tmp_path / "a" / "y.jsonl.gz", gzip.compress(jsonl({"id": "y1", "text": "y"}).encode()))
    write(tmp_path / "c.csv", "id,text\n")
    write(tmp_path / "notes.md", "# not a document")
    write(tmp_path / ".hidden.txt", "H\nh")
    write(tmp_path / ".git" / "x.txt", "G\ng")
    docs, errors = load(tmp_path)
    assert errors == []
    assert [d.id for d in docs] == ["y1", "z1", "b"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing.txt", "no such file or directory"),
        ("data.csv", "unsupported file type"),  # named explicitly, so not silently ignored
    ],
)
def test_bad_path_is_reported(tmp_path, name, message):
    if name.endswith(".csv"):
        write(tmp_path / name, "x")
    docs, errors = load(tmp_path / name)
    assert docs == [] and [(e.path, e.line) for e in errors] == [(str(tmp_path / name), None)]
    assert message in errors[0].message


def test_single_path_is_accepted_as_well_as_a_list(tmp_path):
    path = write(tmp_path / "a.txt", "A\na")
    assert [d.id for d in iter_documents(str(path))] == [d.id for d in iter_documents([path])] == ["a"]


def test_duplicate_id_is_reported_not_replaced(tmp_path):
    write(tmp_path / "a.jsonl", jsonl({"id": "x", "text": "first"}, {"id": "x", "text": "second"}))
    write(tmp_path / "x.txt", "X\nthird")
    docs, errors = load(tmp_path)
    assert [d.text for d in docs] == ["first"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'a.jsonl'}:2: duplicate id 'x', first loaded from {tmp_path / 'a.jsonl'}:1",
        f"{tmp_path / 'x.txt'}: duplicate id 'x', first loaded from {tmp_path / 'a.jsonl'}:1",
    ]
