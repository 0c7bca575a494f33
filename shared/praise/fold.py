"""The forms the praise normaliser compares: a folded form (what a citizen meant to type) and a skeleton
(what survives typos: tone marks gone, letters that sound alike made one), and a bounded edit distance.

Citizens type names and units on phones: zero-width characters from copy and paste, full-width letters,
`ๆ` and repeated letters for emphasis, tone marks in the wrong order or missing, ศ/ษ/ส and ณ/น mixed up.
Everything here is one pass over text first capped at `MAX_TEXT` characters, so cost is bounded.
"""

from __future__ import annotations

import re
import unicodedata

# Longer than the API's staff field (120) and any sensible praise sentence; the rest is never read.
MAX_TEXT = 200
# A name longer than this is not a name; it also caps the edit-distance table.
MAX_NAME = 30

_REDACTION_MARK = re.compile(r"\[redacted-[a-z-]+\]")
_REPEATS = re.compile(r"(.)\1{2,}")  # three or more of one character: emphasis, not spelling
_SPACES = re.compile(r"\s+")
_TONES = "\u0e48\u0e49\u0e4a\u0e4b"  # ่ ้ ๊ ๋
# Marks that typists drop or add: tone marks, mai taikhu, thanthakhat (silencer), yamakkan.
_SKELETON_DROPPED = dict.fromkeys(map(ord, _TONES + "\u0e47\u0e4c\u0e4e"), None)
# Letters that sound the same and are confused in writing; each maps to its commonest form.
_SOUNDALIKE = str.maketrans({
    "ศ": "ส", "ษ": "ส", "ณ": "น", "ฬ": "ล", "ธ": "ท", "ฑ": "ท", "ฒ": "ท", "ภ": "พ", "ฆ": "ค", "ฅ": "ค",
    "ฃ": "ข", "ญ": "ย", "ฐ": "ถ", "ฌ": "ช", "ฏ": "ฎ",
})
# Punctuation that stays: the dot of abbreviations (น.ส., ผอ., อส.) and the apostrophe of P'Nok.
_KEPT_PUNCTUATION = {".", "'"}


def _fold_char(char: str) -> str:
    if char.isascii():
        if char.isalnum() or char in _KEPT_PUNCTUATION:
            return char.lower()
        return " "
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width space and joiners, BOM, soft hyphen, bidi marks
        return ""
    if category.startswith(("Z", "P", "S")) or category == "Cc":
        return "'" if char in "\u2018\u2019" else " "
    return unicodedata.normalize("NFKC", char).lower()


def fold(text: str) -> str:
    """The folded form: lower case, compatibility forms and sara am made one, punctuation and runs of
    spaces one space, zero-width characters gone, a letter repeated three times or more kept once."""
    if len(text) > MAX_TEXT:  # the word cut in two at the limit is dropped: half a word is no name
        text = text[:MAX_TEXT].rsplit(None, 1)[0] if " " in text[:MAX_TEXT] else text[:MAX_TEXT]
    text = _REDACTION_MARK.sub(" ", text)
    folded = "".join(_fold_char(char) for char in text)
    # NFKC splits sara am (ำ) into nikhahit + sara aa; put it back, also when a tone mark came between.
    folded = re.sub("\u0e4d([" + _TONES + "]?)\u0e32", "\\1\u0e33", folded)
    folded = re.sub("([" + _TONES + "])\\1+", "\\1", folded)
    folded = _REPEATS.sub(r"\1", folded)
    return _SPACES.sub(" ", folded).strip()


def skeleton(folded: str) -> str:
    """What survives the usual typos of a folded word: no tone marks or silencers, sound-alike letters one."""
    return folded.translate(_SKELETON_DROPPED).translate(_SOUNDALIKE)


def skeleton_with_map(folded: str) -> tuple[str, list[int]]:
    """The skeleton of `folded` and, for each of its characters, the index of the folded character."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(folded):
        kept = skeleton(char)
        if kept:
            out.append(kept)
            where.append(index)
    return "".join(out), where


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    a, b = a[:MAX_NAME], b[:MAX_NAME]
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def tolerance(length: int) -> int:
    """Edits allowed between two name skeletons whose shorter one has this length: none up to three
    letters (บอย is not ต้อย's typo: short nicknames differ by one letter), one up to six, two beyond."""
    if length <= 3:
        return 0
    return 1 if length <= 6 else 2
