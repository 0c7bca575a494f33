"""Where the personal data is: each detector returns spans of the ORIGINAL text and the marker for each.

Linear by construction, whatever a client writes: every pattern starts at a literal (a digit, "@", a
phrase, a site's domain) and every quantifier after it is bounded, except the one that eats a run of
digits, which `finditer` consumes once. Where a match needs context on its left (an e-mail's local
part), the detector walks back a bounded number of characters from the anchor instead of letting the
regex engine try every start position. `tests/unit/test_pdpa_linear.py` checks the bounds;
`bench/pdpa_bench.py` measures the cost per character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from shared.pdpa_form import Form, address_form, digit_form

NATIONAL_ID_MARK = "[redacted-id]"
PHONE_MARK = "[redacted-phone]"
EMAIL_MARK = "[redacted-email]"
LINE_ID_MARK = "[redacted-line-id]"
NUMBER_MARK = "[redacted-number]"
ACCOUNT_MARK = "[redacted-account]"
PROFILE_MARK = "[redacted-profile]"
PLATE_MARK = "[redacted-plate]"
ADDRESS_MARK = "[redacted-address]"

Span = tuple[int, int, str]

# Between two digits of one number: a run of separators (spaces of every kind, dashes, dots, slashes,
# brackets…; emoji are spaces in the search form), or one letter with at most one separator either side
# ("3101700a345671": a national ID split by a letter).
_SEP = r"[\s\-\u2010-\u2015\u2212\u30fc_.,/\\()\[\]{}·•|~*'\"+]"
_LETTER = r"[A-Za-z\u0e01-\u0e2e]"
_RUN = re.compile(rf"[0-9](?:(?:{_SEP}{{0,12}}|{_SEP}?{_LETTER}{_SEP}?)[0-9])*")
_MIN_DIGITS = 9  # a Thai landline has 9 digits; any 9 or more together are treated as personal
_BANK_WORDS = re.compile(r"บัญชี|บช\.|ธนาคาร|ธ\.|โอนเข้า|พร้อมเพย์|\bacc(?:oun)?t\b|\ba/c\b|\bbank\b|promptpay",
                         re.IGNORECASE)
_BANK_REACH = 40  # characters before a number in which a bank word makes it an account number


def is_valid_national_id(digits: str) -> bool:
    """Thai national ID: 13 digits, the last = (11 - Σ d_i·(13-i) mod 11) mod 10."""
    if len(digits) != 13 or not digits.isdigit() or not digits.isascii():
        return False
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(digits[12])


def _is_phone(digits: str) -> bool:
    """0XX…, 66 XX…, 0066 XX…, 66 0 XX…: the country code, an optional trunk 0, then a Thai number."""
    for prefix in ("0066", "66", ""):
        if digits.startswith(prefix):
            rest = digits[len(prefix):]
            if prefix and rest.startswith("0"):
                rest = rest[1:]
            elif not prefix:
                if not rest.startswith("0"):
                    continue
                rest = rest[1:]
            if (len(rest) == 9 and rest[0] in "689") or (len(rest) == 8 and rest[0] in "234567"):
                return True
    return False


def numbers(form: Form) -> Iterator[Span]:
    """Runs of 9 or more digits however separated: a national ID, a phone, an account, or just a number."""
    digits_form = digit_form(form)
    text = digits_form.text
    banks = [m.end() for m in _BANK_WORDS.finditer(text)]
    bank_at = 0
    for match in _RUN.finditer(text):
        digits = "".join(c for c in match.group() if c.isdigit())
        if len(digits) < _MIN_DIGITS:
            continue
        start, end = match.span()
        if start > 0 and text[start - 1] == "+":  # "+66…": the plus belongs to the number
            start -= 1
        while bank_at < len(banks) and banks[bank_at] <= start - _BANK_REACH:
            bank_at += 1
        near_bank = bank_at < len(banks) and banks[bank_at] <= start
        if is_valid_national_id(digits):
            mark = NATIONAL_ID_MARK
        elif _is_phone(digits):
            mark = PHONE_MARK
        else:
            mark = ACCOUNT_MARK if near_bank else NUMBER_MARK
        yield (*digits_form.span(start, end), mark)


# An e-mail address, found from its "@": a local part walked back from it, a domain matched forward.
_LOCAL_CHARS = re.compile(r"[\w\u0e00-\u0e7f\u0300-\u036f%+\-.]")
_LOCAL_MAX = 64
_DOMAIN = re.compile(
    r"\s{0,2}[\w\u0e00-\u0e7f\u0300-\u036f\-]{1,63}(?:\s{0,2}\.\s{0,2}[\w\u0e00-\u0e7f\u0300-\u036f\-]{1,63}){0,7}"
    r"\s{0,2}\.\s{0,2}[^\W\d_][\w\u0e00-\u0e7f\u0300-\u036f\-]{0,62}"
)


def emails(form: Form) -> Iterator[Span]:
    """Addresses, with "at"/"dot" written as words or in brackets already turned into "@" and "."."""
    search = address_form(form)
    text = search.text
    at = text.find("@")
    while at != -1:
        start = at
        while start > 0 and at - start < 2 and text[start - 1].isspace():
            start -= 1
        local_end = start
        while start > 0 and local_end - start < _LOCAL_MAX and _LOCAL_CHARS.match(text[start - 1]):
            start -= 1
        while start < local_end and text[start] == ".":
            start += 1
        domain = _DOMAIN.match(text, at + 1, min(len(text), at + 1 + 600)) if start < local_end else None
        if domain:
            yield (*search.span(start, domain.end()), EMAIL_MARK)
            at = text.find("@", domain.end())
        else:
            at = text.find("@", at + 1)


# A LINE ID after a phrase that introduces one, in Thai or English ("the line was long" is no identifier);
# and the raw LINE userId (U + 32 hexadecimal digits) that the platform itself receives.
_LINE_ID = re.compile(
    r"(?:(?:ไอดีไลน์|ไลน์ไอดี|ไลน์|ไลน)\s{0,3}(?:id|ไอดี)?\s{0,3}(?:คือ|ชื่อ|มาที่|ที่|เป็น)?\s{0,3}[:=]?\s{0,3}"
    r"|\bline\s{0,3}(?:id|ไอดี)\s{0,3}(?:is\b|[:=])?\s{0,3}|\bline\s{0,3}[:=]\s{0,3}|\bline\s{1,3}(?=@)"
    r"|\badd\s{1,3}(?:me\s{1,3}(?:on|in)\s{1,3})?line\s{0,3}(?:id\s{0,3})?[:=]?\s{0,3}"
    r"|\bmy\s{1,3}line\s{1,3}(?:id\s{1,3})?is\s{1,3}|\bline\s{1,3}me\s{1,3}(?:at\s{1,3})?)"
    r"(@?[a-z0-9][a-z0-9._\-]{2,31})(?![a-z0-9._\-])",
    re.IGNORECASE,
)
_LINE_USER_ID = re.compile(r"(?<![0-9a-z])U[0-9a-f]{32}(?![0-9a-z])", re.IGNORECASE)


def line_ids(form: Form) -> Iterator[Span]:
    for match in _LINE_ID.finditer(form.text):
        yield (*form.span(*match.span(1)), LINE_ID_MARK)
    for match in _LINE_USER_ID.finditer(form.text):
        yield (*form.span(*match.span()), LINE_ID_MARK)


# A social-media profile: found from the site's domain, then the scheme and subdomain before it and the
# path after it, each bounded.
_PROFILE_SITE = re.compile(
    r"(?<![a-z0-9\-])(?:facebook|fb|instagram|instagr\.am|tiktok|twitter|x|youtube|line|threads)"
    r"\.(?:com|me|net|co)\s{0,2}/", re.IGNORECASE)
_URL_PREFIX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:/")
_PROFILE_PATH = re.compile(r"[^\s<>\"']{1,200}")


def profiles(form: Form) -> Iterator[Span]:
    text = form.text
    for match in _PROFILE_SITE.finditer(text):
        start = match.start()
        while start > 0 and match.start() - start < 40 and text[start - 1] in _URL_PREFIX_CHARS:
            start -= 1
        path = _PROFILE_PATH.match(text, match.end())
        if path is None:
            continue
        end = path.end()
        while end > path.start() and text[end - 1] in ".,;:!?)]}":
            end -= 1
        if end > path.start():
            yield (*form.span(start, end), PROFILE_MARK)


# A Thai vehicle plate: after a word that introduces one (ทะเบียน, ป้าย, รถ, plate), or in a shape no
# ordinary phrase has: a leading digit ("1กข 1234") or a hyphen ("กข-1234").
_PLATE_BODY = r"(?:[0-9]\s?)?[ก-ฮ]{1,2}(?![\u0e30-\u0e4e])\s{0,2}-?\s{0,2}[0-9]{1,4}(?![0-9])"
_PLATE = re.compile(
    rf"(?:ทะเบียน|ป้าย|รถ|\bplates?\b|\bcar\b)\s{{0,3}}(?:รถ\s{{0,3}})?(?:เลข(?:ที่)?\s{{0,3}}|no\.?\s{{0,3}})?:?\s{{0,3}}"
    rf"({_PLATE_BODY})"
    r"|(?<![\u0e00-\u0e7f0-9])([0-9]\s?[ก-ฮ]{2}\s{0,2}-?\s{0,2}[0-9]{1,4}|[ก-ฮ]{2}\s?-\s?[0-9]{1,4})(?![0-9])",
    re.IGNORECASE,
)


def _either_group(pattern: re.Pattern, mark: str, form: Form) -> Iterator[Span]:
    """A pattern of two alternatives (after an introducing word: group 1; by its shape alone: group 2), each
    match's group cut as `mark`: plates and addresses are both written so."""
    for match in pattern.finditer(form.text):
        group = 1 if match.group(1) else 2
        yield (*form.span(*match.span(group)), mark)


