"""Whoosh pickles the schema, analyzers included, into the index at every commit:
every analyzer must round-trip, and Hazm/Sastrawi objects must stay out of it."""

import pickle
import subprocess
import sys

import pytest

from analyzers import LANGS, analyzer_for

TEXTS = {
    "fa": "مُحَمَّد و كتاب‌ها می رود در سال ۱۴۰۱ به تهران؛ آلودگی هوا",
    "id": "Negara-negara yang berhubungan dengan Tehran-Baku pada Shōgatsu 2024",
    "en": "The ministers' talks on Café prices in 1401",
}


def tokens(ana, text):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in ana(text, positions=True, chars=True)]


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("lang", LANGS)
def test_pickle_round_trip(lang, protocol):
    ana = analyzer_for(lang)
    before = tokens(ana, TEXTS[lang])  # analyze first, so Hazm/Sastrawi are loaded
    data = pickle.dumps(ana, protocol)
    assert b"hazm" not in data.lower(), "help: a Hazm object leaked into the pickle"
    assert b"sastrawi" not in data.lower(), "help: a Sastrawi object leaked into the pickle"
    copy = pickle.loads(data)
    assert copy == ana
    assert tokens(copy, TEXTS[lang]) == before
    assert before, "the sample text must produce tokens"


def test_unpickling_persian_does_not_load_hazm():
    # Heavy state is rebuilt lazily: loading an index schema must not import Hazm.
    data = pickle.dumps(analyzer_for("fa"), 2)
    code = (
        "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
        "print(sorted(m for m in ('hazm', 'Sastrawi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True)
    assert out.stdout.strip() == b"[]"
