"""Withdrawal codes: short enough to copy from a phone, too many to guess into someone else's story.

A code is 8 symbols of Crockford's base 32 (40 bits: 1.1 x 10^12 codes), shown as `ABCD-EFGH`. Ingest
keeps no code: the story's id is a keyed hash of it, so whoever holds the code can name the story and
nobody else can, and a leaked store or topic gives no code back. Guessing is held off by the size and by
the per-address rate limit on withdrawals (services/ingest/stories/desk.py): at 5 tries a minute, one
address needs on average ~10^5 years to hit any one of a million stories.
"""

from __future__ import annotations

import secrets

from shared.pdpa import keyed_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 8
# What people mistype, read as Crockford does; separators and spaces are dropped.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Longest input looked at: a code with separators and spaces around; anything longer is refused unread.
INPUT_MAX = 32


def new_code() -> str:
    """A fresh code, as shown to the citizen (`ABCD-EFGH`)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise(text: str | None) -> str | None:
    """The code's 8 symbols from what a citizen typed, or None if it cannot be a code."""
    if not isinstance(text, str) or len(text) > INPUT_MAX:
        return None
    symbols = "".join(ch for ch in text.upper() if ch not in " -\u00a0\t").translate(_READ_AS)
    if len(symbols) != CODE_LENGTH or any(ch not in ALPHABET for ch in symbols):
        return None
    return symbols


def story_id(secret: bytes, code: str) -> str:
    """The story's id: a keyed hash of the normalised code (32 hex chars)."""
    return keyed_hash(secret, "story", code)[:32]