def plates(form: Form) -> Iterator[Span]:
    return _either_group(_PLATE, PLATE_MARK, form)


# A house address: the number after บ้านเลขที่/ที่อยู่/house no., or a "12/3" number followed by
# หมู่/ม./ซอย/ถนน; with the หมู่, ซอย and ถนน that follow it.
_HOUSE_NO = r"[0-9]{1,5}(?:\s{0,2}/\s{0,2}[0-9]{1,5})?"
_STREET = (r"(?:\s{0,3}(?:หมู่ที่|หมู่|ม\.)\s{0,2}[0-9]{1,3})?(?:\s{0,3}(?:ซอย|ซ\.)\s{0,2}[^\s,]{1,30})?"
           r"(?:\s{0,3}(?:ถนน|ถ\.)\s{0,2}[^\s,]{1,30})?")
_ADDRESS = re.compile(
    rf"(?:บ้านเลขที่|บ้าน\s{{0,2}}เลข|ที่อยู่|\bhouse\s{{0,2}}(?:no\.?|number)|\baddress)\s{{0,3}}:?\s{{0,3}}"
    rf"({_HOUSE_NO}{_STREET})"
    rf"|(?<![0-9/])([0-9]{{1,5}}\s{{0,2}}/\s{{0,2}}[0-9]{{1,5}}(?=\s{{0,3}}(?:หมู่|ม\.|ซอย|ซ\.|ถนน|ถ\.)){_STREET})",
    re.IGNORECASE,
)


def addresses(form: Form) -> Iterator[Span]:
    return _either_group(_ADDRESS, ADDRESS_MARK, form)


# The more specific detectors first: a span already taken is not taken again by a later one.
DETECTORS = (emails, profiles, line_ids, addresses, plates, numbers)
PATTERNS = (_RUN, _BANK_WORDS, _DOMAIN, _LINE_ID, _LINE_USER_ID, _PROFILE_SITE, _PROFILE_PATH, _PLATE, _ADDRESS)
