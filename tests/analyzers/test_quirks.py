"""Third-party quirks our analyzers are built around (STYLE.md section 8).

Each test pins one behaviour of Hazm, Sastrawi or Whoosh that a comment in
analyzers/ relies on. If one fails after an upgrade, re-read that comment: the
workaround may no longer be needed, or may no longer work.
"""

import pytest
from whoosh.analysis import RegexTokenizer, StopFilter
from whoosh.lang.porter import stem as porter_stem


@pytest.fixture(scope="module")
def hazm_lemmatizer():
    from hazm import Lemmatizer

    # Same construction as analyzers/hazm_lexicon.build (a few seconds, once).
    return Lemmatizer(joined_verb_parts=False)


# ---------------------------------------------------------------- Hazm

def test_hazm_normalizer_default_turns_ascii_digits_persian():
    # Why digits are folded by common.normalize_chars, not by Hazm's Normalizer.
    from hazm import Normalizer

    assert Normalizer().normalize("سال 1401") == "سال ۱۴۰۱"


def test_hazm_normalizer_folds_arabic_kaf_yeh_to_persian():
    # The direction we follow (common._FOLD); Lucene goes the other way.
    from hazm import Normalizer

    assert Normalizer().normalize("كتابي") == "کتابی"


def test_hazm_lemmatizer_returns_past_hash_present_for_verbs(hazm_lemmatizer):
    # Why persian.lemma splits on "#" and keeps the past stem.
    assert hazm_lemmatizer.lemmatize("می\u200cروم") == "رفت#رو"


def test_hazm_lexicon_lists_informal_spellings_with_frequency_zero(hazm_lemmatizer):
    # hazm_lexicon.build reads words as {word: (frequency, tags)} and persian._attested
    # skips frequency-0 entries such as کتابها and میشود.
    words = hazm_lemmatizer.words
    assert isinstance(words, dict)
    assert words["کتاب"][0] > 0
    assert words["کتابها"][0] == 0
    assert words["میشود"][0] == 0


def test_hazm_lexicon_lists_some_zwnj_plurals_whole(hazm_lemmatizer):
    # Why persian._lookup strips a ZWNJ plural suffix before trusting the lexicon.
    assert hazm_lemmatizer.words["خانه\u200cها"][0] == 0
    assert hazm_lemmatizer.words["سال\u200cها"][0] == 0


def test_hazm_stemmer_over_stems_names():
    # Why the Stemmer only runs where the lexicon confirms its stem.
    from hazm import Stemmer

    assert Stemmer().stem("ایران") == "ایر"
    assert Stemmer().stem("تهران") == "تهر"


def test_lexicon_stem_is_hazm_stemmer(hazm_lemmatizer):
    # hazm_lexicon.Lexicon.stem re-implements Stemmer.stem without importing Hazm.
    from hazm import Stemmer

    from analyzers.hazm_lexicon import load

    lexicon, hazm_stemmer = load(), Stemmer()
    sample = list(hazm_lemmatizer.words)[::400] + ["کتاب‌ها", "ایران", "بزرگترین", "خانۀ", "رفتم"]
    differ = {w: (lexicon.stem(w), hazm_stemmer.stem(w)) for w in sample
              if lexicon.stem(w) != hazm_stemmer.stem(w)}
    assert not differ


# ---------------------------------------------------------------- Sastrawi

@pytest.fixture(scope="module")
def sastrawi_stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


def test_sastrawi_cached_stemmer_splits_accented_words(sastrawi_stemmer):
    # Why indonesian.stem_id only hands plain [a-z] words to Sastrawi.
    assert type(sastrawi_stemmer).__name__ == "CachedStemmer"
    assert " " in sastrawi_stemmer.stem("shōgatsu")


def test_sastrawi_cached_stemmer_lowercases(sastrawi_stemmer):
    assert sastrawi_stemmer.stem("Berhubungan") == "hubung"


def test_sastrawi_cache_is_a_plain_growing_dict(sastrawi_stemmer):
    # Why we call the delegated Stemmer.stem_word behind our own bounded lru_cache.
    sastrawi_stemmer.stem("perundingan")
    assert isinstance(sastrawi_stemmer.cache.data, dict)
    assert "perundingan" in sastrawi_stemmer.cache.data


def test_sastrawi_stem_word_keeps_plain_reduplication(sastrawi_stemmer):
    # indonesian.unreduplicate handles negara-negara; Sastrawi handles the affixed kind.
    stemmer = sastrawi_stemmer.delegatedStemmer
    assert stemmer.stem_word("sebaik-baiknya") == "baik"


# ---------------------------------------------------------------- Whoosh

def test_whoosh_default_tokenizer_splits_persian_and_reduplication():
    # Why each language has its own normalizing tokenizer (STYLE.md section 2.3).
    got = [t.text for t in RegexTokenizer()("کَرد می\u200cرود negara-negara")]
    assert got == ["ک", "رد", "می", "رود", "negara", "negara"]


def test_whoosh_stop_filter_defaults_to_english_min_two():
    stop = StopFilter()
    assert "the" in stop.stops and stop.min == 2


def test_whoosh_porter_keeps_double_consonant():
    # Whoosh's Porter port leaves "runn" (Porter's paper gives "run"): a query for "run"
    # would not match "running". Why analyzers/english.py uses porter2 instead.
    assert porter_stem("running") == "runn"
    assert porter_stem("run") == "run"
