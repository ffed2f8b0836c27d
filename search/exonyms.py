"""Standard names of countries, territories and cities in fa, id and en, from CLDR (Babel).

Germany/Jerman and آلمان, Egypt/Mesir and مصر share no letters: no transliteration
finds them, and a hand-written list would be ours to maintain. CLDR is maintained
by the Unicode consortium and ships inside Babel: its territory names (294) and
the exemplar cities of its time zones (419 with a Persian name) in the three
languages give the pairs. Everything else comes from the matcher (search/xscript.py).

The pairs (a few thousand short strings) are stored with the index's key tables
(search/xtables.py) at commit time: a server worker then adopts them and never
loads Babel's locale data (measured: 4-6 MB of resident memory per process).
"""

from __future__ import annotations

import threading

from analyzers.common import normalize_chars
from analyzers.persian import fold_term

_lock = threading.Lock()
_pairs: tuple[dict, dict] | None = None


def words(name: str) -> tuple[str, ...]:
    """A name as the tuple of its normalized, lowercased words (ZWNJ as a space)."""
    text, _ = normalize_chars(name.replace("\u200c", " "))
    return tuple(fold_term(w) for w in "".join(c if c.isalnum() else " " for c in text).split())


def _load() -> tuple[dict, dict]:
    from babel import Locale
    from babel.dates import get_timezone_location

    fa, others = Locale("fa"), (Locale("id"), Locale("en"))
    names: list[tuple[str, list[str]]] = []
    for code, fa_name in fa.territories.items():
        if not code.isalpha():
            continue  # 001, 150: the world and continents' numeric regions
        names.append((fa_name, [loc.territories.get(code) for loc in others]))
    for zone, data in fa.time_zones.items():
        city = data.get("city")
        if not city or zone.startswith("Etc/"):
            continue
        try:
            latin = [get_timezone_location(zone, locale=str(loc), return_city=True) for loc in others]
        except LookupError:  # a zone CLDR names but the time-zone database lacks
            continue
        names.append((city, latin))
    latin_to_fa: dict[tuple[str, ...], set[str]] = {}
    fa_to_latin: dict[tuple[str, ...], set[str]] = {}
    for fa_name, latin_names in names:
        for latin in latin_names:
            if not latin or not latin.isascii():
                continue
            latin_to_fa.setdefault(words(latin), set()).add(fa_name)
            fa_to_latin.setdefault(words(fa_name), set()).add(latin)
    return latin_to_fa, fa_to_latin


def _tables() -> tuple[dict, dict]:
    global _pairs
    if _pairs is None:
        with _lock:
            if _pairs is None:
                _pairs = _load()
    return _pairs


def pairs() -> tuple[dict, dict]:
    """(Latin words -> Persian names, Persian words -> Latin names), to store with the index."""
    return _tables()


def adopt(stored) -> None:
    """Use pairs stored with the index instead of reading Babel (if not read yet)."""
    global _pairs
    if _pairs is None and isinstance(stored, tuple) and len(stored) == 2 and stored[0]:
        with _lock:
            if _pairs is None:
                _pairs = stored


def persian_names(latin: tuple[str, ...]) -> set[str]:
    """CLDR's Persian names of a Latin name given as its words ('jerman',) -> {'آلمان'}."""
    return _tables()[0].get(latin, set())


def latin_names(persian: tuple[str, ...]) -> set[str]:
    """CLDR's Indonesian and English names of a Persian name given as its words."""
    return _tables()[1].get(persian, set())

