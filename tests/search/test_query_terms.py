"""What the parser adds for ranking: surface terms, adjacent pairs, Persian rejoin."""

from whoosh import query as wq

from search.query import PAIR_BOOST, SURFACE_BOOST, make_parser, parse
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


def test_adjacent_pairs_are_plain_optional_terms():
    q = parse(make_parser(SCHEMA, ("fa",)), "پایتخت کشور ایران کجا است؟")
    assert isinstance(q, wq.Or)
    pairs = {text for field, text, boost in leaves(q) if field == "pairs_fa"}
    assert pairs == {"پایتخت کشور", "کشور ایران"}
    assert all(isinstance(leaf, wq.Term) for leaf in q.leaves())
    assert {boost for field, _, boost in leaves(q) if field == "pairs_fa"} == {PAIR_BOOST}


def test_no_pairs_with_operators_or_for_indonesian():
    fa = make_parser(SCHEMA, ("fa",))
    assert not any(f == "pairs_fa" for f, _, _ in leaves(parse(fa, "پایتخت AND ایران")))
    assert not any(f == "pairs_fa" for f, _, _ in leaves(parse(fa, '"پایتخت کشور" ایران')))
    q = parse(make_parser(SCHEMA, ("id",)), "ibu kota Indonesia")
    assert {f for f, _, _ in leaves(q)} == {"title_id", "body_id"}
