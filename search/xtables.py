"""The key tables of cross-script search (search/xscript.py), kept by segment.

Persian body terms by coarse key, and the index's Latin names (analyzers/names.py)
by coarse key with their counts. A Whoosh segment never changes once written, so
the tables of an index generation are layers over its segments: a base layer over
most of them, then one layer per segment written after the base (the HTTP writer
commits every second or so; `lintas index` adding to an index writes a few). A new
generation reuses every layer whose segments are still there and builds layers
only for its new segments: milliseconds for a writer's batch, where the whole
tables of a 10k index took 0.7 s and every search worker rebuilt them at every
commit. The base is rebuilt over everything when a merge took one of its segments,
or when the layers after it outgrow REBASE_SHARE of it.

`lintas index` / `lintas delete` store the layers at commit time beside the
segments (`xscript-<generation>.pickle`), with the dictionary gate
(analyzers/dictionary.py) and CLDR's names (search/exonyms.py): a server worker
loads that file and never reads the word lists or Babel itself. The HTTP writer
stores the layer of each segment it commits (`<segment id>.xlayer`, which Whoosh
deletes with its segment when a merge takes it): each search worker loads it
instead of building it (tens of ms per commit, per worker, while the worker's
other searches of that generation waited on the tables lock).
"""

from __future__ import annotations

import logging
import pickle
import re
import threading
from pathlib import Path

from analyzers import analyzer_for, dictionary
from analyzers.names import name_term
from analyzers.translit import coarse_key, fa_units, is_plain_persian, latin_units

from . import exonyms, files, sidecar
from .schema import NAME_LANGS, body_field, names_field

# A Latin term is a name when at least this many of its uses were capitalized
# mid-sentence, and they are at least NAME_SHARE of all its uses in the body.
MIN_CAPITALIZED = 2
NAME_SHARE = 0.6
# The base is rebuilt when the layers after it hold more than this share of its
# documents, or are more than MAX_LAYERS (each costs a dict lookup per query word).
REBASE_SHARE = 0.25
MAX_LAYERS = 48
USES_CACHE = 20_000  # body frequencies a layer remembers (search/xscript.py asks per query word)
NAMES_CACHE = 20_000  # coarse keys whose names a generation's tables remember
FORMAT = 2  # of the stored file; another one is rebuilt, not trusted
_SIDECAR = re.compile(r"xscript-(\d+)\.pickle")
LAYER_EXT = ".xlayer"

log = logging.getLogger("lintas.xtables")

_lock = threading.Lock()
_known: dict[str, list[Layer]] = {}  # index directory -> its newest layers, in this process
_tables: dict[str, "Tables"] = {}  # index directory -> the tables load() made last


def _segment_id(leaf) -> str:
    return leaf.segment().segment_id()


