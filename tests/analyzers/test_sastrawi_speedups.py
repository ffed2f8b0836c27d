"""The Sastrawi speed-ups change no stem: guarded and original prefix loops agree."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from analyzers import indonesian, sastrawi_speedups

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

PREFIXES = ["", "me", "mem", "men", "meng", "meny", "menge", "pe", "pem", "pen", "peng",
            "peny", "penge", "per", "ber", "be", "ter", "te", "di", "ke", "se", "ku", "kau",
            "memper", "diper", "keber", "mempe"]
SUFFIXES = ["", "kan", "an", "i", "nya", "lah", "kah", "ku", "mu", "kannya", "annya", "pun"]


def _vocabulary(n: int = 4000) -> list[str]:
    """Affixed forms of Sastrawi's own root words, plus every word of the seeds.

    Roots from the dictionary exercise the rules' consonant/vowel branches (meng-
    before a vowel, mem- before b/f/v, infixes -el-/-em-/-er-/-in-); random
    prefix/suffix pairs reach combinations that real text rarely shows.
    """
    stemmer = indonesian._sastrawi()
    roots = sorted(stemmer.dictionary.words)
    rng = random.Random(20240630)
    words = {rng.choice(PREFIXES) + rng.choice(roots) + rng.choice(SUFFIXES) for _ in range(n)}
    for root in rng.sample(roots, 300):  # infix rules: C + el/em/er/in + rest
        if len(root) > 2 and root[0] not in "aiueo":
            words.update(root[0] + infix + root[1:] for infix in ("el", "em", "er", "in"))
    for path in SEEDS.glob("*.txt"):
        words.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    return sorted(w for w in words if len(w) >= indonesian.MIN_STEM_LEN)


@pytest.fixture(scope="module")
def stems_both_ways():
    stemmer = indonesian._sastrawi()  # installs the speed-ups
    words = _vocabulary()
    fast = [stemmer.stem_word(w) for w in words]
    sastrawi_speedups.uninstall_guards()
    try:
        original = [stemmer.stem_word(w) for w in words]
    finally:
        sastrawi_speedups.install(stemmer)
    return words, fast, original


def test_guarded_prefix_loop_gives_sastrawis_stems(stems_both_ways):
    words, fast, original = stems_both_ways
    assert len(words) > 4000
    diffs = [(w, f, o) for w, f, o in zip(words, fast, original) if f != o]
    assert diffs == []


def test_vocabulary_reaches_the_prefix_rules(stems_both_ways):
    # Guard against an equivalence test that passes because nothing was stemmed.
    words, fast, _ = stems_both_ways
    changed = sum(1 for w, f in zip(words, fast) if f != w)
    assert changed > len(words) // 2


def test_all_regex_prefix_rules_get_a_guard():
    # Rule 4 (belajar -> ajar) compares the whole word, without a regex: it always runs.
    stemmer = indonesian._sastrawi()
    guards = [getattr(v, sastrawi_speedups.GUARD) for v in stemmer.visitor_provider.get_prefix_visitors()]
    assert sum(g is not None for g in guards) == len(guards) - 1 >= 40


@pytest.mark.parametrize("word, stem", [
    ("berhubungan", "hubung"), ("mempermainkan", "main"), ("pengetahuan", "tahu"),
    ("menyapu", "sapu"), ("belajar", "ajar"), ("kedudukan", "duduk"), ("dibawanya", "bawa"),
])
def test_known_stems_with_speedups(word, stem):
    assert indonesian._sastrawi().stem_word(word) == stem


def _shims() -> list:
    import sys
    return [m for name, m in list(sys.modules.items())
            if name.startswith("Sastrawi.") and isinstance(getattr(m, "re", None), sastrawi_speedups._PrecompiledRe)]


def test_the_regex_stand_in_gives_res_stems_and_keeps_only_sastrawis_patterns():
    """Sastrawi passes each removed stem to re.sub as a pattern: the stand-in removes it as
    text (the same stem) and does not keep one compiled pattern per word it has seen."""
    stemmer = indonesian._sastrawi()
    modules = _shims()
    assert modules and len({id(m.re) for m in modules}) == 1
    shim = modules[0].re
    words = _vocabulary(6000)
    fast = [stemmer.stem_word(w) for w in words]
    for m in modules:
        m.re = re
    try:
        plain = [stemmer.stem_word(w) for w in words]
    finally:
        for m in modules:
            m.re = shim
    assert [(w, f) for w, f, p in zip(words, fast, plain) if f != p] == []
    assert len(words) > 5000 and len(shim._compiled) < 400
    assert shim.sub("kan", "", "makanan", count=1) == re.sub("kan", "", "makanan", count=1) == "maan"
    assert shim.sub("a.", "", "aXba") == re.sub("a.", "", "aXba") == "ba"
