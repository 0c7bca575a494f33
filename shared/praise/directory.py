"""What one district's normaliser knows: its units, its staff's spellings, and its chief's merges.

People are keyed by a person key (the directory's own, or the folded name for someone it does not list);
every spelling of a person and every merge is an alias pointing at a key. A chief merging two spellings or
renaming someone adds an alias, so counts stored under the old key follow through `canonical`. Values only:
every change returns a new directory; the module never logs (names are officials' personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType

from shared.praise.fold import fold, skeleton
from shared.praise.units import DEFAULT_UNITS, Unit, with_units

# An alias chain longer than this is a cycle someone made by merging back and forth; stop there.
_MAX_CHAIN = 16


def _key(name: str) -> str:
    return fold(name).replace(" ", "")


@dataclass(frozen=True)
class PraiseDirectory:
    units: tuple[Unit, ...] = DEFAULT_UNITS
    # folded spelling -> person key (a person's spellings, and merges: "นกน้อย" -> "นก")
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # person key -> how the chief sees them
    displays: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(cls, people: Mapping[str, Iterable[str]] | None = None, aliases: Mapping[str, str] | None = None,
              units: Iterable[Unit | Mapping] = ()) -> PraiseDirectory:
        """A district's directory: `people` key -> spellings (the first is shown), `aliases` the chief's
        merges (spelling or old key -> key), `units` the district's own units added to the defaults."""
        table: dict[str, str] = {}
        displays: dict[str, str] = {}
        for key, spellings in (people or {}).items():
            spellings = list(spellings)
            displays[key] = spellings[0] if spellings else key
            for spelling in (key, *spellings):
                if _key(spelling):
                    table[_key(spelling)] = key
        for alias, key in (aliases or {}).items():
            if _key(alias):
                table[_key(alias)] = key
        return cls(with_units(units), MappingProxyType(table), MappingProxyType(displays))

    def canonical(self, person_key: str) -> str:
        """The key a stored key counts under now, after every merge and rename."""
        seen = {person_key}
        key = person_key
        for _ in range(_MAX_CHAIN):
            following = self.aliases.get(_key(key))
            if following is None or following in seen:
                break
            seen.add(following)
            key = following
        return key

    def display(self, person_key: str) -> str:
        return self.displays.get(person_key, person_key)

    def merged(self, spelling: str, into: str) -> PraiseDirectory:
        """The directory after the chief says `spelling` (a spelling or a person key) is the person `into`."""
        table = dict(self.aliases)
        table[_key(spelling)] = self.canonical(into)
        return replace(self, aliases=MappingProxyType(table))

    def renamed(self, person_key: str, name: str) -> PraiseDirectory:
        """The directory after the chief renames a person: the old key and spellings lead to the new name."""
        new_key = _key(name)
        old_key = self.canonical(person_key)
        table = {alias: (new_key if self.canonical(key) == old_key else key) for alias, key in self.aliases.items()}
        table[_key(old_key)] = new_key
        table[new_key] = new_key
        displays = {k: v for k, v in self.displays.items() if k != old_key}
        displays[new_key] = name
        return replace(self, aliases=MappingProxyType(table), displays=MappingProxyType(displays))

    def unit(self, unit_id: str) -> Unit | None:
        return next((unit for unit in self.units if unit.id == unit_id), None)

    @cached_property
    def unit_spellings(self) -> tuple[tuple[str, str], ...]:
        """(skeleton of a unit's spelling, unit id), longest first: the longest match in a text wins."""
        pairs = {(skeleton(spelling), unit.id) for unit in self.units for spelling in unit.spellings()}
        return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))

    @cached_property
    def skeletons(self) -> dict[str, list[str]]:
        """Skeleton of each known spelling -> the person keys it may be (several when two people share one).
        Computed once per directory value (a merge makes a new value)."""
        found: dict[str, list[str]] = {}
        for alias, key in self.aliases.items():
            keys = found.setdefault(skeleton(alias), [])
            if self.canonical(key) not in keys:
                keys.append(self.canonical(key))
        return found
