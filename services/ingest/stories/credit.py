"""The credit a citizen chose, made from the name they typed; only the credit is ever kept.

A first name is the name's first word; initials are each word's first consonant with a full stop
(Thai initials skip a leading vowel: "ใจดี" gives "จ."). The full name typed goes no further.
"""

from __future__ import annotations

from shared.events import CREDIT_NAME_MAX
from shared.pdpa import redact

ANONYMOUS, FIRST_NAME, INITIALS = "anonymous", "first_name", "initials"
_LEADING_VOWELS = frozenset("เแโใไ")
_MAX_WORDS = 3


def credit_name(credit: str, name: str) -> str | None:
    """What is shown for `credit` made from `name`; None for anonymous or a name with nothing to show."""
    words = name.split()
    if credit == ANONYMOUS or not words:
        return None
    if credit == FIRST_NAME:
        shown = words[0][:CREDIT_NAME_MAX]
    else:
        shown = "".join(_initial(word) + "." for word in words[:_MAX_WORDS])
    text, found = redact(shown)
    return None if found else text  # a phone number typed as a name shows nothing, not a marker


def _initial(word: str) -> str:
    for char in word:
        if char not in _LEADING_VOWELS:
            return char.upper()
    return word[0]
