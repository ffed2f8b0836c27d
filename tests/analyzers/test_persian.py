"""Persian analysis: each step alone (prepare, lemma, fold_term, term_fa, the
tokenizer) and the whole chain (analyzer_for("fa")), one table row per rule."""

import pytest

from analyzers import analyzer_for
from analyzers.common import fold_text
from analyzers.persian import (
    PersianTokenizer,
    fold_term,
    lemma,
    prepare,
    stop_words,
    term_fa,
)

ZWNJ = "\u200c"


def terms(text, **kwargs):
    return [t.text for t in analyzer_for("fa")(text, **kwargs)]


# ---------------------------------------------------------------- the whole chain

# (text, expected terms) through analyzer_for("fa").
PERSIAN_TERMS = [
    # Arabic kaf (ك) folds to Persian keheh (ک)
    ("كتاب", ["کتاب"]),
    # Arabic yeh (ي) folds to Farsi yeh (ی)
    ("علي", ["علی"]),
    # alef maksura (ى) folds to Farsi yeh (ی)
    ("موسى", ["موسی"]),
    # Arabic kaf and yeh in one word
    ("كتابي", ["کتابی"]),
    # fatha removed; the word stays one token
    ("کَتاب", ["کتاب"]),
    # kasra removed
    ("کِتاب", ["کتاب"]),
    # damma removed
    ("خُوب", ["خوب"]),
    # tanvin (dammatan) removed
    ("کتابٌ", ["کتاب"]),
    # tanvin (fathatan) removed from an adverb
    ("حتماً", ["حتما"]),
    # shadda removed
    ("محمّد", ["محمد"]),
    # sukun removed
    ("کتابْ", ["کتاب"]),
    # tatweel (kashida) removed
    ("کـــتاب", ["کتاب"]),
    # Arabic presentation forms fold to base letters (NFKC), kaf to keheh
    ("ﻛﺘﺎﺏ", ["کتاب"]),
    # verb prefix mi- with ZWNJ; Hazm lemma "رفت#رو" -> past stem رفت
    ("می\u200cرود", ["رفت"]),
    # verb prefix written joined, without ZWNJ
    ("میرود", ["رفت"]),
    # verb prefix written with a space (prepare rejoins it)
    ("می رود", ["رفت"]),
    # negated present: same past stem
    ("نمی\u200cرود", ["رفت"]),
    # plural suffix -ha with ZWNJ
    ("کتاب\u200cها", ["کتاب"]),
    # plural suffix -ha joined
    ("کتابها", ["کتاب"]),
    # plural suffix -ha after a space (prepare rejoins it)
    ("کتاب ها", ["کتاب"]),
    # plural + ezafe -haye, joined
    ("کتابهای", ["کتاب"]),
    # plural + possessive -hayeshan, joined
    ("کتابهایشان", ["کتاب"]),
    # plural of a word ending in silent heh, with ZWNJ (Hazm lists it with frequency 0)
    ("خانه\u200cها", ["خانه"]),
    # plural of سال with ZWNJ (frequency-0 lexicon entry): same term as سال
    ("سال\u200cها", ["سال"]),
    # Persian digits fold to ASCII
    ("۱۴۰۱", ["1401"]),
    # Arabic-Indic digits fold to ASCII
    ("١٤٠١", ["1401"]),
    # ASCII digits stay ASCII (Hazm's Normalizer would make them Persian)
    ("1401", ["1401"]),
    # past plural: Hazm verb lemma past#present -> past stem
    ("رفتند", ["رفت"]),
    # present first person with ZWNJ: Hazm gives "رفت#رو"
    ("می\u200cروم", ["رفت"]),
    # present perfect with ZWNJ
    ("رفته\u200cاند", ["رفت"]),
    # present of گفتن: past stem گفت
    ("می\u200cگویند", ["گفت"]),
    # madda folds: آلودگی and الودگی are one term
    ("آلودگی", ["الودگی"]),
    # the madda-less spelling gives the same term
    ("الودگی", ["الودگی"]),
    # hamza on yeh seat folds (مسئله/مسیله)
    ("مسئله", ["مسیله"]),
    # hamza on waw seat folds (سؤال/سوال)
    ("سؤال", ["سوال"]),
    # heh with yeh above (ۀ) folds to heh
    ("خانۀ", ["خانه"]),
    # heh + hamza above (U+0654, a haraka) is removed
    ("خانهٔ", ["خانه"]),
    # تنها ("alone") is an attested word, not تن + ها
    ("تنها", ["تنها"]),
    # دفتر is not دف + تر (-tar is not a joinable suffix)
    ("دفتر", ["دفتر"]),
    # دختر likewise keeps its last letters
    ("دختر", ["دختر"]),
    # conjunction و removed; madda in آذربایجان folded
    ("ایران و آذربایجان", ["ایران", "اذربایجان"]),
    # preposition در removed
    ("در تهران", ["تهران"]),
    # copula است removed
    ("است", []),
    # every form of the auxiliary شد is removed (the stop list is lemmatized too)
    ("می\u200cشود", []),
    # ... also written joined
    ("میشود", []),
    # question word چرا removed; the topic words stay
    ("چرا آلودگی هوا", ["الودگی", "هوا"]),
    # object marker را removed
    ("کتاب را", ["کتاب"]),
    # Latin words inside Persian text are normalized, not lemmatized
    ("Tehran", ["tehran"]),
    # mixed Persian word and ASCII number
    ("سال 1401", ["سال", "1401"]),
    # a lone hamza folds to nothing: no term at all, never an empty term ""
    ("ء", []),
    # ... also next to a real word
    ("ء کتاب", ["کتاب"]),
]


