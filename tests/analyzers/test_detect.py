"""detect_lang: the script first (Arabic script -> fa), then a word profile for Latin text."""

from pathlib import Path

import pytest

from analyzers import LANGS, UnknownLanguage, analyzer_for, detect_lang

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

DETECT = [
    # Arabic script (Persian letters) -> fa
    ("مناسبات رو به جلو و پیشرفت ایران", "fa"),
    # Arabic script typed with Arabic kaf/yeh -> fa
    ("كتاب علي", "fa"),
    # Arabic presentation forms are Arabic script -> fa
    ("ﻛﺘﺎﺏ", "fa"),
    # Arabic script wins a tie with Latin letters
    ("Iran ایران", "fa"),
    # Latin with Indonesian function words -> id
    ("Iran dan Rusia berunding untuk kerja sama yang baik", "id"),
    # Latin with English function words -> en
    ("The minister said that the talks were useful", "en"),
    # Latin with more English than Indonesian markers -> en
    ("Iran and Russia", "en"),
    # Latin text with Arabic-script letters outnumbered -> Latin profile decides
    ("سلام hello world this is the text of it", "en"),
]


@pytest.mark.parametrize("text, lang", DETECT)
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


@pytest.mark.parametrize("text", ["", "12345", "Tehran"])
def test_no_evidence_falls_back_to_default(text):
    assert detect_lang(text) == "en"
    assert detect_lang(text, default="id") == "id"


SEED_LANGS = [
    # Indonesian: "Pejabat Tinggi Keamanan Iran Peringatkan ..."
    ("000_7ecd846baa03e493.txt", "id"),
    # Indonesian: "Ketika Ilham Aliyev Menekankan ..."
    ("001_7096a94d9b5d90fd.txt", "id"),
    # Indonesian: "Iran dan Rusia Berunding ..."
    ("002_2e6686a3ccd039ae.txt", "id"),
    # Persian: "مناسبات رو به جلو و پیشرفت ایران ..."
    ("003_b8878e3335182e53.txt", "fa"),
    # Indonesian: "Tehran-Moskow Menekankan Hubungan Bilateral"
    ("004_0b9ad2877bc8c180.txt", "id"),
]


@pytest.mark.parametrize("name, lang", SEED_LANGS)
def test_seed_language(name, lang):
    assert detect_lang((SEEDS / name).read_text(encoding="utf-8")) == lang


def test_every_seed_is_in_the_table():
    assert sorted(p.name for p in SEEDS.glob("*.txt")) == [name for name, _ in SEED_LANGS]


def test_every_detected_language_has_an_analyzer():
    assert set(LANGS) == {"fa", "id", "en"}
    for lang in LANGS:
        assert analyzer_for(lang) is analyzer_for(lang)  # built once, shared


def test_unknown_language_is_a_value_error():
    with pytest.raises(UnknownLanguage, match="'xx'"):
        analyzer_for("xx")
    assert issubclass(UnknownLanguage, ValueError)
