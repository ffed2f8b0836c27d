"""A live index's small segments, searched as one segment.

The server's writer commits a segment per batch (about a second of posts) and
merges them only 24 at a time, then 8 of those at a time (search/writer.py): a
live index holds up to ~30 segments under TIER_CEILING documents. Each one cost
every query ~40-60 us of per-segment work (each query word looked up in each
field of each segment, a numpy call per step), 30-50 % of a query's CPU on a
10k index under a steady stream of posts.

Here a run of consecutive small segments is one group: a query word's postings
in all of them, laid end to end (ids shifted by each segment's place in the
run), are found once and kept for as long as those segments are the index's,
so a query pays one lookup for the run. The arrays are the segments' own
(sidecars), so scores come out identical: the same tf, length and constants per
posting, the same document order (tests/search/test_segment_group.py).

A commit appends a segment to the run; the new group takes the previous one's
lists and adds only the new segment's part. Deleted documents are not part of
a list (the caller masks them per query), so deletions in a grouped segment
change nothing here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from . import postings, sidecar
from .sidecar_build import sidecar_fields

# Segments below this size are grouped: what the live merges make and merge
# again (search/writer.py's TIER_CEILING); bulk segments are searched alone.
GROUP_BELOW = 8_000
MIN_RUN = 2
# Array entries (ids, tfs, occurrence offsets, positions) kept per group: a bound on
# its memory (~8 bytes each), emptied when full (not an LRU).
HELD = 2_000_000
GROUPS = 3  # groups kept: the newest generations' runs (a thread may lag one behind)
_UNSEEN = object()  # a term not looked up yet (None: looked up, in none of the segments)


@dataclass(frozen=True)
class _Positions:
    """A group list's occurrences, shaped as postings.positions_of reads a sidecar field."""

    occ: np.ndarray  # per posting + 1: its first occurrence in pos
    pos: np.ndarray | None


class Group:
    """The lists of one run of segments (keyed by their ids and sizes: a segment's
    postings never change). Shared by every thread of the process."""

    def __init__(self, key: tuple, sidecars: list, covered: frozenset, prev: "Group | None"):
        self.key = key
        self.sidecars = sidecars
        self.covered = covered
        sizes = [n for _sid, n in key]
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64).tolist()
        self.doc_count = int(sum(sizes))
        self._terms: dict = {}
        self._held = 0
        self._lengths: dict = {}
        # Only the previous group's dicts: no chain of groups stays alive.
        self._prev = (prev._terms, prev._lengths, len(prev.key)) if prev is not None else None

    def postings(self, fieldname: str, btext: bytes) -> postings.PostingList | None:
        key = (fieldname, btext)
        found = self._terms.get(key, _UNSEEN)
        if found is not _UNSEEN:  # a list, or None: no grouped segment holds the term
            return found
        first, parts = 0, []
        if self._prev is not None:
            done = self._prev[0].get(key, _UNSEEN)
            if done is not _UNSEEN:
                first = self._prev[2]
                if done is not None:
                    parts.append((done.ids, done.tfs, done.field.occ, done.field.pos))
        for i in range(first, len(self.sidecars)):
            part = _part(self.sidecars[i], fieldname, btext, self.starts[i])
            if part is not None:
                parts.append(part)
        found = _joined(parts) if parts else None
        if found is not None:
            size = _size(found)
            self._held += size
            if self._held > HELD:
                self._terms.clear()  # threads filling it meanwhile only add back what they read
                self._held = size
        self._terms[key] = found
        return found

    def lengths(self, fieldname: str, leaves: list) -> np.ndarray:
        """Every grouped document's length in a field, as postings.lengths_of gives it
        (`leaves`: the calling thread's readers of the segments)."""
        found = self._lengths.get(fieldname)
        if found is None:
            first, parts = 0, []
            if self._prev is not None and fieldname in self._prev[1]:
                first = self._prev[2]
                parts.append(self._prev[1][fieldname])
            for i in range(first, len(self.sidecars)):
                parts.append(postings.lengths_of(leaves[i], fieldname, np.arange(self.key[i][1])))
            found = self._lengths[fieldname] = np.concatenate(parts)
        return found


def _size(plist: postings.PostingList) -> int:
    pos = plist.field.pos
    return 2 * len(plist.ids) + len(plist.field.occ) + (len(pos) if pos is not None else 0)


