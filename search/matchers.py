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
