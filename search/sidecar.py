"""A segment's posting sidecar: its posting lists as flat arrays, read in slices.

Whoosh keeps a posting list as zlib'd pickles of 128 postings, and each
posting's positions as a pickle of its own: every process that reads one pays
the decoding, and keeps what it decoded in its own memory. The sidecar holds the
same lists (doc ids, term frequencies, positions, character spans) as plain
arrays, per field, with a sorted term directory. Nothing is decoded, and every
worker and thread of a server reads one copy: the kernel's page cache.

The file is read, not mapped (search/file_array.py: a query's slices are read
into buffers, the page cache keeps the file, and no worker's RSS counts it).
Mapped, at 1M articles a second of queries mapped ~2.2 GB into each worker,
one 2 MB folio per byte read, and dropping the pages every second (session 14)
still left 3.5-5.6 GB over the server's processes under load. In memory per
opened file: the field lengths (a byte a document) and every SAMPLE-th key of
the term directory, so a term is found with one read of SAMPLE keys.

One file per segment, `<segment id>.sidecar` in the index directory, derived
from the segment (search/sidecar_build.py writes it at commit time). Whoosh
stays the index of record: a sidecar that is missing, truncated, corrupt or of
another segment is not used (search/postings.py then decodes Whoosh's own
lists) until the next commit or `lintas index` writes it again.

Layout: MAGIC, a u32 header length, a JSON header (segment id, document count,
the segment files' sizes, the CRC-32 of the arrays, where each array is), then
the arrays, each at a 64-byte boundary.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
import threading
import time
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import codec, files
from .file_array import FileArray, OpenFile

EXT = ".sidecar"
MAGIC = b"LINTASPS"
VERSION = 1
ALIGN = 64
KEY_BYTES = 16  # the term directory's fixed-width keys: a term's first 16 bytes
# Seconds before a segment whose sidecar was missing or bad is looked at again
# (the writer may have written it since).
RECHECK_EVERY = 5.0
# Term lookups remembered per field of a segment (FieldPostings.found): ~100 bytes each.
FOUND_TERMS = 2048
# Every SAMPLE-th key of a term directory is kept in memory (16 bytes each): a
# lookup then reads one run of SAMPLE keys (1 KB) instead of a binary search's
# ~20 reads.
SAMPLE = 64
# Bytes of posting lists a process keeps from its recent reads (FieldPostings.lists),
# over every sidecar it has open; a list above an eighth of it is not kept.
LISTS_BYTES = 32 << 20
_lists: OrderedDict = OrderedDict()
_lists_bytes = [0]
_lists_lock = threading.Lock()
_tokens = itertools.count()


class BadSidecar(Exception):
    """A sidecar that does not match its segment, or is damaged: never used."""


def path_for(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{EXT}"


def expected(leaf) -> dict:
    """What a sidecar of this segment must say about it."""
    seg = leaf.segment()
    return {"segment": seg.segment_id(), "docs": seg.doc_count_all(),
            "files": codec.segment_fingerprint(leaf)}


# -- writing


def write(path: Path, identity: dict, fields: dict[str, dict[str, np.ndarray]]) -> None:
    """Write a sidecar atomically: a temporary file, fsynced, renamed over `path`.

    A process killed mid-write leaves a temporary file (removed by the next
    sync), never a sidecar that lies.
    """
    table, offset = {}, 0
    for fname, arrays in fields.items():
        for name, arr in arrays.items():
            offset = _aligned(offset)
            table[f"{fname}/{name}"] = [arr.dtype.str, offset, list(arr.shape)]
            offset += arr.nbytes
    crc = 0
    for arrays in fields.values():
        for arr in arrays.values():
            crc = zlib.crc32(_padded(arr), crc)
    header = json.dumps({"version": VERSION, **identity, "arrays": table, "payload": offset,
                         "crc32": crc}).encode()
    start = _aligned(len(MAGIC) + 4 + len(header))
    with files.atomic_write(path, sync_dir=True) as f:
        f.write(MAGIC + struct.pack("<I", len(header)) + header)
        f.write(b"\0" * (start - f.tell()))
        for arrays in fields.values():
            for arr in arrays.values():
                f.write(_padded(arr))


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _padded(arr: np.ndarray) -> bytes:
    """An array's bytes, zero-padded to the next 64-byte boundary (the next array's start)."""
    data = np.ascontiguousarray(arr).tobytes()
    return data + b"\0" * (_aligned(len(data)) - len(data))


# -- reading


@dataclass(frozen=True)
class FieldPostings:
    """One field's arrays in a sidecar: FileArrays on the file, but for what is kept in memory."""

    keys: FileArray  # S16, sorted: each term's first 16 bytes
    key_sample: np.ndarray  # in memory: keys[::SAMPLE]
    term_bytes: FileArray  # uint8: every term, end to end
    term_starts: FileArray  # int64 (terms + 1): where each term starts in term_bytes
    post_starts: FileArray  # int64 (terms + 1): each term's first posting
    ids: FileArray  # per posting: segment docnum, ascending within a term
    tfs: FileArray | None  # per posting: weight, where it is not the number of positions
    occ: FileArray  # per posting + 1: its first occurrence in pos/starts/lens
    pos: FileArray | None  # per occurrence: token position
    starts: FileArray | None  # per occurrence: first character (Characters fields)
    lens: FileArray | None  # per occurrence: characters (Characters fields)
    lengths: np.ndarray | None  # in memory, per document: Whoosh's length byte of the field
    # Terms looked up lately -> their index: a query looks each of its terms up in
    # every segment (a live index has up to 25), each lookup two reads, and a query
    # stream repeats its popular terms.
    found: dict = field(default_factory=dict, compare=False, repr=False)
    # This field's key in the process's recent lists (_lists).
    token: int = field(default_factory=lambda: next(_tokens), compare=False, repr=False)

    def find(self, btext: bytes) -> int:
        """The term's index in the directory, -1 if the segment does not hold it."""
        return self.lookup(btext)[0]

    def lookup(self, btext: bytes) -> tuple[int, int, int]:
        """(index, first posting, last posting + 1) of the term; (-1, 0, 0) if the
        segment does not hold it."""
        hit = self.found.get(btext)
        if hit is None:
            i = self._search(btext)
            hit = (i, *self.post_starts[i:i + 2].tolist()) if i >= 0 else (-1, 0, 0)
            if len(self.found) >= FOUND_TERMS:
                self.found.clear()  # a bound, not an LRU: a burst of new terms starts it afresh
            self.found[btext] = hit
        return hit

    def lists(self, t: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Term `t`'s (ids, occ [a, b + 1), tfs or None), read-only: from the process's
        recent lists when there (a query's snippets look each of its terms up again for
        every hit, and a query stream repeats its popular terms), else read."""
        key = (self.token, t)
        with _lists_lock:
            hit = _lists.get(key)
            if hit is not None:
                _lists.move_to_end(key)
                return hit
        got = (self.ids[a:b], self.occ[a:b + 1], self.tfs[a:b] if self.tfs is not None else None)
        size = sum(x.nbytes for x in got if x is not None)
        for x in got:
            if x is not None:
                x.flags.writeable = False  # shared by every thread that asks next
        if size <= LISTS_BYTES // 8:
            with _lists_lock:
                if key not in _lists:
                    _lists[key] = got
                    _lists_bytes[0] += size
                    while _lists_bytes[0] > LISTS_BYTES:
                        _k, old = _lists.popitem(last=False)
                        _lists_bytes[0] -= sum(x.nbytes for x in old if x is not None)
        return got

    def with_prefix(self, prefix: bytes) -> list[bytes]:
        """Every term of the field that starts with `prefix` (not empty), in order."""
        if not prefix:
            raise ValueError("an empty prefix")
        key = prefix[:KEY_BYTES]
        lo = self._bound(np.bytes_(key))
        # No UTF-8 text has a 0xff byte: every key with the prefix sorts before this one.
        # A prefix as long as a key: the terms whose (cut) key is that prefix.
        hi = self._bound(np.bytes_(key + b"\xff")) if len(key) < KEY_BYTES \
            else self._bound(np.bytes_(key), "right")
        if lo >= hi:
            return []
        starts = self.term_starts[lo:hi + 1].tolist()
        blob = self.term_bytes[starts[0]:starts[-1]].tobytes()
        base = starts[0]
        terms = [blob[a - base:b - base] for a, b in zip(starts, starts[1:])]
        if len(prefix) > KEY_BYTES:
            terms = [t for t in terms if t.startswith(prefix)]
        return terms

    def _bound(self, key: np.bytes_, side: str = "left") -> int:
        """np.searchsorted(keys, key, side), reading one run of at most SAMPLE keys."""
        j = int(np.searchsorted(self.key_sample, key, side))
        if j == 0:
            return 0
        # keys[(j - 1) * SAMPLE] sorts before the bound and keys[j * SAMPLE] (if any) at or after it.
        lo = (j - 1) * SAMPLE + 1
        run = self.keys[lo:min(j * SAMPLE, self.keys.size)]
        return lo + int(np.searchsorted(run, key, side))

    def _search(self, btext: bytes) -> int:
        key = np.bytes_(btext[:KEY_BYTES])
        i = self._bound(key)
        n = self.keys.size
        while i < n:  # the terms whose first 16 bytes are the key: rarely more than one
            for k in self.keys[i:min(i + 8, n)]:
                if k != key:
                    return -1
                a, b = self.term_starts[i:i + 2].tolist()
                if self.term_bytes[a:b].tobytes() == btext:
                    return i
                i += 1
        return -1


# Arrays read into memory when a sidecar is opened: one byte per document each.
_IN_MEMORY = frozenset({"lengths"})


class Sidecar:
    """An opened, validated sidecar: per field, its FieldPostings."""

    def __init__(self, path: Path, header: dict, file: OpenFile, base: int):
        self.path = path
        self.header = header
        self.file = file
        self.fields: dict[str, FieldPostings] = {}
        arrays: dict[str, dict] = {}
        for key, (dtype, offset, shape) in header["arrays"].items():
            fname, name = key.split("/")
            count = int(np.prod(shape)) if shape else 1
            arr = FileArray(file, base + offset, dtype, count)
            arrays.setdefault(fname, {})[name] = np.array(arr) if name in _IN_MEMORY else arr
        for fname, a in arrays.items():
            keys = a["keys"]
            sample = np.array(np.asarray(keys)[::SAMPLE])
            self.fields[fname] = FieldPostings(
                keys, sample, a["term_bytes"], a["term_starts"], a["post_starts"], a["ids"],
                a.get("tfs"), a["occ"], a.get("pos"), a.get("starts"), a.get("lens"), a.get("lengths"))


def read(path: Path, want: dict | None = None, verify: bool = True) -> Sidecar:
    """Open and check a sidecar; BadSidecar if it is not the one `want` describes,
    truncated, or (with `verify`) its arrays do not have their checksum.

    """
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + 4)
            if len(head) < len(MAGIC) + 4 or head[:len(MAGIC)] != MAGIC:
                raise BadSidecar(f"{path.name}: not a sidecar (or truncated)")
            (hlen,) = struct.unpack("<I", head[len(MAGIC):])
            try:
                header = json.loads(f.read(hlen))
            except ValueError:
                raise BadSidecar(f"{path.name}: unreadable header") from None
            base = _aligned(len(MAGIC) + 4 + hlen)
            if header.get("version") != VERSION:
                raise BadSidecar(f"{path.name}: format version {header.get('version')}")
            size = os.fstat(f.fileno()).st_size
            if size != base + _aligned(header["payload"]):
                raise BadSidecar(f"{path.name}: {size} bytes, not {base + _aligned(header['payload'])}")
            if want is not None:
                for k, v in want.items():
                    if header.get(k) != v:
                        raise BadSidecar(f"{path.name}: {k} is {header.get(k)!r}, the segment's {v!r}")
            if verify:
                f.seek(base)
                crc = 0
                while chunk := f.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
                if crc != header["crc32"]:
                    raise BadSidecar(f"{path.name}: checksum mismatch")
            opened = OpenFile(os.dup(f.fileno()))  # the file checked, whatever renames follow
        return Sidecar(path, header, opened, base)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadSidecar(f"{path.name}: {type(e).__name__}: {e}") from None


# -- the sidecar of a segment reader, for searches

# Opened sidecars by file identity: a file is checked (checksum included) once
# per process, however many searchers and threads read its segment.
_opened: dict[tuple, Sidecar] = {}
# Per segment reader: its sidecar, or (None, when) if it had none usable then.
_by_leaf: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_open_lock = threading.Lock()
def of(leaf) -> Sidecar | None:
    """The usable sidecar of a segment reader's segment, or None."""
    found = _by_leaf.get(leaf)
    if isinstance(found, Sidecar):
        return found
    if found is not None and time.monotonic() - found < RECHECK_EVERY:
        return None
    sidecar = open_checked(leaf)
    with _lock:
        _by_leaf[leaf] = sidecar if sidecar is not None else time.monotonic()
    return sidecar


def field_of(leaf, fieldname: str) -> FieldPostings | None:
    """The arrays of one field in the segment's usable sidecar, or None."""
    found = of(leaf)
    return None if found is None else found.fields.get(fieldname)


def open_checked(leaf) -> Sidecar | None:
    """The segment's sidecar if it is there and right (checksum checked once per
    file per process), else None."""
    folder = codec.segment_folder(leaf)
    if folder is None:
        return None
    path = path_for(folder, leaf.segment().segment_id())
    try:
        st = os.stat(path)
        want = expected(leaf)
    except OSError:
        return None
    identity = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _lock:
        hit = _opened.get(identity)
    if hit is not None:
        return hit
    # One opening at a time: the threads of a fresh worker all meet the same
    # segments on their first query, and each opening reads the whole file.
    with _open_lock:
        with _lock:
            hit = _opened.get(identity)
        if hit is not None:
            return hit
        try:
            sidecar = read(path, want)
        except BadSidecar:
            return None
        with _lock:
            for old in [k for k in _opened if k[0] == identity[0]]:
                del _opened[old]  # a replaced file's descriptor closes when its last reader goes
            _opened[identity] = sidecar
    return sidecar


def forget() -> None:
    """Drop every opened sidecar of this process (tests that damage files on disk)."""
    with _lock:
        _opened.clear()
        _by_leaf.clear()
    with _lists_lock:
        _lists.clear()
        _lists_bytes[0] = 0