def _part(sc, fieldname: str, btext: bytes, start: int):
    fp = sc.fields.get(fieldname)
    if fp is None:  # a covered field the segment has no term of
        return None
    t, a, b = fp.lookup(btext)
    if t < 0:
        return None
    ids, occ, tfs = fp.lists(t, a, b)
    occ = occ.astype(np.int64)
    if tfs is None:
        tfs = occ[1:] - occ[:-1]
    pos = fp.pos[int(occ[0]):int(occ[-1])] if fp.pos is not None else None
    return ids.astype(np.int64) + start, tfs, occ - occ[0], pos


def _joined(parts: list) -> postings.PostingList:
    if len(parts) == 1:
        ids, tfs, occ, pos = parts[0]
        return postings.PostingList(ids, tfs, field=_Positions(occ, pos))
    occs, base = [], 0
    for _ids, _tfs, occ, _pos in parts:
        occs.append(occ[:-1] + base)  # each part's occ starts at 0
        base += int(occ[-1])
    occs.append(np.asarray([base], np.int64))
    pos = None if any(p[3] is None for p in parts) else np.concatenate([p[3] for p in parts])
    return postings.PostingList(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                                field=_Positions(np.concatenate(occs), pos))


class View:
    """One query's handle on a group: the group's lists, and the calling thread's own
    segment readers for what the group does not hold (deletions, uncovered fields)."""

    __slots__ = ("group", "leaves", "schema", "_live")

    def __init__(self, group: Group, leaves: list):
        self.group = group
        self.leaves = leaves
        self.schema = leaves[0].schema
        self._live: list = []

    def covers(self, fieldname: str) -> bool:
        return fieldname in self.group.covered

    def postings(self, fieldname: str, btext: bytes):
        return self.group.postings(fieldname, btext)

    def lengths_of(self, fieldname: str, ids: np.ndarray) -> np.ndarray:
        return self.group.lengths(fieldname, self.leaves)[ids]

    def live_mask(self) -> np.ndarray | None:
        """False for the group's deleted documents (None: none): a reader's deletions are
        fixed (search/searchers.py opens a new one when they change), so computed once."""
        if not self._live:
            masks = [postings.live_mask(leaf) for leaf in self.leaves]
            self._live.append(None if all(m is None for m in masks) else np.concatenate(
                [np.ones(leaf.doc_count_all(), bool) if m is None else m for leaf, m in zip(self.leaves, masks)]))
        return self._live[0]

    def each(self, evaluate) -> tuple[np.ndarray, np.ndarray]:
        """`evaluate(leaf)` on every grouped segment, as one segment's (ids, scores)."""
        ids, scores = [], []
        for leaf, start in zip(self.leaves, self.group.starts):
            i, s = evaluate(leaf)
            ids.append(i + start)
            scores.append(s)
        return np.concatenate(ids), np.concatenate(scores)


_groups: dict = {}
_lock = threading.Lock()


def runs_of(reader) -> list:
    """runs(reader.leaf_readers()), remembered on the reader (one per thread and index
    state: its segments and their deletions never change)."""
    found = reader.__dict__.get("_lintas_runs")
    if found is None:
        found = reader.__dict__["_lintas_runs"] = runs(reader.leaf_readers())
    return found


def runs(leaf_readers) -> list:
    """The reader's leaves as (leaf or View, offset): each run of MIN_RUN or more
    consecutive small segments with sidecars as one View."""
    out, run = [], []
    for leaf, offset in leaf_readers:
        seg = leaf.segment()
        sc = sidecar.of(leaf) if seg is not None and seg.doc_count_all() < GROUP_BELOW else None
        if sc is not None:
            run.append((leaf, offset, sc))
            continue
        out.extend(_close(run))
        run = []
        out.append((leaf, offset))
    out.extend(_close(run))
    return out


def _close(run: list) -> list:
    if len(run) < MIN_RUN:
        return [(leaf, offset) for leaf, offset, _sc in run]
    leaves = [leaf for leaf, _o, _sc in run]
    return [(View(_group(leaves, [sc for _l, _o, sc in run]), leaves), run[0][1])]


def _group(leaves: list, sidecars: list) -> Group:
    key = tuple((leaf.segment().segment_id(), leaf.doc_count_all()) for leaf in leaves)
    found = _groups.get(key)
    if found is not None:
        return found
    with _lock:
        found = _groups.get(key)
        if found is None:
            prev = max((g for k, g in _groups.items() if len(k) < len(key) and key[:len(k)] == k),
                       key=lambda g: len(g.key), default=None)
            found = Group(key, sidecars, frozenset(sidecar_fields(leaves[0].schema)), prev)
            while len(_groups) >= GROUPS:
                del _groups[next(iter(_groups))]
            _groups[key] = found
    return found


def forget() -> None:
    """Drop every group (tests that compare grouped and ungrouped evaluation)."""
    with _lock:
        _groups.clear()
