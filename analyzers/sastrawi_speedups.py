"""Make Sastrawi's stemmer faster without changing a single stem.

Sastrawi (ECS stemmer) was most of indexing's cost. Two causes, two fixes:

- It calls `re.match()`/`re.sub()` with pattern strings, about 2,000 times per
  stemmed word; the standard library then looks each one up in its compile cache
  (512 entries, which Sastrawi's patterns overflow). `_PrecompiledRe` stands in
  for `re` in Sastrawi's modules and compiles each pattern once.
- For every prefix-removal round it visits all 40 prefix rules, and each rule
  runs one to four disambiguators (a Python call and a regex each) even when the
  word cannot start that way. `install()` gives each rule one compiled guard, the
  union of its disambiguators' patterns: a rule whose guard does not match is
  skipped. A skipped rule would have changed nothing (all its disambiguators
  return None), and the checks Sastrawi makes after each rule are repeated only
  when something may have changed, so the loop's outcome is the same.

tests/analyzers/test_sastrawi_speedups.py stems a large vocabulary with and
without the guards and asserts identical results.
"""

from __future__ import annotations

import inspect
import re
import sys

# Any re.match/re.sub pattern literal in a rule's source (all are r'...' strings).
_PATTERN_LITERAL = re.compile(r"re\.(?:match|sub)\(r?'([^']*)'")


# A character that makes a pattern more than its literal text.
_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")
# Patterns kept compiled: Sastrawi's own are ~200; the bound keeps any other
# pattern text from growing a long-lived process's memory.
MAX_COMPILED = 4096


class _PrecompiledRe:
    """Stands in for `re` inside Sastrawi's modules (see the module docstring).

    Sastrawi's visitors also call `re.sub(removed, '', word, count=1)` with the
    stem they removed as the "pattern": one new pattern per new word, which the
    cache kept for ever (69,000 patterns after 20,000 words) and compiled first
    (~30 us). Such a literal pattern is removed with str.replace, the same result.
    """

    def __init__(self):
        self._compiled: dict[tuple[str, int], re.Pattern] = {}

    def _get(self, pattern, flags):
        key = (pattern, flags)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = re.compile(pattern, flags)
            if len(self._compiled) < MAX_COMPILED:
                self._compiled[key] = compiled
        return compiled

    def match(self, pattern, string, flags=0):
        return self._get(pattern, flags).match(string)

    def sub(self, pattern, repl, string, count=0, flags=0):
        if not flags and isinstance(pattern, str) and pattern and isinstance(repl, str) \
                and "\\" not in repl and not _SPECIAL.search(pattern):
            return string.replace(pattern, repl, count or -1)
        return self._get(pattern, flags).sub(repl, string, count)

    def __getattr__(self, name):
        return getattr(re, name)


def precompile_patterns() -> None:
    shim = _PrecompiledRe()
    for name, module in list(sys.modules.items()):
        if name.startswith("Sastrawi.") and getattr(module, "re", None) is re:
            module.re = shim


def _guard_for(visitor) -> re.Pattern | None:
    """A regex that matches every word `visitor` could change; None if unknown.

    A word the guard rejects makes every disambiguator of the rule return None
    (each returns only inside `if re.match(pattern, word)`), so the visit is a
    no-op. Extra patterns in the same source (applied to a match group) only
    widen the guard, which stays safe.
    """
    from Sastrawi.Stemmer.Context.Visitor.AbstractDisambiguatePrefixRule import (
        AbstractDisambiguatePrefixRule,
    )
    from Sastrawi.Stemmer.Context.Visitor.RemovePlainPrefix import RemovePlainPrefix

    if isinstance(visitor, RemovePlainPrefix):
        methods = [type(visitor).remove]
    elif isinstance(visitor, AbstractDisambiguatePrefixRule):
        methods = [type(d).disambiguate for d in visitor.disambiguators]
    else:
        return None
    patterns = []
    for method in methods:
        found = _PATTERN_LITERAL.findall(inspect.getsource(method))
        if not found:
            return None  # a rule not written the usual way: always run it
        patterns += found
    # re.match anchors at the start, as Sastrawi's own calls do.
    return re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(patterns)))


# Attribute holding a rule's guard (set by install); a rule without one always runs.
GUARD = "_lintas_guard"


def _guarded_accept_prefix_visitors(self, visitors):
    """Context.accept_prefix_visitors, skipping rules that cannot apply.

    Same control flow as Sastrawi's: after each rule it returns if the word is in
    the dictionary, the process was stopped, or a prefix was removed. After a
    skipped rule those checks would see what the previous check saw, so they are
    made once and then only after a rule that ran.
    """
    removal_count = len(self.removals)
    checked = False
    for visitor in visitors:
        guard = getattr(visitor, GUARD, None)
        if guard is None or guard.match(self.current_word):
            visitor.visit(self)
        elif checked:
            continue
        checked = True
        if self.dictionary.contains(self.current_word):
            return self.current_word
        if self.process_is_stopped:
            return self.current_word
        if len(self.removals) > removal_count:
            return None
    return None


_original_accept_prefix_visitors = None


def install(stemmer) -> None:
    """Patch Sastrawi in this process and guard `stemmer`'s prefix rules (idempotent)."""
    global _original_accept_prefix_visitors
    from Sastrawi.Stemmer.Context.Context import Context

    precompile_patterns()
    for visitor in stemmer.visitor_provider.get_prefix_visitors():
        setattr(visitor, GUARD, _guard_for(visitor))
    if _original_accept_prefix_visitors is None:
        _original_accept_prefix_visitors = Context.accept_prefix_visitors
        Context.accept_prefix_visitors = _guarded_accept_prefix_visitors


def uninstall_guards() -> None:
    """Back to Sastrawi's own prefix loop (for the equivalence test)."""
    global _original_accept_prefix_visitors
    from Sastrawi.Stemmer.Context.Context import Context

    if _original_accept_prefix_visitors is not None:
        Context.accept_prefix_visitors = _original_accept_prefix_visitors
        _original_accept_prefix_visitors = None
