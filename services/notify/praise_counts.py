"""Praise counted for the chief (pure): per person and per unit over the feedback documents of a window.

Only documents whose praise counts (`praise_counted`: a unit or person named in a vote of 3-5,
shared.praise.counts_as_praise) are counted; a person is counted under `directory.canonical(person_key)`,
so the chief's merges and renames move the counts of votes read before them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.praise import PERSON, PraiseDirectory


@dataclass(frozen=True)
class Counted:
    key: str  # a person key or a unit id
    name: str  # as the chief sees it
    votes: int


@dataclass(frozen=True)
class PraiseCounts:
    people: list[Counted]
    units: list[Counted]
    # every stored spelling key -> the person it counts under now (the merge form's choices)
    spellings: dict[str, str]


def count_praise(docs: Iterable[Mapping], directory: PraiseDirectory) -> PraiseCounts:
    people: Counter[str] = Counter()
    units: Counter[str] = Counter()
    spellings: dict[str, str] = {}
    for doc in docs:
        praise = doc.get("praise") or {}
        if not doc.get("praise_counted"):
            continue
        if praise.get("unit_id"):
            units[praise["unit_id"]] += 1
        if praise.get("kind") == PERSON and praise.get("person_key"):
            canonical = directory.canonical(praise["person_key"])
            spellings[praise["person_key"]] = canonical
            people[canonical] += 1

    def unit_name(unit_id: str) -> str:
        unit = directory.unit(unit_id)
        return unit.name_th if unit else unit_id

    return PraiseCounts(
        [Counted(k, directory.display(k), n) for k, n in sorted(people.items(), key=lambda p: (-p[1], p[0]))],
        [Counted(k, unit_name(k), n) for k, n in sorted(units.items(), key=lambda p: (-p[1], p[0]))],
        spellings)
