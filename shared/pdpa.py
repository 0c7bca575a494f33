"""Personal data rules (PDPA B.E. 2562): redact identifiers in free text, never keep raw identities."""

from __future__ import annotations

import hashlib
import hmac
import re

NATIONAL_ID_MARK = "[redacted-id]"
PHONE_MARK = "[redacted-phone]"
EMAIL_MARK = "[redacted-email]"

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_D = r"[0-9๐-๙]"
_SEP = r"[ \-.]?"

# 13 digits, optionally grouped with spaces, dashes or dots (1-2345-67890-12-3), not inside a longer number.
_NATIONAL_ID = re.compile(rf"(?<![0-9๐-๙])(?:{_D}{_SEP}){{12}}{_D}(?![0-9๐-๙])")
# Thai mobile numbers (06/08/09 + 8 digits), landlines (02–07 + 7 digits), with +66 or 66 in place of 0.
_PHONE = re.compile(
    rf"(?<![0-9๐-๙+])(?:\+?66{_SEP}|0)(?:[689](?:{_SEP}{_D}){{8}}|[2-7](?:{_SEP}{_D}){{7}})(?![0-9๐-๙])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def is_valid_national_id(digits: str) -> bool:
    """Thai national ID: 13 digits, the last = (11 - Σ d_i·(13-i) mod 11) mod 10."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(digits[12])


def _national_id(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0).translate(_THAI_DIGITS))
    return NATIONAL_ID_MARK if is_valid_national_id(digits) else match.group(0)


def redact(text: str) -> tuple[str, int]:
    """Replace national IDs, phone numbers and e-mail addresses with markers; returns (text, count)."""
    total = 0
    text, n = _EMAIL.subn(EMAIL_MARK, text)
    total += n
    before = text.count(NATIONAL_ID_MARK)
    text = _NATIONAL_ID.sub(_national_id, text)
    total += text.count(NATIONAL_ID_MARK) - before
    text, n = _PHONE.subn(PHONE_MARK, text)
    total += n
    return text, total


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts; the one-way key under which a person may be recognised again."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def voter_key(secret: bytes, channel: str, identity: str) -> str:
    """The voter's pseudonymous key: channel-scoped, so a LINE userId and a QR cookie never collide."""
    return keyed_hash(secret, "voter", channel, identity)
