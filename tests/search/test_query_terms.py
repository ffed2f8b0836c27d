"""What the parser adds for ranking: surface terms, Persian rejoin."""

from search.query import SURFACE_BOOST, make_parser, parse
from search.schema import build_schema

SCHEMA = build_schema()


def leaves(q):
    return {(leaf.fieldname, getattr(leaf, "text", None), leaf.boost) for leaf in q.leaves()}


def test_persian_word_matches_lemma_and_surface():
    q = parse(make_parser(SCHEMA, ("fa",)), "کتاب‌ها")
    assert ("body_fa", "کتاب", 1.0) in leaves(q)
    assert ("body_fa", "کتابها", SURFACE_BOOST) in leaves(q)


def test_spaced_verb_prefix_is_one_word():
    # "می رود" is the verb رفتن, not the stop word می and the noun رود (river).
    q = parse(make_parser(SCHEMA, ("fa",)), "می رود")
    assert ("body_fa", "رفت", 1.0) in leaves(q)
    assert not any(text == "رود" for _, text, _ in leaves(q))

