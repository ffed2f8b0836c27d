"""Property tests: any Unicode text through any analyzer gives well-formed tokens."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers import LANGS, analyzer_for
from analyzers.common import fold_text, normalize_chars

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Characters our rules care about, so that random text hits them often: Persian and
# Arabic letters, harakat, tatweel, ZWNJ/ZWJ/ZWSP, bidi controls, Arabic presentation
# forms and ligatures, digits of three scripts, accented Latin, hyphens, spaces.
INTERESTING = (
    "abcdeghiklmnrstuyz ABCZ-'_.,\t\n"
    "اآأإؤئءبپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیۀةيىك"
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0654\u0670\u0640"
    "\u200c\u200d\u200b\u200e\u200f\u202a\u202b\u202c\u202e\u2066\u2069\ufeff\u00ad\x00\x85"
    "ﻛﺘﺎﺏﷲﷺﬁﬀＡｚ"
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
    "ōéïÀİıßǅ\u0301"
)
TEXT = st.one_of(st.text(), st.text(alphabet=INTERESTING, max_size=60))


def check_tokens(text, tokens):
    for t in tokens:
        assert isinstance(t.text, str) and t.text, f"empty or non-str term {t.text!r} from {text!r}"
        assert 0 <= t.startchar < t.endchar <= len(text), (
            f"span {t.startchar}..{t.endchar} outside {text!r} (len {len(text)})")
    # Kept tokens are renumbered 0, 1, 2, ... over removed stop words. Stopped tokens
    # (removestops=False) keep their raw position, as in Whoosh's own StopFilter.
    # A surface term (chain.TermFilter, Persian, index mode) shares its lemma's position.
    kept = [t.pos for t in tokens if not t.stopped and not getattr(t, "surface", False)]
    assert kept == list(range(len(kept))), f"positions {kept!r} from {text!r}"
    for before, t in zip(tokens, tokens[1:]):
        if getattr(t, "surface", False):
            assert t.pos == before.pos and not before.surface, f"surface {t.text!r} from {text!r}"


@pytest.mark.parametrize("lang", LANGS)
@SETTINGS
@given(text=TEXT, removestops=st.booleans(), mode=st.sampled_from(["index", "query"]))
def test_random_text_never_crashes(lang, text, removestops, mode):
    ana = analyzer_for(lang)
    tokens = [t.copy() for t in ana(text, positions=True, chars=True,
                                    removestops=removestops, mode=mode)]
    check_tokens(text, tokens)
    if not removestops:
        # flagging stop words instead of dropping them changes nothing else
        dropped = [t.copy() for t in ana(text, positions=True, chars=True, mode=mode)]
        assert [(t.text, t.pos, t.startchar, t.endchar) for t in tokens if not t.stopped] == \
            [(t.text, t.pos, t.startchar, t.endchar) for t in dropped]


@pytest.mark.parametrize("lang", LANGS)
@SETTINGS
@given(text=TEXT, removestops=st.booleans())
def test_random_single_term_never_crashes(lang, text, removestops):
    # tokenize=False: how Whoosh analyzes prefix and wildcard query terms
    ana = analyzer_for(lang)
    tokens = [t.copy() for t in ana(text, positions=True, chars=True, tokenize=False,
                                    removestops=removestops, mode="query")]
    assert len(tokens) <= 1
    for t in tokens:
        assert isinstance(t.text, str) and t.text, f"empty or non-str term {t.text!r} from {text!r}"
        assert 0 <= t.startchar <= t.endchar <= len(text)


@SETTINGS
@given(text=TEXT)
def test_normalize_chars_offset_map(text):
    normalized, offsets = normalize_chars(text)
    assert fold_text(text) == normalized
    if offsets is None:
        assert len(normalized) == len(text)
        return
    assert len(offsets) == len(normalized) + 1
    assert offsets[-1] == len(text)
    assert all(0 <= o < len(text) for o in offsets[:-1])
    assert offsets == sorted(offsets)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("text", [
    "",  # empty query term
    "   ",  # blank query term
    "\u0640",  # a tatweel alone normalizes to nothing (QueryParser: "ـ*" -> Prefix(field, ""))
])
def test_blank_single_term_gives_no_empty_term(lang, text):
    # An empty term would become Term(field, "") or, for "ـ*", Prefix(field, ""),
    # which matches every term of the field.
    got = [t.text for t in analyzer_for(lang)(text, tokenize=False)]
    assert "" not in got, f"help: analyzer_for({lang!r})({text!r}, tokenize=False) gave {got!r}"