@pytest.mark.parametrize("text, expected", PERSIAN_TERMS)
def test_persian_terms(text, expected):
    got = terms(text)
    assert got == expected, f"help: analyzer_for('fa')({text!r}) gave {got!r}, expected {expected!r}"


# Spellings of one word that must index the same terms.
PERSIAN_SAME_TERMS = [
    # ZWNJ / joined / space variants of a verb with mi-
    ("می\u200cرود", "میرود", "می رود"),
    # ZWNJ / joined / space variants of a plural
    ("کتاب\u200cها", "کتابها", "کتاب ها"),
    # ZWNJ / joined / space variants of a plural whose ZWNJ form Hazm lists with frequency 0
    ("خانه\u200cها", "خانهها", "خانه ها"),
    # ... the same for سال‌ها ("years"), common in news
    ("سال\u200cها", "سالها", "سال ها"),
    # ZWNJ / joined variants of a negated verb
    ("نمی\u200cرود", "نمیرود", "نمی رود"),
    # ZWNJ / space variants of a compound: a ZWNJ between the parts of a compound
    # splits it like a space (questions space what articles join: آسمان خراش)
    ("بین\u200cالمللی", "بین المللی"),
    ("آسمان\u200cخراش", "آسمان خراش"),
    ("جامعه\u200cشناسی", "جامعه شناسی"),
    # Persian, Arabic-Indic and ASCII digits
    ("۱۴۰۱", "١٤٠١", "1401"),
    # Arabic and Persian kaf/yeh
    ("كتابي", "کتابی"),
    # madda and plain alef
    ("آلودگی", "الودگی"),
    # hamza seat and plain yeh
    ("مسئله", "مسیله"),
    # with and without diacritics
    ("مُحَمَّد", "محمد"),
    # with and without tatweel
    ("کـــتاب", "کتاب"),
]


@pytest.mark.parametrize("variants", PERSIAN_SAME_TERMS)
def test_persian_spelling_variants_share_terms(variants):
    got = {v: terms(v) for v in variants}
    assert len({tuple(t) for t in got.values()}) == 1, f"help: variants disagree: {got!r}"
    assert all(got.values()), f"help: a variant was stopped entirely: {got!r}"


