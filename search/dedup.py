"""Near-duplicate articles (syndicated copies, re-posts): MinHash over word shingles.

At index time each document gets a signature of its text's 3-word shingles
(datasketch's MinHash, 128 permutations, over a hash of our own), cut into 16 bands of 8 rows: two
documents whose shingle sets have a Jaccard similarity s share at least one
band with probability 1 - (1 - s^8)^16, i.e. 0.5 at s = 0.72, 0.98 at s = 0.85,
under 0.01 at s = 0.5. The band keys are indexed (field `lsh`), and the
document joins the cluster of the already indexed documents it shares most bands
with, or starts its own; the cluster label (field `dup`, a column) is what a
search folds on. A cluster is labelled by the content hash of its first
member, so an article edited out of its cluster no longer drags the others along.

datasketch enters the project here and nowhere else.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter

import numpy as np

from analyzers.words import surface_words

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
# Fewer distinct shingles than this and two unrelated short texts (a headline, a
# one-line brief) collide too easily: such documents stay their own cluster.
MIN_SHINGLES = 8
SEED = 1
SCHEME = "affine32"

_PERMUTATIONS = None


def _permutations():
    """datasketch's (a, b) of its affine permutations, and its MurmurHash3 finalizer's constants."""
    global _PERMUTATIONS
    if _PERMUTATIONS is None:
        from datasketch import MinHash
        from datasketch.minhash import _FMIX_CONSTANTS

        # Named, not left to the default: a new default scheme would silently
        # change every signature and split clusters across an upgrade.
        a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
        _PERMUTATIONS = (a.astype(np.uint32), b.astype(np.uint32), _FMIX_CONSTANTS[32])
    return _PERMUTATIONS


def shingles(text: str, words: list[str] | None = None) -> set[bytes]:
    """The text's runs of SHINGLE_WORDS surface words, UTF-8, space-separated (the whole
    text when it has fewer words). `words`: surface_words(text), if the caller has them.
    What a signature hashes (shingle_hash of each), for tests and tuning."""
    if words is None:
        words = surface_words(text)
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    enc = _encoded(words)
    return {b" ".join(run) for run in zip(*(enc[i:] for i in range(SHINGLE_WORDS)))}


def _encoded(words: list[str]) -> list[bytes]:
    # Encoded once and split: surface words hold no space.
    return " ".join(words).encode().split(b" ")


# A shingle's 32-bit hash: its words' CRC-32s, each times its own odd 64-bit constant,
# xor-ed, then mixed (splitmix64's multiply and shifts) and cut to 32 bits. Word by word,
# so that a text's shingles are hashed as whole arrays: a SHA-1 call per shingle (what
# datasketch's default does) was 60 % of a signature, and the signatures of a sharded
# build are all computed by its one coordinator, the part of the build that does not
# grow with the workers.
_WORD_MULT = tuple(np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9))
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def _shingle_hashes(words: list[str]) -> np.ndarray:
    """shingle_hash of each run of SHINGLE_WORDS words, distinct (none for fewer words)."""
    n = len(words) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint32)
    h = np.fromiter(map(zlib.crc32, _encoded(words)), dtype=np.uint64, count=len(words))
    with np.errstate(over="ignore"):
        x = h[:n] * _WORD_MULT[0]
        for i in range(1, SHINGLE_WORDS):
            x ^= h[i:i + n] * _WORD_MULT[i]
        x ^= x >> np.uint64(30)
        x *= _MIX
        x ^= x >> np.uint64(31)
    return np.unique(x.astype(np.uint32))


def shingle_hash(shingle: bytes) -> int:
    """One shingle's hash, as signature computes it for all of a text's at once (the
    hash function datasketch's MinHash is given in tests/search/test_dedup.py)."""
    words = shingle.decode().split(" ")
    if len(words) != SHINGLE_WORDS:
        raise ValueError(f"a shingle is {SHINGLE_WORDS} words, not {len(words)}: {shingle!r}")
    return int(_shingle_hashes(words)[0])


def signature(text: str, words: list[str] | None = None) -> np.ndarray | None:
    """The MinHash of the text's shingles; None when the text is too short to compare.

    datasketch's MinHash (scheme affine32) with shingle_hash as its hash function,
    computed here over all of a text's shingles at once (tests/search/test_dedup.py
    compares the values with datasketch's).
    """
    hv = _shingle_hashes(surface_words(text) if words is None else words)
    if len(hv) < MIN_SHINGLES:
        return None
    a, b, (s1, m1, s2, m2, s3) = _permutations()
    # MurmurHash3's finalizer, then h -> a * h + b mod 2^32 per permutation (uint32 wraps).
    hv ^= hv >> np.uint32(s1)
    hv *= np.uint32(m1)
    hv ^= hv >> np.uint32(s2)
    hv *= np.uint32(m2)
    hv ^= hv >> np.uint32(s3)
    return (hv[:, None] * a + b).min(axis=0)


def band_keys(sig: np.ndarray) -> list[str]:
    """One short key per band: equal keys mean those 8 rows of the signatures agree."""
    rows = np.asarray(sig, dtype=np.uint64).reshape(BANDS, ROWS)
    return [f"{b:x}{hashlib.blake2b(rows[b].tobytes(), digest_size=8).hexdigest()}" for b in range(BANDS)]


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two texts' shingles (for tests and tuning)."""
    sa, sb = signature(a), signature(b)
    if sa is None or sb is None:
        return 0.0
    return float(np.mean(sa == sb))


# A key looked up through Whoosh's term table costs about twice a key read into the codes.
LOOKUP_OVER_READ = 2
FILTER_KEYS = 400_000  # band keys of a big segment at most, for BandTable.in_big's filter


class BandTable:
    """Band key -> cluster label for the index's small segments, in memory.

    The HTTP writer (search/writer.py) commits a small segment every second or so;
    looking each new document's 16 band keys up through a reader of 20-odd segments
    cost 12.8 ms a document (every key in every segment). The writer keeps this table
    of the small segments instead (refreshed from each new reader: a segment of a
    batch holds a few hundred keys) and looks keys up only in the big segments.
    """

    def __init__(self, small_docs: int, lazy: bool = False):
        self.small_docs = small_docs
        # lazy: a segment's codes are read only once the keys looked up in it would have
        # cost about as much (a run adding a few documents to a big index reads none).
        self.lazy = lazy
        self._asked: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.segments: set[str] = set()
        # A big segment's band keys as sorted 64-bit codes (8 bytes a key): a key not
        # there needs no term lookup, and nearly every key of a new document is in no big
        # segment. Looked up through Whoosh's term table, 16 keys in each of two big
        # segments cost the writer ~1 ms a document. Reading a segment's keys costs ~4 us
        # a key, once per segment: past FILTER_KEYS (~25k documents, ~1.5 s) a segment
        # is left to the lookups, so a writer starting on a big archive does not stall.
        self._big_codes: dict[str, np.ndarray | None] = {}

    def refresh(self, reader) -> None:
        """Cover the small segments of `reader`; start over when one covered was merged away."""
        leaves = {leaf.segment().segment_id(): leaf for leaf, _offset in _leaves(reader)}
        for gone in set(self._big_codes) - set(leaves):
            del self._big_codes[gone]
        if not self.segments <= set(leaves):
            self.labels.clear()
            self.segments.clear()
        for sid, leaf in leaves.items():
            if sid in self.segments or not self.covers(leaf) or "lsh" not in leaf.schema:
                continue
            column = leaf.column_reader("dup")
            for btext in leaf.lexicon("lsh"):
                for docnum in leaf.postings("lsh", btext).all_ids():
                    if not leaf.is_deleted(docnum):
                        self.labels.setdefault(btext.decode(), column[docnum])
            self.segments.add(sid)

    def covers(self, leaf) -> bool:
        return leaf.doc_count_all() < self.small_docs

    def add(self, segid: str, keys: list[tuple[list[str], str]]) -> None:
        """Cover a small segment just written from its documents' (band keys, label), in
        docnum order: what refresh() would read back from it."""
        if len(keys) >= self.small_docs:
            return
        labels = self.labels
        for band, label in keys:
            for k in band:
                labels.setdefault(k, label)
        self.segments.add(segid)

    def in_big(self, leaf, keys: list[str]) -> list[str]:
        """Those of `keys` the big segment `leaf` may hold (all of them when its keys are
        not of band_keys' form); a segment's files never change, so its codes are kept."""
        segid = leaf.segment().segment_id()
        if segid not in self._big_codes:
            if leaf.doc_count_all() * BANDS > FILTER_KEYS:
                self._big_codes[segid] = None
                return keys
            if self.lazy:
                asked = self._asked[segid] = self._asked.get(segid, 0) + len(keys)
                if asked * LOOKUP_OVER_READ < leaf.doc_count_all() * BANDS:
                    return keys
            found = _codes(btext.decode() for btext in leaf.lexicon("lsh"))
            self._big_codes[segid] = None if found is None else np.sort(found)
        codes = self._big_codes[segid]
        wanted = _codes(keys)
        if codes is None or wanted is None:
            return keys
        if not len(codes):
            return []
        at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return [k for k, hit in zip(keys, codes[at] == wanted) if hit]


def _codes(keys) -> np.ndarray | None:
    """Band keys (band digit, 16 hex digits) as uint64, in order: the band in the top bits.
    Two keys may share a code (then both are looked up); None for a key of another form."""
    try:
        found = [int(k[1:], 16) ^ (int(k[0], 16) << 60) for k in keys]
    except ValueError:
        return None
    if any(c >> 64 for c in found):
        return None
    return np.array(found, dtype=np.uint64)


def _leaves(reader):
    return reader.leaf_readers() if reader.doc_count_all() else []


class Clusterer:
    """Assigns each document indexed in one run its cluster label.

    `reader` is the index as committed before the run (None for a rebuild); the
    run's own documents are remembered here until `committed(reader)` hands over
    a reader that holds them. With `bands` (refreshed for `reader`), keys are looked
    up there for the segments it covers and through the reader for the others.
    """

    def __init__(self, reader=None, bands: BandTable | None = None, pending=None):
        self._reader = reader
        self._bands = bands
        # The run's own keys not yet in a reader: a dict, or (a sharded build's
        # coordinator, whose run is never committed under it) search/run_bands.py.
        self._pending = pending if pending is not None else _Pending()
        # One column reader per index reader: opening one reads the column's whole
        # offset table (~1 ms at 10k documents), once per document otherwise.
        self._column = None
        self._big = None

    def committed(self, reader) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader = reader
        self._column = None
        self._big = None  # (column, leaf reader) of the segments `bands` does not cover
        self._pending.clear()

    def close(self) -> None:
        self.committed(None)

    def fields(self, text: str, digest: str, words: list[str] | None = None) -> dict[str, str]:
        """The `lsh` and `dup` fields of a document with this text and content hash
        (`words`: the text's surface words, if the caller has them)."""
        own = digest[:16]
        sig = signature(text, words)
        if sig is None:
            return {"dup": own}
        keys = band_keys(sig)
        votes = Counter(self._pending.labels(keys))
        votes.update(self._indexed_labels(keys))
        label = votes.most_common(1)[0][0] if votes else own
        self._pending.remember(keys, label)
        return {"lsh": " ".join(keys), "dup": label}

    def _indexed_labels(self, keys: list[str]) -> list[str]:
        reader = self._reader
        if reader is None or reader.doc_count() == 0:
            return []
        if self._bands is not None:
            return self._banded_labels(keys)
        labels = []
        for k in keys:
            if ("lsh", k) not in reader:
                continue
            if self._column is None:
                self._column = reader.column_reader("dup")
            column = self._column
            for docnum in reader.postings("lsh", k).all_ids():
                if not reader.is_deleted(docnum):
                    labels.append(column[docnum])
        return labels

    def _banded_labels(self, keys: list[str]) -> list[str]:
        bands = self._bands
        labels = [bands.labels[k] for k in keys if k in bands.labels]
        if self._big is None:
            self._big = [(leaf.column_reader("dup"), leaf) for leaf, _offset in _leaves(self._reader)
                         if not bands.covers(leaf)]
        for column, leaf in self._big:
            for k in bands.in_big(leaf, keys):
                if ("lsh", k) not in leaf:
                    continue
                for docnum in leaf.postings("lsh", k).all_ids():
                    if not leaf.is_deleted(docnum):
                        labels.append(column[docnum])
        return labels


class _Pending:
    """Band key -> label of a run's documents (the first label a key got stays)."""

    def __init__(self):
        self._mem: dict[str, str] = {}

    def labels(self, keys: list[str]) -> list[str]:
        mem = self._mem
        return [mem[k] for k in keys if k in mem]

    def remember(self, keys: list[str], label: str) -> None:
        for k in keys:
            self._mem.setdefault(k, label)

    def clear(self) -> None:
        self._mem.clear()


class Given:
    """A Clusterer whose answers were computed by another process (by content hash)."""

    def __init__(self, fields_by_digest: dict[str, dict]):
        self._fields = fields_by_digest

    def fields(self, text: str, digest: str, words: list[str] | None = None) -> dict[str, str]:
        return self._fields[digest]

    def committed(self, reader) -> None:
        pass  # the labels came with the documents: nothing to learn from a commit

    def close(self) -> None:
        pass  # holds no reader or process
