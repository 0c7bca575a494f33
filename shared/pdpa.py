"""Personal data rules (PDPA B.E. 2562): redact identifiers in free text, never keep raw identities.

Redaction searches normalised copies of the text (`shared/pdpa_form.py`) and cuts the matching spans
out of the original, so the text a reader sees keeps its own characters (Thai vowels, zero-width marks)
while the search sees through every disguise we know of: compatibility forms (NFKC: full-width digits
and `＠`), any Unicode decimal digit as ASCII, digits written as Thai or English words, format
characters dropped, emoji and wide gaps between digits, "at"/"dot" written as words or in brackets.
What it looks for (`shared/pdpa_find.py`): national IDs, phone numbers, bank accounts and any run of
9 or more digits, e-mail addresses, LINE IDs and user ids, social-media profiles, vehicle plates and
house addresses. Every step is linear in the text's length (`bench/pdpa_bench.py` measures it).
"""

from __future__ import annotations

import hashlib
import hmac

from shared.pdpa_find import (  # noqa: F401 (the marks and the check are this module's API too)
    ACCOUNT_MARK,
    ADDRESS_MARK,
    DETECTORS,
    EMAIL_MARK,
    LINE_ID_MARK,
    NATIONAL_ID_MARK,
    NUMBER_MARK,
    PHONE_MARK,
    PLATE_MARK,
    PROFILE_MARK,
    is_valid_national_id,
)
from shared.pdpa_form import normal_form


def search_form(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the original character."""
    form = normal_form(text)
    return form.text, form.starts


def redact(text: str) -> tuple[str, int]:
    """Replace every identifier the detectors find with its marker; returns (text, count).

    The text outside the redacted spans is returned exactly as given. Each detector searches its own
    search form; a span already taken by an earlier (more specific) detector is not taken again.
    """
    if not text:
        return text, 0
    form = normal_form(text)
    taken = bytearray(len(text))
    spans: list[tuple[int, int, str]] = []
    for detector in DETECTORS:
        for start, end, mark in detector(form):
            if start < end and not any(taken[start:end]):
                taken[start:end] = b"\x01" * (end - start)
                spans.append((start, end, mark))
    if not spans:
        return text, 0
    pieces: list[str] = []
    cursor = 0
    for start, end, mark in sorted(spans):
        pieces.append(text[cursor:start])
        pieces.append(mark)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), len(spans)


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts; the one-way key under which a person may be recognised again."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def voter_key(secret: bytes, channel: str, identity: str) -> str:
    """The voter's pseudonymous key: channel-scoped, so a LINE userId and a QR cookie never collide."""
    return keyed_hash(secret, "voter", channel, identity)


def source_key(secret: bytes, channel: str, voter: str | None, key_id: str | None, *, public: bool) -> str:
    """Who sent a vote, for the distinct-sources rule of eligibility (docs/ranking.md).

    On a public channel (qr, web, line, facebook) the source is the voter, already hashed (`voter`). On
    kiosk and import the source is the API key that posted it, whatever voter ids the batch names: a key
    may name as many voters as it likes, so they cannot count as distinct clients. The key's id is
    hashed under the server secret too, so the event names no key.
    """
    if public and voter:
        return voter
    return keyed_hash(secret, "source", channel, key_id or "")
