"""A segment's posting sidecar: its posting lists as flat arrays, memory-mapped.

Whoosh keeps a posting list as zlib'd pickles of 128 postings, and each
posting's positions as a pickle of its own: every process that reads one pays
the decoding, and keeps what it decoded in its own memory. The sidecar holds the
same lists (doc ids, term frequencies, positions, character spans) as plain
arrays, per field, with a sorted term directory. Nothing is decoded, and every
worker and thread of a server reads one copy: the kernel's page cache.

The file is memory-mapped. Pages a process has touched through a mapping
count in its RSS, once in each worker, and on kernels whose page cache holds
large folios (6.18 with ext4 here) one byte read maps its whole folio: after 800
bench queries one process had 263 of the 274 MB of sidecars at 100k resident.
So a thread of each process drops its mapped pages (madvise MADV_DONTNEED) every
LINTAS_SIDECAR_RELEASE seconds (default 1; 0: never) in which a search read them:
they stay in the page cache, which every worker shares and no process's RSS
counts, and the next read of a dropped page is a minor fault. Measured at 100k over HTTP, 8 clients, 2
workers (session 10): never 370 req/s, RSS 941 MB over the 4 processes; 2 s 377
req/s, 868 MB; 0.5 s 351 req/s, 733 MB. (Session 8's kernel lost a third of the
throughput at 0.5 s, so it was off by default then.) Reading with os.pread
instead cost more: it releases the GIL on each of a query's ~130 small reads,
and a server worker runs 4 threads.

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

import json
import mmap
import os
import struct
import threading
import time
import weakref
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import codec, files

EXT = ".sidecar"
MAGIC = b"LINTASPS"
VERSION = 1
ALIGN = 64
KEY_BYTES = 16  # the term directory's fixed-width keys: a term's first 16 bytes
# Seconds before a segment whose sidecar was missing or bad is looked at again
# (the writer may have written it since).
RECHECK_EVERY = 5.0
# Seconds between drops of a process's mapped sidecar pages, unless LINTAS_SIDECAR_RELEASE says.
RELEASE_DEFAULT = 1.0
# Term lookups remembered per field of a segment (FieldPostings.found): ~100 bytes each.
FOUND_TERMS = 2048


def _release_every() -> float | None:
    """LINTAS_SIDECAR_RELEASE: seconds between drops of this process's mapped pages
    (see the docstring); unset: RELEASE_DEFAULT; 0 or not a number: never."""
    try:
        seconds = float(os.environ.get("LINTAS_SIDECAR_RELEASE", RELEASE_DEFAULT))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


RELEASE_EVERY = _release_every()


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
    """One field's arrays in a sidecar (views of the mapped file)."""

    keys: np.ndarray  # S16, sorted: each term's first 16 bytes
    term_bytes: np.ndarray  # uint8: every term, end to end
    term_starts: np.ndarray  # int64 (terms + 1): where each term starts in term_bytes
    post_starts: np.ndarray  # int64 (terms + 1): each term's first posting
    ids: np.ndarray  # per posting: segment docnum, ascending within a term
    tfs: np.ndarray | None  # per posting: weight, where it is not the number of positions
    occ: np.ndarray  # per posting + 1: its first occurrence in pos/starts/lens
    pos: np.ndarray | None  # per occurrence: token position
    starts: np.ndarray | None  # per occurrence: first character (Characters fields)
    lens: np.ndarray | None  # per occurrence: characters (Characters fields)
    lengths: np.ndarray | None  # per document: Whoosh's length byte of the field
    # Terms looked up lately -> their index: a query looks each of its terms up in
    # every segment (a live index has up to 25), each search of the directory ~6 us
    # of numpy scalar work, and a query stream repeats its popular terms.
    found: dict = field(default_factory=dict, compare=False, repr=False)

    def find(self, btext: bytes) -> int:
        """The term's index in the directory, -1 if the segment does not hold it."""
        i = self.found.get(btext)
        if i is None:
            i = self._search(btext)
            if len(self.found) >= FOUND_TERMS:
                self.found.clear()  # a bound, not an LRU: a burst of new terms starts it afresh
            self.found[btext] = i
        return i

    def with_prefix(self, prefix: bytes) -> list[bytes]:
        """Every term of the field that starts with `prefix` (not empty), in order."""
        if not prefix:
            raise ValueError("an empty prefix")
        key = prefix[:KEY_BYTES]
        lo = int(np.searchsorted(self.keys, np.bytes_(key)))
        # No UTF-8 text has a 0xff byte: every key with the prefix sorts before this one.
        # A prefix as long as a key: the terms whose (cut) key is that prefix.
        hi = int(np.searchsorted(self.keys, np.bytes_(key + b"\xff"))) if len(key) < KEY_BYTES \
            else int(np.searchsorted(self.keys, np.bytes_(key), side="right"))
        if lo >= hi:
            return []
        starts = self.term_starts[lo:hi + 1].tolist()
        blob = self.term_bytes[starts[0]:starts[-1]].tobytes()
        base = starts[0]
        terms = [blob[a - base:b - base] for a, b in zip(starts, starts[1:])]
        if len(prefix) > KEY_BYTES:
            terms = [t for t in terms if t.startswith(prefix)]
        return terms

    def _search(self, btext: bytes) -> int:
        key = np.bytes_(btext[:KEY_BYTES])
        i = int(np.searchsorted(self.keys, key))
        n = len(self.keys)
        while i < n and self.keys[i] == key:
            a, b = self.term_starts[i], self.term_starts[i + 1]
            if self.term_bytes[a:b].tobytes() == btext:
                return i
            i += 1
        return -1


