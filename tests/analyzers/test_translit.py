"""The Latin/Persian unit and cost tables, on names whose spellings are known."""

import pytest

from analyzers.translit import best_cost, coarse_key, fa_units, latin_units


@pytest.mark.parametrize("latin, persian, at_most", [
    ("Tehran", "تهران", 0.03),
    ("Teheran", "تهران", 0.05),
    ("Lavrov", "لاوروف", 0.0),
    ("Putin", "پوتین", 0.0),
    ("Azerbaijan", "آذربایجان", 0.05),
    ("Bagheri", "باقری", 0.05),
    ("Araghchi", "عراقچی", 0.0),
    ("Iran", "ایران", 0.0),
    ("Rouhani", "روحانی", 0.05),
    ("Zarif", "ظریف", 0.05),
    ("Syiah", "شیعه", 0.1),
])
def test_names_cost_little(latin, persian, at_most):
    assert best_cost(latin, persian) <= at_most
    # The candidate key: both spellings fall in one block.
    assert coarse_key(fa_units(persian)) in {coarse_key(r) for r in latin_units(latin)}


@pytest.mark.parametrize("latin, persian, at_least", [
    ("Seoul", "سال", 0.2),  # a year is not a city
    ("Edward", "دارد", 0.2),  # nor "has" a name
    ("Pezeshkian", "پزشکان", 0.1),  # doctors: one vowel letter short of the name
    ("Putin", "پایتان", 0.3),
])
def test_look_alikes_cost_more(latin, persian, at_least):
    assert best_cost(latin, persian) >= at_least


def test_the_closer_spelling_wins():
    assert best_cost("Pezeshkian", "پزشکیان") < best_cost("Pezeshkian", "پزشکان")
    assert best_cost("Kani", "کانی") < best_cost("Kani", "کنی")


def test_units():
    assert fa_units("ایران") == ("I", "R", "A", "N")  # initial ای is one vowel
    assert fa_units("خامنه‌ای")[:5] == ("X", "A", "M", "N", "E")  # ه before a ZWNJ is a vowel
    assert fa_units("محمّد") == ("M", "H", "M", "D")  # doubled letters and shadda collapse
    assert latin_units("Lavrov") == (("L", "a", "V", "R", "o", "F"),)  # final v: ف
    assert set(latin_units("Francis")) >= {("F", "R", "a", "N", "K", "i", "S"), ("F", "R", "a", "N", "S", "i", "S")}
    assert ("S", "a", "L", "a") in latin_units("Salah")  # a final h also without it
