"""Terms within an edit distance of a word: the candidates of "did you mean".

Whoosh's IndexReader.terms_within walks every term of the field that shares
the word's first letters, merging the segments' term iterators in Python, and
computes each one's Damerau-Levenshtein distance in Python: a query word no
document holds cost 120-190 CPU ms at 10k-100k documents (and more with the
small segments of a live index), a whole core for a few such queries a second.
Here each segment's terms with the prefix come from its posting sidecar's term
directory (one slice, nothing decoded per term but the text), and the distances
from rapidfuzz's C++ (the only module that knows it), the same optimal-string-
alignment distance as Whoosh's `damerau_levenshtein`: the same set of terms
(tests/search/test_fuzzy.py holds the two equal).
"""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import sidecar


def terms_within(reader, fieldname: str, text: str, maxdist: int, prefix: int = 1) -> list[str]:
    """The field's terms within `maxdist` edits of `text` that share its first
    `prefix` characters, in no particular order (Whoosh's terms_within, as a list)."""
    head = text[:prefix].encode("utf-8")
    candidates: set[bytes] = set()
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    for leaf, _base in leaves:
        if leaf.segment() is None or fieldname not in leaf.schema:
            continue
        fp = sidecar.field_of(leaf, fieldname)
        if fp is not None and head:
            candidates.update(fp.with_prefix(head))
        else:  # no usable sidecar: Whoosh's own term walk
            candidates.update(leaf.expand_prefix(fieldname, text[:prefix]))
    if not candidates:
        return []
    words = [c.decode("utf-8") for c in candidates]
    return [word for word, _d, _i in process.extract(
        text, words, scorer=OSA.distance, score_cutoff=maxdist, limit=None)]