class Layer:
    """The key tables of some segments.

    The base (`filtered`) keeps only the Latin terms that are names by its own
    counts; a later layer keeps every candidate with its counts, and Tables adds
    them up with the base's. (A name that the base dropped for having a single
    capitalized use stays out until the next rebase: the gate errs on precision.)
    """

    def __init__(self, leaves, schema, filtered: bool):
        self.segments = frozenset(_segment_id(leaf) for leaf in leaves)
        self.docs = sum(leaf.doc_count_all() for leaf in leaves)
        self.filtered = filtered
        self.fa: dict[str, list[str]] = {}
        self.names: dict[str, dict[str, list[str]]] = {lang: {} for lang in NAME_LANGS}
        # lang -> term -> capitalized uses (its body uses are read from the reader)
        self.counts: dict[str, dict[str, float]] = {lang: {} for lang in NAME_LANGS}
        if body_field("fa") in schema:
            terms: set[bytes] = set()
            for leaf in leaves:
                terms.update(leaf.lexicon(body_field("fa")))
            for btext in terms:
                t = btext.decode("utf-8")
                if is_plain_persian(t):
                    self.fa.setdefault(coarse_key(fa_units(t)), []).append(t)
        for lang in NAME_LANGS:
            fname, body = names_field(lang), body_field(lang)
            if fname not in schema:
                continue
            capitalized: dict[bytes, float] = {}
            for leaf in leaves:
                for btext, info in leaf.iter_field(fname):
                    capitalized[btext] = capitalized.get(btext, 0.0) + info.weight()
            table, counts = self.names[lang], self.counts[lang]
            for btext, n in capitalized.items():
                t = btext.decode("utf-8")
                if not name_term(t):  # indexes written before the tokenizer filtered
                    continue
                if filtered and not _is_name(n, sum(leaf.frequency(body, btext) for leaf in leaves)):
                    continue
                counts[t] = n
                for r in latin_units(t):
                    table.setdefault(coarse_key(r), []).append(t)


    def uses(self, fieldname: str, term: str, leaves: dict) -> float:
        """How often `term` occurs in `fieldname` in this layer's segments (`leaves`: segment
        id -> leaf reader of the current generation), remembered."""
        cache = self.__dict__.setdefault("_uses", {})
        key = (fieldname, term)
        found = cache.get(key)
        if found is None:
            found = 0.0
            for sid in self.segments:
                leaf = leaves.get(sid)
                try:
                    found += _frequency(leaf, fieldname, term) if leaf is not None else 0.0
                except (KeyError, ValueError):  # not a term this field can hold
                    pass
            if len(cache) >= USES_CACHE:
                cache.clear()
            cache[key] = found
        return found

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_uses", None)  # derived at query time: not stored
        return state


def _frequency(leaf, fieldname: str, term: str) -> float:
    """leaf.frequency(fieldname, term): from the segment's sidecar where its weights
    are the occurrence counts (a slice of its directory, not Whoosh's hashed lookup,
    ~100 us, for each name of a query word's key in each new layer)."""
    fp = sidecar.field_of(leaf, fieldname)
    if fp is None or fp.tfs is not None:
        return leaf.frequency(fieldname, term)
    t, a, b = fp.lookup(leaf.schema[fieldname].to_bytes(term))
    if t < 0:
        return 0.0
    return float(fp.occ[b] - fp.occ[a])


def _is_name(capitalized: float, uses: float) -> bool:
    return capitalized >= MIN_CAPITALIZED and capitalized >= NAME_SHARE * uses


class Tables:
    """The key tables of one index generation: its layers, and documents per language."""

    def __init__(self, layers: list[Layer], reader, prev: "Tables | None" = None):
        self.layers = layers
        self.generation = reader.generation()
        # Documents per language: the denominators of xscript's share test.
        self.docs = {lang: max(1, reader.doc_frequency("lang", lang)) for lang in ("fa", *NAME_LANGS)}
        self._display: dict[tuple[str, str], str] = {}
        # latin_names by (lang, key): over many layers it sums every candidate's counts
        # layer by layer, and a generation's query stream asks for the same keys again.
        self._names: dict[tuple[str, str], list[str]] = {}
        # Per (lang, key): each candidate's (capitalized uses, body uses) summed over the
        # layers. A commit appends a layer: the next generation adds only its part to
        # these sums (the same floats, added in the same order), not every layer's again.
        self._sums: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
        self._prev = None
        if prev is not None and 0 < len(prev.layers) <= len(layers) \
                and all(a is b for a, b in zip(prev.layers, layers)):
            self._prev = (prev._sums, len(prev.layers))  # its dict only: no chain of tables
        self._lock = threading.Lock()

    def persian(self, key: str) -> list[str]:
        """The index's Persian terms of a coarse key."""
        if len(self.layers) == 1:
            return self.layers[0].fa.get(key, [])
        found: dict[str, None] = {}
        for layer in self.layers:
            found.update(dict.fromkeys(layer.fa.get(key, ())))
        return list(found)

    def latin_names(self, lang: str, key: str, reader) -> list[str]:
        """The Latin terms of `lang` of a coarse key that are names of the index."""
        if len(self.layers) == 1 and self.layers[0].filtered:
            return self.layers[0].names[lang].get(key, [])
        names = self._names.get((lang, key))
        if names is None:
            names = self._latin_names(lang, key, reader)
            if len(self._names) >= NAMES_CACHE:
                self._names.clear()  # a bound, not an LRU; get and set are atomic
            self._names[(lang, key)] = names
        return names

    def _latin_names(self, lang: str, key: str, reader) -> list[str]:
        leaves = _leaves(reader)
        body = body_field(lang)
        done = self._prev[0].get((lang, key)) if self._prev is not None else None
        first = self._prev[1] if done is not None else 0
        sums = dict(done) if done is not None else {}
        for layer in self.layers[first:]:
            for t in layer.names[lang].get(key, ()):
                if t not in sums:  # a new candidate: its sums over every layer
                    sums[t] = (sum(la.counts[lang].get(t, 0.0) for la in self.layers),
                               # The body uses summed layer by layer, each remembered by its
                               # layer (which outlives generations), not reader.frequency: that
                               # looked the term up in every segment at every query.
                               sum(la.uses(body, t, leaves) for la in self.layers))
        for t in list(sums):
            if done is not None and t in done:  # the appended layers' part
                n, uses = done[t]
                for layer in self.layers[first:]:
                    n += layer.counts[lang].get(t, 0.0)
                    uses += layer.uses(body, t, leaves)
                sums[t] = (n, uses)
        if len(self._sums) >= NAMES_CACHE:
            self._sums.clear()
        self._sums[(lang, key)] = sums
        return [t for t, (n, uses) in sums.items() if _is_name(n, uses)]

    def display(self, lang: str, term: str, first_form) -> str:
        """How the documents write an index term (`first_form(lang, term)`), cached."""
        key = (lang, term)
        found = self._display.get(key)
        if found is None:
            found = first_form(lang, term) or term
            with self._lock:
                if len(self._display) > 10_000:
                    self._display.clear()
                self._display[key] = found
        return found


