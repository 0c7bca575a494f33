"""Personal data rules (PDPA B.E. 2562): redact identifiers in free text, never keep raw identities.

Redaction searches a normalised copy of the text and cuts the matching spans out of the original,
so the text a reader sees keeps its own characters (Thai vowels, zero-width marks) while the search
sees through every disguise we know of: compatibility forms (NFKC: full-width digits and `＠`),
any Unicode decimal digit (Thai, Arabic-Indic…) as ASCII, zero-width and other format characters
dropped, and any short run of separators (spaces of every kind, dashes, dots, slashes, commas,
underscores, brackets, newlines) between digits treated as one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

NATIONAL_ID_MARK = "[redacted-id]"
PHONE_MARK = "[redacted-phone]"
EMAIL_MARK = "[redacted-email]"
LINE_ID_MARK = "[redacted-line-id]"
NUMBER_MARK = "[redacted-number]"

# Between two digits of one number: up to 4 separator characters (after normalisation).
_SEP_CHARS = r"\s\-\u2010-\u2015\u2212\u30fc_.,/\\()\[\]{}·•|~*'\"+"
_S = f"[{_SEP_CHARS}]{{0,4}}"
_D = r"[0-9]"

_NATIONAL_ID = re.compile(rf"(?<![0-9]){_D}(?:{_S}{_D}){{12}}(?![0-9])")
_PHONE_BODY = rf"(?:[689](?:{_S}{_D}){{8}}|[2-7](?:{_S}{_D}){{7}})"
# 0XX…, +66 XX…, 66 XX…, 0066 XX…, +66 (0) XX…, (+66) 0XX…: the country code, then an optional trunk 0.
_PHONE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?{_S}66{_S}(?:0{_S})?|0{_S}){_PHONE_BODY}(?![0-9])"
)
# Unicode local parts and internationalised domains (Thai letters and their vowel marks included).
_WORD = r"[\w\u0e00-\u0e7f\u0300-\u036f%+\-]"
_EMAIL = re.compile(rf"{_WORD}+(?:\.{_WORD}+)*\s{{0,2}}@\s{{0,2}}{_WORD}+(?:\s{{0,2}}\.\s{{0,2}}{_WORD}+)+")
# A LINE ID after "ไลน์"/"line": in English only with "id", ":", "=" or "@" after the word, since
# "the line was long" is no identifier.
_LINE_ID = re.compile(
    r"(?:(?:ไลน์|ไลน|ไอดีไลน์)\s*(?:id|ไอดี)?\s*[:=]?\s*|\bline\s*(?:(?:id|ไอดี)\s*[:=]?|[:=])\s*|\bline\s+(?=@))"
    r"(@?[a-z0-9][a-z0-9._\-]{2,31})",
    re.IGNORECASE,
)
# Whatever is left: any run of 9 or more digits, however separated, is treated as personal.
_LONG_NUMBER = re.compile(rf"(?<![0-9]){_D}(?:{_S}{_D}){{8,}}(?![0-9])")


def is_valid_national_id(digits: str) -> bool:
    """Thai national ID: 13 digits, the last = (11 - Σ d_i·(13-i) mod 11) mod 10."""
    if len(digits) != 13 or not digits.isdigit() or not digits.isascii():
        return False
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(digits[12])


def _normal_char(char: str) -> str:
    """One character of the search form: format characters vanish, digits become ASCII, NFKC otherwise."""
    if char.isascii():
        return char
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width space/joiners, soft hyphen, word joiner, BOM, bidi marks
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category.startswith("Z"):  # no-break, thin, ideographic… spaces, line and paragraph separators
        return " "
    folded = unicodedata.normalize("NFKC", char)
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in folded)


def search_form(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the original character."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        normal = _normal_char(char)
        out.append(normal)
        origin.extend([i] * len(normal))
    return "".join(out), origin


def _spans(normal: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, mark) in the search form, the more specific patterns first."""
    taken: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b, _ in taken)

    for match in _EMAIL.finditer(normal):
        taken.append((match.start(), match.end(), EMAIL_MARK))
    for match in _LINE_ID.finditer(normal):
        if free(match.start(1), match.end(1)):
            taken.append((match.start(1), match.end(1), LINE_ID_MARK))
    for match in _NATIONAL_ID.finditer(normal):
        if free(match.start(), match.end()) and is_valid_national_id(re.sub(r"[^0-9]", "", match.group())):
            taken.append((match.start(), match.end(), NATIONAL_ID_MARK))
    for pattern, mark in ((_PHONE, PHONE_MARK), (_LONG_NUMBER, NUMBER_MARK)):
        for match in pattern.finditer(normal):
            start, end = match.start(), match.end()
            while start < end and not normal[start].isdigit() and normal[start] not in "+0":
                start += 1  # a bracket or separator the pattern swallowed at the front stays in the text
            if free(start, end):
                taken.append((start, end, mark))
    return sorted(taken)


def redact(text: str) -> tuple[str, int]:
    """Replace national IDs, phone numbers, e-mail addresses, LINE IDs and long numbers with markers.

    Returns (text, count). The text outside the redacted spans is returned exactly as given.
    """
    if not text:
        return text, 0
    normal, origin = search_form(text)
    spans = _spans(normal)
    if not spans:
        return text, 0
    pieces: list[str] = []
    cursor = 0
    for start, end, mark in spans:
        first, last = origin[start], origin[end - 1] + 1
        if first < cursor:  # two spans from one original character: already covered
            continue
        pieces.append(text[cursor:first])
        pieces.append(mark)
        cursor = last
    pieces.append(text[cursor:])
    return "".join(pieces), len(spans)


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts; the one-way key under which a person may be recognised again."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def voter_key(secret: bytes, channel: str, identity: str) -> str:
    """The voter's pseudonymous key: channel-scoped, so a LINE userId and a QR cookie never collide."""
    return keyed_hash(secret, "voter", channel, identity)