class Sidecar:
    """An opened, validated sidecar: per field, its FieldPostings."""

    def __init__(self, path: Path, header: dict, mapped: mmap.mmap, base: int):
        self.path = path
        self.header = header
        self.mapped = mapped
        self.fields: dict[str, FieldPostings] = {}
        arrays: dict[str, dict[str, np.ndarray]] = {}
        for key, (dtype, offset, shape) in header["arrays"].items():
            fname, name = key.split("/")
            count = int(np.prod(shape)) if shape else 1
            arr = np.frombuffer(mapped, np.dtype(dtype), count, base + offset).reshape(shape)
            arrays.setdefault(fname, {})[name] = arr
        for fname, a in arrays.items():
            self.fields[fname] = FieldPostings(
                a["keys"], a["term_bytes"], a["term_starts"], a["post_starts"], a["ids"],
                a.get("tfs"), a["occ"], a.get("pos"), a.get("starts"), a.get("lens"), a.get("lengths"))

    def release(self) -> None:
        """Drop this process's mapped pages of the file (the page cache keeps them)."""
        with suppress(AttributeError, OSError, ValueError):  # no madvise here: pages stay mapped
            self.mapped.madvise(mmap.MADV_DONTNEED)


def read(path: Path, want: dict | None = None, verify: bool = True) -> Sidecar:
    """Open and check a sidecar; BadSidecar if it is not the one `want` describes,
    truncated, or (with `verify`) its arrays do not have their checksum.

    The checksum is read with plain reads, not through the mapping: a mapped
    page a process has touched counts in its RSS.
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
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return Sidecar(path, header, mapped, base)
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
# Every sidecar still mapped, also those replaced in _opened that an older reader still reads.
_alive: weakref.WeakSet = weakref.WeakSet()


# Whether a search has read the sidecars since their pages were last dropped, and
# the thread that drops them (per process: a forked child starts its own).
_touched = [False]
_releaser: list[threading.Thread | None] = [None]


def release() -> None:
    """Drop the mapped pages of every open sidecar of this process now."""
    _touched[0] = False
    with _lock:
        opened = list(_alive)
    for sidecar in opened:
        sidecar.release()


def _release_loop(every: float) -> None:
    # A thread, not the searches themselves: no query waits for the madvise, and
    # a worker that goes idle drops what its last second of queries mapped,
    # rather than holding it (it counted up to 210 MB per worker at 100k).
    while True:
        time.sleep(every)
        if _touched[0]:
            release()


def _start_releaser() -> None:
    if RELEASE_EVERY is None or _releaser[0] is not None:
        return
    with _lock:
        if _releaser[0] is None:
            thread = threading.Thread(target=_release_loop, args=(RELEASE_EVERY,),
                                      name="lintas-sidecar-release", daemon=True)
            thread.start()
            _releaser[0] = thread


def _forked() -> None:
    _releaser[0] = None  # the parent's thread did not come along


os.register_at_fork(after_in_child=_forked)


def of(leaf) -> Sidecar | None:
    """The usable sidecar of a segment reader's segment, or None."""
    _touched[0] = True
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
    # segments on their first query, and each mapping of a file counts its
    # touched pages in the process's RSS again.
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
                del _opened[old]  # a replaced file's mapping goes when its last reader does
            _opened[identity] = sidecar
            _alive.add(sidecar)
    _start_releaser()
    return sidecar


def forget() -> None:
    """Drop every opened sidecar of this process (tests that damage files on disk)."""
    with _lock:
        _opened.clear()
        _by_leaf.clear()