def build(reader) -> Tables:
    """Tables of one base layer over every segment of `reader`, built now."""
    preload()
    return Tables([Layer(_leaves(reader).values(), reader.schema, filtered=True)], reader)


def load(index_dir, reader) -> Tables:
    """The tables of `reader`'s generation: the layers known here or stored, plus what is new."""
    key = str(Path(index_dir).resolve())
    with _lock:
        # This generation's own file first (another process's `lintas index` may have
        # added much since), then what this process built, then the newest file.
        layers = _stored(index_dir, reader.generation()) or _known.get(key) or _stored(index_dir)
        preload()
        layers = _fit(layers, _leaves(reader), reader.schema, index_dir)
        _known[key] = layers
        tables = _tables[key] = Tables(layers, reader, _tables.get(key))
    return tables


def save(index_dir, ix) -> None:
    """Store the tables of the index's newest generation beside its segments; older ones go.

    Called after `lintas index` / `lintas delete` commit, so that servers load them
    instead of each building them (seconds at 100k documents).
    """
    with ix.reader() as reader:
        generation = reader.generation()
        if generation is None:
            return
        tables = load(index_dir, reader)
    payload = {"format": FORMAT, "generation": generation, "layers": tables.layers,
               "gate": dictionary.words(), "cldr": exonyms.pairs()}
    path = Path(index_dir) / f"xscript-{generation}.pickle"
    with files.atomic_write(path) as fh:  # whole or absent: a reader never sees half a file
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    for old in Path(index_dir).glob("xscript-*.pickle*"):
        if old != path:
            old.unlink(missing_ok=True)


def save_layers(index_dir, reader, segment_ids) -> None:
    """Store the layer of each of `segment_ids` (segments of `reader` a commit has just
    written) beside it, for the search workers to load."""
    preload()
    for sid, leaf in _leaves(reader).items():
        if sid in segment_ids:
            _write_layer(_layer_path(index_dir, sid), Layer([leaf], reader.schema, filtered=False))


