"""analyzers/hazm_lexicon.py: the memory-mapped trie gives Hazm's own answers for every
word and verb form, costs each process almost no heap, and is rebuilt when damaged."""

import tracemalloc

import pytest

from analyzers import hazm_lexicon

ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """A lexicon that load() built again over a damaged cache file (Hazm, a few seconds)."""
    cache = tmp_path_factory.mktemp("lexicon-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINTAS_CACHE", str(cache))
        path = hazm_lexicon.cache_path()
        path.write_bytes(b"lintasHZ" + b"\0" * 100)  # a header cut short: damaged
        lexicon = hazm_lexicon.load()
        yield path, lexicon


@pytest.fixture(scope="module")
def hazm_lemmatizer():
    from hazm import Lemmatizer

    return Lemmatizer(joined_verb_parts=False)  # as hazm_lexicon.build makes it


def test_a_damaged_cache_is_built_again_whole(rebuilt):
    path, lexicon = rebuilt
    assert path.stat().st_size > 1_000_000
    assert hazm_lexicon.open_file(path) is not None
    assert lexicon.verb("می" + ZWNJ + "روم") == "رفت#رو"
    assert not list(path.parent.glob("*.tmp"))


def test_every_word_and_verb_form_answers_as_hazms_tables(rebuilt, hazm_lemmatizer):
    _path, lexicon = rebuilt
    words, verbs = hazm_lemmatizer.words, hazm_lemmatizer.verbs
    keys = set(words) | set(verbs)
    assert len(keys) > 500_000
    wrong = [k for k in keys
             if lexicon.lookup(k) != (bool(k in words and words[k][0]), k in words, verbs.get(k))]
    assert wrong[:5] == []
    assert lexicon.stem_ends == tuple(hazm_lemmatizer.stemmer.ends)


@pytest.mark.parametrize("word, attested, known, verb", [
    ("کتاب", True, True, None),
    ("کتابها", False, True, None),  # an informal spelling: frequency 0
    ("کتاب" + ZWNJ + "ها", False, False, None),
    ("خانه" + ZWNJ + "ها", False, True, None),  # a ZWNJ plural Hazm lists whole
    ("میشود", False, True, None),
    ("می" + ZWNJ + "شود", False, False, "شد#شو"),
    ("می" + ZWNJ + "روم", False, False, "رفت#رو"),
    ("", False, False, "#هست"),  # Hazm's verb table has an empty form
    ("کتابخ", False, False, None),  # absent: a prefix of a key
    ("کتابهاا", False, False, None),  # absent: a key plus a letter
    ("ketab", False, False, None),
    (ZWNJ, False, False, None),
])
def test_edge_cases_answer_as_hazm(rebuilt, hazm_lemmatizer, word, attested, known, verb):
    _path, lexicon = rebuilt
    words, verbs = hazm_lemmatizer.words, hazm_lemmatizer.verbs
    assert (bool(word in words and words[word][0]), word in words, verbs.get(word)) == \
        (attested, known, verb)  # the expectation is Hazm's own
    assert lexicon.lookup(word) == (attested, known, verb)
    assert (lexicon.attested(word), lexicon.known(word), lexicon.verb(word)) == (attested, known, verb)


def test_any_damaged_byte_or_cut_is_refused(rebuilt, tmp_path):
    path, _lexicon = rebuilt
    data = path.read_bytes()
    for name, bad in [("cut", data[:-1]), ("longer", data + b"\0"), ("empty", b""),
                      ("trie byte", _flip(data, 1000)), ("entry byte", _flip(data, len(data) - 9000)),
                      ("meta byte", _flip(data, len(data) - 3))]:
        copy = tmp_path / name
        copy.write_bytes(bad)
        assert hazm_lexicon.open_file(copy) is None, name
    assert hazm_lexicon.open_file(tmp_path / "absent") is None


def test_opening_the_lexicon_maps_the_file_instead_of_copying_it(rebuilt):
    path, _lexicon = rebuilt
    tracemalloc.start()
    try:
        lexicon = hazm_lexicon.open_file(path)
        lexicon.lookup("کتاب")
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The file is read once to check it, then freed: the heap keeps only the 685 verb
    # stems and the stem suffixes (the same tables as Python objects took 72 MB).
    assert lexicon is not None and held < 300_000
    with open("/proc/self/maps") as fh:
        assert str(path) in fh.read()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