def test_plural_and_singular_share_a_term():
    assert terms("کتاب\u200cها") == terms("کتاب")


# ---------------------------------------------------------------- offsets and positions

# (text, the original surface of each kept token, in order)
PERSIAN_SURFACES = [
    # diacritics inside two words
    ("کَتاب مُحَمَّد", ["کَتاب", "مُحَمَّد"]),
    # a word ending in a diacritic (sukun): the span includes the mark
    ("کتابْ خوب", ["کتابْ", "خوب"]),
    # a word ending in tanvin, common in news (حتماً): the span includes the mark
    ("حتماً بیا", ["حتماً", "بیا"]),
    # tatweel inside a word
    ("کـــتاب خوب", ["کـــتاب", "خوب"]),
    # presentation forms: one stored char per normalized letter
    ("ﻛﺘﺎﺏ ﺧﻮﺏ", ["ﻛﺘﺎﺏ", "ﺧﻮﺏ"]),
    # Arabic letters and padding spaces
    ("  كتابي  ", ["كتابي"]),
    # madda word after a stop word
    ("ایران و آذربایجان", ["ایران", "آذربایجان"]),
    # space-separated prefix: the token covers both parts
    ("می رود", ["می رود"]),
    # Persian digits
    ("سال ۱۴۰۱", ["سال", "۱۴۰۱"]),
    # ZWNJ word with a bidi mark before it
    ("\u200fکتاب\u200cها", ["کتاب\u200cها"]),
]


@pytest.mark.parametrize("text, surfaces", PERSIAN_SURFACES)
def test_persian_offsets_point_into_original(text, surfaces):
    tokens = [(t.startchar, t.endchar) for t in analyzer_for("fa")(text, chars=True)]
    got = [text[s:e] for s, e in tokens]
    assert got == surfaces, f"help: offsets {tokens!r} of {text!r} don't land on the stored words"


def test_positions_renumbered_over_stop_words():
    def positions(text):
        return [(t.text, t.pos) for t in analyzer_for("fa")(text, positions=True)]

    with_stop = positions("ایران و آذربایجان")
    assert with_stop == [("ایران", 0), ("اذربایجان", 1)]
    # so the phrase query "ایران آذربایجان" matches "ایران و آذربایجان"
    assert with_stop == positions("ایران آذربایجان")


def test_positions_continue_from_start_pos():
    got = [t.pos for t in analyzer_for("fa")("در تهران و کابل", positions=True, start_pos=10)]
    assert got == [10, 11]


def test_stop_words_flagged_not_dropped_when_removestops_false():
    ana = analyzer_for("fa")
    kept = [(t.text, t.stopped) for t in ana("ایران و آذربایجان", removestops=False)]
    assert kept == [("ایران", False), ("و", True), ("اذربایجان", False)]


# ---------------------------------------------------------------- each step alone

PREPARE = [
    # mi- + space + verb -> ZWNJ, same length
    ("می رود", "می\u200cرود"),
    # nemi- + space + verb -> ZWNJ
    ("نمی رود", "نمی\u200cرود"),
    # noun + space + -ha -> ZWNJ
    ("کتاب ها", "کتاب\u200cها"),
    # noun + space + -haye -> ZWNJ
    ("کتاب های", "کتاب\u200cهای"),
    # -tar after a space -> ZWNJ
    ("بزرگ تر", "بزرگ\u200cتر"),
    # no space: unchanged
    ("کتاب", "کتاب"),
    # "ها" as the start of a longer word is not a suffix
    ("کتاب هاشمی", "کتاب هاشمی"),
    # "می" as the end of a longer word is not a prefix
    ("قدیمی رود", "قدیمی رود"),
]


@pytest.mark.parametrize("text, expected", PREPARE)
def test_prepare(text, expected):
    assert prepare(text) == expected
    assert len(prepare(text)) == len(text)  # offsets stay exact