def save_segment_layer(index_dir, schema, segment) -> None:
    """Store the layer of `segment`, whose files are written but which no TOC names yet
    (the HTTP writer's batch, a background merge's output): a search worker that sees
    it then loads the layer, where it would otherwise build it, each worker the same.
    Derived: a failure is logged and the workers build the layer instead."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.reading import SegmentReader

    try:
        preload()
        leaf = SegmentReader(FileStorage(str(index_dir)), schema, segment)
        try:
            layer = Layer([leaf], schema, filtered=False)
        finally:
            leaf.close()
        _write_layer(_layer_path(index_dir, segment.segment_id()), layer)
    except Exception:  # noqa: BLE001 - never a failed commit or merge for a derived file
        log.exception("no cross-script layer stored for segment %s", segment.segment_id())


def restamp_layer(path, sid: str) -> None:
    """A stored layer renamed to segment `sid` (a merge's output gets its id at the swap)."""
    try:
        with open(path, "rb") as fh:
            layer = pickle.load(fh)["layer"]
        layer.segments = frozenset({sid})
    except Exception:  # noqa: BLE001 - an unusable one: the workers build the layer instead
        Path(path).unlink(missing_ok=True)
        return
    _write_layer(path, layer)


def has_layer(index_dir, sid: str) -> bool:
    return _layer_path(index_dir, sid).exists()


def _write_layer(path, layer: Layer) -> None:
    with files.atomic_write(path) as fh:
        pickle.dump({"format": FORMAT, "layer": layer}, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _layer_path(index_dir, sid: str) -> Path:
    return Path(index_dir) / f"{sid}{LAYER_EXT}"


def _layer(index_dir, sid: str, leaf, schema) -> Layer:
    """One segment's layer: the stored one if the writer left a good one, else built now."""
    try:
        with open(_layer_path(index_dir, sid), "rb") as fh:
            payload = pickle.load(fh)
        layer = payload["layer"]
        if payload.get("format") == FORMAT and isinstance(layer, Layer) and layer.segments == {sid}:
            return layer
    except Exception:  # noqa: BLE001 - none (a bulk segment), half-written or another version's: build
        pass
    return Layer([leaf], schema, filtered=False)


def _leaves(reader) -> dict:
    if reader.generation() is None:
        return {}
    return {_segment_id(leaf): leaf for leaf, _offset in reader.leaf_readers()}


def _fit(layers: list[Layer], leaves: dict, schema, index_dir) -> list[Layer]:
    """`layers` cut to the segments of `leaves`, with a layer for each segment they miss."""
    current = set(leaves)
    if not layers or not layers[0].segments <= current:
        return [Layer(leaves.values(), schema, filtered=True)]
    kept = [layer for layer in layers if layer.segments <= current]  # merged-away ones go
    covered = set().union(*(layer.segments for layer in kept))
    kept += [_layer(index_dir, sid, leaf, schema) for sid, leaf in leaves.items() if sid not in covered]
    base, later = kept[0], kept[1:]
    if len(later) > MAX_LAYERS or sum(layer.docs for layer in later) > REBASE_SHARE * max(1, base.docs):
        return [Layer(leaves.values(), schema, filtered=True)]
    return kept


def _stored(index_dir, generation: int | None = None) -> list[Layer]:
    """The layers of the stored file of `generation` (None: the newest one), adopting its gate
    and CLDR names; [] if there is none or it is unusable."""
    files = []
    for p in Path(index_dir).glob("xscript-*.pickle"):
        m = _SIDECAR.fullmatch(p.name)
        if m and (generation is None or int(m.group(1)) == generation):
            files.append((int(m.group(1)), p))
    for _gen, path in sorted(files, reverse=True)[:1]:
        try:
            with open(path, "rb") as fh:
                payload = pickle.load(fh)
            if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
                return []
            layers = payload["layers"]
            if not (isinstance(layers, list) and all(isinstance(layer, Layer) for layer in layers)):
                return []
        except Exception:  # noqa: BLE001 - another version's or unreadable: build instead
            return []
        dictionary.adopt(payload.get("gate"))
        exonyms.adopt(payload.get("cldr"))
        return layers
    return []


def preload() -> None:
    """Load what a query would otherwise wait for, with the index, not inside a query's time budget."""
    dictionary.words()
    exonyms.pairs()
    list(analyzer_for("fa")("ایران"))  # Hazm's tables: Latin names are analyzed as Persian too
