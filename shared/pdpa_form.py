"""The search forms redaction looks at: the text with every disguise of a digit, an "@" or a "." undone.

Each form is a string plus, for each of its characters, the span of original characters it came from, so a
match in any form is cut out of the original text whole (a Thai number word that became one digit takes
the whole word with it). Every step here is one pass over the text: the cost is linear in its length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# Characters that vanish from the search form: format characters are handled by category; these are marks
# that only decorate a digit (emoji variation selectors, the keycap's enclosing mark).
_DROPPED = {"\ufe0e", "\ufe0f", "\u20e3"}
# Ideographic and half-width full stops are a "." to anyone reading an address.
_DOTS = {"\u3002", "\uff61", "\ufe52"}


@dataclass(frozen=True)
class Form:
    """A search form: `text[i]` came from `original[starts[i]:ends[i]]`."""

    text: str
    starts: list[int]
    ends: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind `text[start:end]`."""
        return self.starts[start], self.ends[end - 1]


def _normal_char(char: str) -> str:
    """One character of the search form: format characters vanish, digits become ASCII, symbols a space."""
    if char.isascii():
        return char
    if char in _DROPPED:
        return ""
    if char in _DOTS:
        return "."
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width space/joiners, soft hyphen, word joiner, BOM, bidi marks
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category.startswith("Z") or category in ("So", "Sk", "Me"):  # spaces; emoji and pictographs between digits
        return " "
    folded = unicodedata.normalize("NFKC", char)
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c for c in folded)


# Characters that are their own search form: ASCII and the Thai block but for its digits (๐-๙) and SARA AM
# (ำ, which NFKC splits in two). Runs of them are copied whole, so a Thai comment costs one regex scan and
# two ranges instead of a Python call per character (issue 24: 11 % of a kiosk vote's CPU went here).
_KEPT = re.compile(r"[\x00-\x7f\u0e00-\u0e32\u0e34-\u0e4f\u0e5a-\u0e7f]+")


def normal_form(text: str) -> Form:
    """Compatibility forms folded (full-width digits and `＠`), any decimal digit as ASCII, format characters gone."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for run in _KEPT.finditer(text):
        _fold(text, cursor, run.start(), out, starts, ends)
        start, cursor = run.span()
        out.append(run.group())
        starts.extend(range(start, cursor))
        ends.extend(range(start + 1, cursor + 1))
    _fold(text, cursor, len(text), out, starts, ends)
    return Form("".join(out), starts, ends)


def _fold(text: str, start: int, end: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    """The characters of `text[start:end]` one at a time, each to its search form."""
    for i in range(start, end):
        normal = _normal_char(text[i])
        out.append(normal)
        starts.extend([i] * len(normal))
        ends.extend([i + 1] * len(normal))


def rewrite(form: Form, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> Form:
    """`form` with each match of `pattern` replaced; each new character maps to the whole original match."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for match in pattern.finditer(form.text):
        start, end = match.span()
        if start == end:
            continue
        out.append(form.text[cursor:start])
        starts.extend(form.starts[cursor:start])
        ends.extend(form.ends[cursor:start])
        new = replace(match)
        out.append(new)
        starts.extend([form.starts[start]] * len(new))
        ends.extend([form.ends[end - 1]] * len(new))
        cursor = end
    if not out:
        return form
    out.append(form.text[cursor:])
    starts.extend(form.starts[cursor:])
    ends.extend(form.ends[cursor:])
    return Form("".join(out), starts, ends)


# Digits written as words (Thai and English), and words that split one number ("ต่อ", "ext"), become digits
# and a space: "ศูนย์แปดหนึ่ง สองสามสี่ ห้าหกเจ็ดแปด" is a phone number. A word inside a longer word
# ("สามารถ") becomes a lone digit, which is no identifier: only 9 or more digits together are redacted.
_THAI_DIGITS = {"ศูนย์": "0", "หนึ่ง": "1", "สอง": "2", "สาม": "3", "สี่": "4", "ห้า": "5", "หก": "6",
                "เจ็ด": "7", "แปด": "8", "เก้า": "9"}
_ENGLISH_DIGITS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                   "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_NUMBER_WORDS = re.compile(
    "|".join(sorted(_THAI_DIGITS, key=len, reverse=True))
    + r"|\b(?:" + "|".join(_ENGLISH_DIGITS) + r")\b|ต่อ|\bext\b\.?|\bextension\b",
    re.IGNORECASE,
)


def _digit_of(match: re.Match[str]) -> str:
    word = match.group().lower()
    return _THAI_DIGITS.get(word) or _ENGLISH_DIGITS.get(word) or " "


def digit_form(form: Form) -> Form:
    """The form number detectors search: number words as digits, splitting words as a space."""
    return rewrite(form, _NUMBER_WORDS, _digit_of)


# "at" and "dot" as words or in brackets, in English and Thai: `somchai [at] gmail [dot] com`,
# `somchai แอท gmail ดอท com`. A bare English "at" or "dot" counts only between spaces, and the e-mail
# detector still needs a whole address around it (its last label starting with a letter).
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT_WORD = r"(?:at|แอท|แอ็ท|แอต|แอ็ต)"
_DOT_WORD = r"(?:dot|ดอท|ด็อท|ดอต|ด็อต|จุด)"
_AT = re.compile(rf"\s{{0,3}}(?:{_OPEN}\s{{0,2}}{_AT_WORD}\s{{0,2}}{_CLOSE}|(?<=\s){_AT_WORD}(?=\s)|แอท|แอ็ท)"
                 r"\s{0,3}", re.IGNORECASE)
_DOT = re.compile(rf"\s{{0,3}}(?:{_OPEN}\s{{0,2}}{_DOT_WORD}\s{{0,2}}{_CLOSE}|(?<=\s){_DOT_WORD}(?=\s)"
                  rf"|ดอท|ด็อท|ดอต|ด็อต)\s{{0,3}}", re.IGNORECASE)


def address_form(form: Form) -> Form:
    """The form the e-mail detector searches: every written "at" an "@", every written "dot" a "."."""
    return rewrite(rewrite(form, _AT, lambda _m: "@"), _DOT, lambda _m: ".")
