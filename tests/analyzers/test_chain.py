"""chain.index_occurrences: what indexing records, without Token objects, equal to the token stream."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers import LANGS, analyzer_for
from analyzers.chain import index_occurrences
from analyzers.names import NameTokenizer
from analyzers.words import SurfaceWordsTokenizer, surface_words
from tests.analyzers.test_properties import INTERESTING

SEEDS = [
    "کتاب‌ها می رود به تهران و آذربایجان؛ کتاب‌ها را خواندم.",  # surface terms, a stop word, repeats
    "آذربايجان ۱۴۰۳ كتاب\u064e\u0640ها\u200c",  # Arabic yeh/kaf, harakat, tatweel: offsets that move
    "Negara-negara berhubungan dengan Tehran-Baku, dan negara itu berhubungan lagi.",
    "The ﬁrst PRESIDENT's visit: ＡＢＣ ōé, and the end.",
    "",
    "   \u200c\u200f ",
]


def stream(lang: str, text: str, chars: bool) -> dict[str, list]:
    """The occurrences Whoosh's Positions/Characters formats collect from the analyzer's tokens."""
    seen = defaultdict(list)
    for t in analyzer_for(lang)(text, positions=True, chars=chars, boosts=True, mode="index"):
        if not t.stopped:
            seen[t.text].append((t.pos, t.startchar, t.endchar) if chars else t.pos)
    return dict(seen)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text", SEEDS)
@pytest.mark.parametrize("chars", [True, False])
def test_the_same_terms_occurrences_and_order_as_the_token_stream(lang, text, chars):
    got = index_occurrences(analyzer_for(lang), text, chars)
    want = stream(lang, text, chars)
    assert got == want
    assert list(got) == list(want)  # first-appearance order, as the formats' dicts keep it


def test_the_seeds_hold_what_the_comparison_is_for():
    # A surface term sharing its lemma's position, and a stop word that takes none.
    occ = index_occurrences(analyzer_for("fa"), SEEDS[0], True)
    assert occ["کتاب"][0][0] == occ["کتابها"][0][0] == 0 and "و" not in occ
    # Offsets into the original text where normalization changed its length.
    (span,) = index_occurrences(analyzer_for("fa"), SEEDS[1], True)["کتاب"]
    assert SEEDS[1][span[1]:span[2]].startswith("كتاب")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LANGS), st.one_of(st.text(), st.text(alphabet=INTERESTING, max_size=80)))
def test_any_text(lang, text):
    assert index_occurrences(analyzer_for(lang), text, True) == stream(lang, text, True)


def test_other_chains_are_not_taken():
    assert index_occurrences(NameTokenizer("id"), "Joko Widodo", True) is None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.sampled_from(SEEDS), st.text(), st.text(alphabet=INTERESTING, max_size=80)))
def test_surface_words_are_the_words_fields_tokens(text):
    # search/indexer.to_fields gives the words field surface_words as its tokens.
    assert set(surface_words(text)) == {t.text for t in SurfaceWordsTokenizer()(text)}


def test_distinct_surface_words_of_a_seed():
    # Repeats once; hyphens split words; lowercased as typed.
    assert set(surface_words(SEEDS[2])) == {
        "negara", "berhubungan", "dengan", "tehran", "baku", "dan", "itu", "lagi"}


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=INTERESTING, max_size=40)),
       st.one_of(st.text(), st.text(alphabet=INTERESTING, max_size=80)))
def test_a_titles_and_a_texts_surface_words_are_those_of_both_on_two_lines(title, text):
    # search/indexer.to_fields indexes these as the `words` field's tokens.
    assert surface_words(title) + surface_words(text) == surface_words(f"{title}\n{text}")