LEMMA = [
    # verb: past#present -> past stem
    ("رفتند", "رفت"),
    # verb with ZWNJ prefix: Hazm "رفت#رو" -> رفت
    ("می\u200cروم", "رفت"),
    # verb prefix written joined: looked up again with ZWNJ
    ("میرود", "رفت"),
    # plural with ZWNJ
    ("کتاب\u200cها", "کتاب"),
    # plural written joined: looked up again as کتاب‌ها
    ("کتابها", "کتاب"),
    # attested word is kept whole (not تن + ها)
    ("تنها", "تنها"),
    # the copula has no past stem in Hazm ("#است"): its present stem
    ("است", "است"),
    # unknown word comes back unchanged
    ("xyz", "xyz"),
]


@pytest.mark.parametrize("word, expected", LEMMA)
def test_lemma(word, expected):
    assert lemma(word) == expected


FOLD_TERM = [
    # madda alef -> alef
    ("آلودگی", "الودگی"),
    # hamza on yeh -> yeh
    ("مسئله", "مسیله"),
    # hamza on waw -> waw
    ("سؤال", "سوال"),
    # heh with yeh above -> heh
    ("خانۀ", "خانه"),
    # ZWNJ dropped (compounds written joined or apart)
    ("بین\u200cالمللی", "بینالمللی"),
    # hamza-on-alef variants -> alef
    ("أ إ ٱ", "ا ا ا"),
    # lone hamza removed
    ("جزء", "جز"),
    # plain word unchanged
    ("کتاب", "کتاب"),
]


@pytest.mark.parametrize("word, expected", FOLD_TERM)
def test_fold_term(word, expected):
    assert fold_term(word) == expected


TERM_FA = [
    # lemma then fold
    ("آمدند", "امد"),
    # stop word -> None
    ("و", None),
    # stop verb in any form -> None
    ("شدند", None),
    # non-Persian token passes through unchanged (and Hazm is not consulted)
    ("abc", "abc"),
    # ASCII number passes through
    ("1401", "1401"),
]


@pytest.mark.parametrize("word, expected", TERM_FA)
def test_term_fa(word, expected):
    assert term_fa(word) == expected


def test_tokenizer_alone_keeps_diacritic_word_whole():
    # Whoosh's default \w+ pattern splits کَرد at the fatha; ours normalizes first.
    assert [t.text for t in PersianTokenizer()("کَرد")] == ["کرد"]


def test_tokenizer_alone_keeps_zwnj_inside_words():
    assert [t.text for t in PersianTokenizer()("می\u200cرود کتاب\u200cها")] == ["می\u200cرود", "کتاب\u200cها"]


def test_tokenizer_alone_drops_leading_and_trailing_zwnj():
    assert [t.text for t in PersianTokenizer()("\u200cکتاب\u200c")] == ["کتاب"]


def test_tokenizer_single_term_when_tokenize_false():
    toks = [(t.text, t.startchar, t.endchar) for t in PersianTokenizer()(" می رود ", tokenize=False, chars=True)]
    assert toks == [("می\u200cرود", 0, 8)]


def test_chain_single_term_when_tokenize_false():
    # prefix/wildcard terms: normalized and lemmatized as one word
    assert terms("می\u200cرود", tokenize=False) == ["رفت"]


def test_every_stop_list_entry_is_stopped_by_the_chain():
    # the stop list goes through lemma and fold, so each entry must stop itself
    from analyzers.persian import _DATA

    entries = []
    for line in (_DATA / "stopwords_fa.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    leaked = {w: terms(w) for w in entries if terms(w)}
    assert not leaked, f"help: stop list entries that index a term: {leaked!r}"


def test_stop_words_are_folded_like_terms():
    # "آن" is listed with madda; the set holds the folded form text will produce
    assert "ان" in stop_words()
    assert all(w == fold_term(fold_text(w)) for w in stop_words())
