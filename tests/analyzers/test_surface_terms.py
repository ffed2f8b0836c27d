"""Surface terms beside lemmas (chain.TermFilter's `surface`), with the real Hazm and Sastrawi."""

from analyzers import analyzer_for
from analyzers.chain import surface_terms


def index_tokens(lang, text):
    return [(t.text, t.pos, t.surface)
            for t in analyzer_for(lang)(text, positions=True, mode="index")]


def test_persian_indexes_the_inflected_form_at_the_lemmas_position():
    # A plural and a verb: lemma first, then the form as written (spelling folded).
    assert index_tokens("fa", "کتاب‌ها می رود به تهران") == [
        ("کتاب", 0, False), ("کتابها", 0, True),
        ("رفت", 1, False), ("میرود", 1, True),
        ("تهران", 2, False),  # its own lemma: no second term
    ]


def test_persian_surface_terms_only_when_indexing():
    # Queries and phrases see one term per word; the parser adds surfaces itself.
    assert [t.text for t in analyzer_for("fa")("کتاب‌ها", mode="query")] == ["کتاب"]
    assert surface_terms(analyzer_for("fa"), "کتاب‌ها") == ["کتابها"]
    assert surface_terms(analyzer_for("fa"), "تهران") == []


def test_stop_words_get_no_surface_term():
    assert surface_terms(analyzer_for("fa"), "است") == []


def test_indonesian_has_no_surface_terms():
    # Measured worse on tydi (see analyzers/indonesian.py).
    assert index_tokens("id", "berhubungan") == [("hubung", 0, False)]

