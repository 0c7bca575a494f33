"""Redaction's cost is linear in the text's length, shown without a clock.

Two checks that fail on a quadratic redactor: (1) no pattern of the detectors or the search forms has an
unbounded repeat, except the digit run (whose matches `finditer` consumes, never re-scanned), so no start
position can cost more than a constant; (2) the Python steps redaction takes (trace events in its modules)
grow tenfold, not a hundredfold, from 1,000 to 10,000 characters of each hostile text. Wall-clock figures
are in `bench/pdpa_bench.py`.
"""

from __future__ import annotations

import re
import sys
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import pytest

from bench.pdpa_bench import GENERATORS
from shared import pdpa_find, pdpa_form
from shared.pdpa import redact

# The one unbounded repeat allowed: a run of digits, eaten whole by finditer.
UNBOUNDED_ALLOWED = {pdpa_find._RUN.pattern}
ALL_PATTERNS = [*pdpa_find.PATTERNS, pdpa_form._NUMBER_WORDS, pdpa_form._AT, pdpa_form._DOT, pdpa_find._LOCAL_CHARS]


def _unbounded(tree) -> bool:
    """Whether a parsed pattern holds a repeat without an upper bound, at any depth."""
    for op, arg in tree:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            children, bounded = [arg[2]], arg[1] != sre_constants.MAXREPEAT
        elif op == sre_constants.SUBPATTERN:
            children, bounded = [arg[-1]], True
        elif op == sre_constants.BRANCH:
            children, bounded = list(arg[1]), True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            children, bounded = [arg[1]], True
        else:
            continue
        if not bounded or any(_unbounded(child) for child in children):
            return True
    return False


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=lambda p: p.pattern[:40])
def test_no_pattern_repeats_without_bound(pattern: re.Pattern[str]):
    if pattern.pattern in UNBOUNDED_ALLOWED:
        return
    assert not _unbounded(sre_parse.parse(pattern.pattern, pattern.flags)), pattern.pattern


def test_the_check_sees_an_unbounded_repeat():
    assert _unbounded(sre_parse.parse(r"[a-z]+@x"))
    assert _unbounded(sre_parse.parse(r"(?:a|b{0,3}c*)d"))
    assert not _unbounded(sre_parse.parse(r"[a-z]{1,64}@x"))


def _python_steps(text: str) -> int:
    files = {pdpa_find.__file__, pdpa_form.__file__, sys.modules["shared.pdpa"].__file__}
    steps = 0

    def tracer(frame, event, _arg):
        nonlocal steps
        if frame.f_code.co_filename not in files:
            return None
        steps += 1
        return tracer

    sys.settrace(tracer)
    try:
        redact(text)
    finally:
        sys.settrace(None)
    return steps


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_python_steps_grow_linearly_with_hostile_text(name: str):
    small, large = _python_steps(GENERATORS[name](1_000)), _python_steps(GENERATORS[name](10_000))
    assert large <= 12 * max(small, 1), (small, large)
