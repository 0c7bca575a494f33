"""Who or which unit a praise text names: `normalise(text, directory) -> Mention`.

The steps, on the folded text (`fold.py`): find the longest unit spelling (compared as skeletons, so
ทะเบียนราษฏร is ทะเบียนราษฎร) and cut it out; then find a name: after a title (คุณ, พี่, ปลัด, Khun, P'…) the
letters up to the next filler word, or, without a title, what is left once fillers are gone. A name is
looked up in the district's aliases, then by skeleton, then by edit distance within `tolerance`; a name the
district does not know becomes its own person key (its folded form) until the chief merges it. Pure: no
I/O and no logging (officials' names are personal data); the cost is bounded by `MAX_TEXT`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from shared.praise.directory import PraiseDirectory
from shared.praise.fold import MAX_NAME, distance, fold, skeleton, skeleton_with_map, tolerance
from shared.praise.words import FILLERS, LATIN_WORD_TITLES, NO_NAME, TITLES

UNIT, PERSON, UNKNOWN = "unit", "person", "unknown"
_SEPARATOR = "|"
# Names looked up per text: a sentence's leftovers beyond these are not names, and each lookup may
# compare with every spelling the district knows.
_MAX_CANDIDATES = 4
_DEFAULT = PraiseDirectory()


@dataclass(frozen=True)
class Mention:
    kind: str  # unit | person | unknown
    unit_id: str | None = None
    person_key: str | None = None
    display: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "unit_id": self.unit_id, "person_key": self.person_key, "display": self.display}


def _is_latin(word: str) -> bool:
    return word[:1].isascii()


def _find_unit(folded: str, directory: PraiseDirectory) -> tuple[str | None, str]:
    """The unit the text names (its longest spelling) and the text with every unit spelling cut out."""
    skel, where = skeleton_with_map(folded)
    found: str | None = None
    cut = bytearray(len(folded))
    for spelling, unit_id in directory.unit_spellings:
        start = skel.find(spelling)
        while start >= 0:
            end = start + len(spelling)
            latin_edges = _is_latin(spelling) and (
                (start > 0 and skel[start - 1].isalnum()) or (end < len(skel) and skel[end].isalnum()))
            lo, hi = where[start], where[end - 1] + 1
            while hi < len(folded) and skeleton(folded[hi]) == "":  # the marks after the last letter
                hi += 1
            if not latin_edges and not any(cut[lo:hi]):
                found = found or unit_id
                cut[lo:hi] = b"\x01" * (hi - lo)
            start = skel.find(spelling, end)
    rest = "".join(_SEPARATOR if cut[i] and (i == 0 or not cut[i - 1]) else ("" if cut[i] else c)
                   for i, c in enumerate(folded))
    return found, rest.replace(_SEPARATOR, f" {_SEPARATOR} ")


def _starts(word: str, table: tuple[str, ...]) -> str:
    return next((entry for entry in table if word.startswith(entry)), "")


def _cut_at_filler(word: str) -> str:
    """`word` up to the first filler or no-name word after its first letters (a name has two at least)."""
    first = 1 if _is_latin(word) else 2
    for index in range(first, len(word)):
        if _starts(word[index:], FILLERS) or _starts(word[index:], NO_NAME):
            return word[:index]
    return word


def _strip_fillers(word: str) -> str:
    while word and (filler := _starts(word, FILLERS)):
        word = word[len(filler):]
    return word


def _after_title(words: list[str], index: int, rest: str) -> list[str]:
    """The name candidates after a title: the word's rest (or the next word) and that joined with the
    following word (a name typed with a space inside: คุณ สม ศรี)."""
    following = words[index + 1:]
    if not rest:
        if not following or following[0] == _SEPARATOR:
            return []
        rest, following = following[0], following[1:]
    if _starts(rest, NO_NAME) or not _strip_fillers(rest):
        return [""]  # พี่ผู้หญิง…, พี่ๆ, เจ้าหน้าที่ใจดีมาก: someone, but no name
    name = _cut_at_filler(rest)
    candidates = [name]
    if name == rest and following and following[0] != _SEPARATOR and not _is_latin(rest):
        joined = _cut_at_filler(rest + following[0])
        if joined != name:
            candidates.append(joined)
    return candidates


def _can_follow_title(rest: str) -> bool:
    """Whether a name can start here: not one letter alone, not a vowel or mark that belongs to the
    title's last letter, not a silenced letter (อาร์ม is a name, not อา + "ร์ม")."""
    if rest.startswith("ๆ"):
        return True  # พี่ๆ: a title, said of several people
    if rest and (unicodedata.category(rest[0]) == "Mn" or rest[0] in "ะาำๅ" or rest[1:2] == "\u0e4c"):
        return False
    return len(skeleton(rest)) != 1


