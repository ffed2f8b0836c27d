"""Where Lintas replaces Whoosh's matchers: each override, and the Whoosh behaviour it fixes.

tests/search/test_whoosh_quirks.py pins each behaviour in Whoosh itself, so that a
Whoosh release that fixes (or changes) it shows up as a failing test.
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq


class StreamingOr(wq.Or):
    """An OR whose matcher is an order-preserving tree of unions.

    Whoosh's default OR first sizes every subquery (one more term lookup per term
    and segment) to build a frequency-weighted tree, and for segments of 5,000
    documents or fewer preloads every match into arrays, which also disables
    top-k pruning. A union's cost barely depends on the tree's shape.
    """

    def _matcher(self, subs, searcher, context):
        m = self._tree_matcher(subs, matching.UnionMatcher, searcher, context, None)
        if self.scale and any(m.term_matchers()):
            m = matching.CoordMatcher(m, scale=self.scale)
        return m


class _AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's AndNotMatcher, but it also excludes the first document.

    Whoosh checks the first document only against the exclusion's current one:
    when the exclusion starts lower, the first document stays in even if the
    exclusion holds it ('پرویز NOT امین' counted a document with امین).
    """

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class AndNot(wq.AndNot):
    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        return _AndNotMatcher(scored, self.b.matcher(searcher, searcher.boolean_context()))


class _MaxMatcher(matching.DisjunctionMaxMatcher):
    """Whoosh's DisjunctionMaxMatcher, scoring only the sub-matchers on the current document.

    Whoosh's takes the max of both sides even when they stand on different
    documents, and its replace() drops a side that is still active. No block
    quality: a max cannot be bounded the way Whoosh bounds sums.
    """

    def score(self):
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        ia, ib = a.id(), b.id()
        if ia != ib:
            return a.score() if ia < ib else b.score()
        return max(a.score(), b.score())

    def supports_block_quality(self):
        return False

    def replace(self, minquality=0):
        a_on, b_on = self.a.is_active(), self.b.is_active()
        if not (a_on or b_on):
            return matching.NullMatcher()
        if not a_on:
            return self.b.replace(minquality)
        if not b_on:
            return self.a.replace(minquality)
        return self


class MaxOf(wq.DisjunctionMax):
    """The documents any child matches, each scored by its best child (one word's readings)."""

    def _matcher(self, subs, searcher, context):
        return self._tree_matcher(subs, _MaxMatcher, searcher, context, None)