def _strip_title(word: str) -> str | None:
    """`word` without its titles (None if it has none)."""
    stripped = False
    while True:
        title = next((t for t in TITLES if word.startswith(t) and _can_follow_title(word[len(t):])), "")
        if not title:
            return word if stripped else None
        word, stripped = word[len(title):], True


def _candidates(text: str) -> tuple[list[str], str]:
    """Name candidates in order of preference, and how they came: after a title ("titled"), as the whole
    of a word ("bare": the citizen typed only a name, perhaps with a particle after it) or out of a
    sentence ("loose": what was left of "การบริการรวดเร็วทันใจ" once its fillers were gone)."""
    words = text.split(" ")
    for index, word in enumerate(words):
        word = _strip_fillers(word)
        rest = None if word in LATIN_WORD_TITLES and index + 1 < len(words) else _strip_title(word)
        if word in LATIN_WORD_TITLES and rest is None:
            rest = ""
        if rest is not None:
            return _after_title(words, index, rest), "titled"
    words = [word for word in words if word != _SEPARATOR]
    stripped = [_strip_fillers(word) for word in words]
    names = [_cut_at_filler(word) for word in stripped if word and not _starts(word, NO_NAME)]
    clean = len(names) == 1 and any(word == _strip_fillers(word) and word.startswith(names[0])
                                    and not _strip_fillers(word[len(names[0]):]) for word in words)
    return names, "bare" if clean else "loose"


def _known(name: str, directory: PraiseDirectory) -> str | None:
    """The person key a known spelling or a near one belongs to, if exactly one is near enough."""
    key = directory.aliases.get(name)
    if key is not None:
        return directory.canonical(key)
    skel = skeleton(name)
    exact = directory.skeletons.get(skel, [])
    if len(exact) == 1:
        return exact[0]
    best, best_keys = None, set()
    for known, keys in directory.skeletons.items():
        limit = tolerance(min(len(known), len(skel)))
        if limit == 0:
            continue
        gap = distance(skel, known, limit)
        if gap <= limit and (best is None or gap < best):
            best, best_keys = gap, set(keys)
        elif gap <= limit and gap == best:
            best_keys |= set(keys)
    return next(iter(best_keys)) if len(best_keys) == 1 else None


def _plausible_bare_name(name: str) -> bool:
    """A word given without a title is taken as a new person only if it looks like one nickname or name."""
    letters = all(char.isalpha() or unicodedata.category(char) == "Mn" for char in name.replace(".", ""))
    return 2 <= len(skeleton(name)) <= 12 and letters and not any(
        filler in name for filler in FILLERS if len(filler) > 2) and not any(word in name for word in NO_NAME)


def _says_how(word: str) -> bool:
    """Whether an untitled word describes the service rather than naming someone ("รอนาน", "ไว", "เก่ง"):
    the topic lexicon (shared/topics) reads an aspect in it. LINE asks "whom to praise?" and citizens answer
    with how they were served as often as with a name."""
    from shared.topics import default_tagger  # the lexicon loads once per process, on the first bare word

    return bool(default_tagger().lexicon_tag(word))


def _person(text: str, directory: PraiseDirectory, with_unit: bool) -> str | None:
    """The person key the text names; an unknown word without a title next to a unit is the unit's
    service described ("ขออนุญาตพกอาวุธปืน"), not a name."""
    candidates, how = _candidates(text)
    names = [name.strip(".'") for name in candidates]
    names = [name for name in names if name and len(name) <= MAX_NAME][:_MAX_CANDIDATES]
    for name in names:
        if (key := _known(name, directory)) is not None:
            return key
    if not names or len(skeleton(names[0])) < 2:
        return None
    if how == "titled" or (how == "bare" and not with_unit and _plausible_bare_name(names[0])
                           and not _says_how(names[0])):
        return directory.canonical(names[0])
    return None


def normalise(text: str | None, directory: PraiseDirectory = _DEFAULT) -> Mention:
    """The unit or person a praise text names; `unknown` when it names no one in particular."""
    folded = fold(text or "")
    if not folded:
        return Mention(UNKNOWN)
    unit_id, rest = _find_unit(folded, directory)
    person_key = _person(rest, directory, unit_id is not None)
    if person_key is not None:
        return Mention(PERSON, unit_id, person_key, directory.display(person_key))
    if unit_id is not None:
        unit = directory.unit(unit_id)
        return Mention(UNIT, unit_id, None, unit.name_th if unit else unit_id)
    return Mention(UNKNOWN)
