"""Each district's praise directory as its chief and deputies shaped it (`notify_praise`): merges of two
spellings of one person and renames, kept as the list of changes in the order made and replayed onto the
default directory (shared.praise), so counts stored under an old key follow (`PraiseDirectory.canonical`).

Document: `{_id: "<district>", changes: [{op: "merge", spelling, into, by, at} | {op: "rename", key, name, by,
at}], units: [{id, th, en, aliases}]}`: `by` the directory key of who made a change (`chief:3706`,
`deputy:3706:d1`) and `at` when (absent on changes made before deputies); the district's own units (set by
the centre) extend the defaults or replace one of the same id. One keyed read, one keyed write per change
(docs/store.md). Names are officials' personal data: never logged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from pymongo.collection import Collection

from shared.praise import PraiseDirectory, with_units

MAX_CHANGES = 500
MAX_NAME = 100
MAX_UNITS = 30
MAX_ALIASES = 10
_UNIT_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class PraiseChangeError(ValueError):
    """A merge or rename refused (empty, too long, the same person, too many changes): the page answers 400."""


def _clean(text: object) -> str:
    if not isinstance(text, str):
        raise PraiseChangeError("a name is required")
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_NAME or any(ord(c) < 32 for c in cleaned):
        raise PraiseChangeError(f"a name of 1 to {MAX_NAME} characters is required")
    return cleaned


def units_checked(units: object) -> list[dict]:
    """A district's units as stored: at most MAX_UNITS of `{id, th, en, aliases}`, each name 1-100 characters."""
    if not isinstance(units, list) or len(units) > MAX_UNITS:
        raise PraiseChangeError(f"units must be a list of at most {MAX_UNITS}")
    out = []
    for unit in units:
        if not isinstance(unit, dict) or not isinstance(unit.get("id"), str) or not _UNIT_ID.match(unit["id"]):
            raise PraiseChangeError("each unit needs an id of lower-case letters, digits and _ (at most 40)")
        aliases = unit.get("aliases") or []
        if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
            raise PraiseChangeError(f"aliases must be a list of at most {MAX_ALIASES}")
        out.append({"id": unit["id"], "th": _clean(unit.get("th")), "en": _clean(unit.get("en") or unit.get("th")),
                    "aliases": [_clean(a) for a in aliases]})
    return out


def replay(changes: list[dict], base: PraiseDirectory | None = None, units: list[dict] = ()) -> PraiseDirectory:
    directory = base or PraiseDirectory()
    if units:
        directory = replace(directory, units=with_units(units, directory.units))
    for change in changes:
        if change.get("op") == "merge":
            directory = directory.merged(change["spelling"], change["into"])
        elif change.get("op") == "rename":
            directory = directory.renamed(change["key"], change["name"])
    return directory


class PraiseDirectories:
    def __init__(self, collection: Collection, clock: Callable[[], float] = time.monotonic, ttl_s: float = 30.0):
        self.docs = collection
        self.clock = clock
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, PraiseDirectory]] = {}

    def directory(self, district: str) -> PraiseDirectory:
        """The district's directory now (one keyed read)."""
        doc = self.docs.find_one({"_id": district}) or {}
        return replay(doc.get("changes") or [], units=doc.get("units") or [])

    def set_units(self, district: str, units: object) -> list[dict]:
        """The district's own units, replacing the earlier list: checked whole (400 otherwise)."""
        checked = units_checked(units)
        self.docs.update_one({"_id": district}, {"$set": {"units": checked}}, upsert=True)
        return checked

    def cached(self, district: str) -> PraiseDirectory:
        """For the ballots processor: at most `ttl_s` old. Staleness only delays how a new spelling is first
        read; counts always apply the current directory's `canonical`."""
        now = self.clock()
        hit = self._cache.get(district)
        if hit is None or now - hit[0] > self.ttl_s:
            hit = (now, self.directory(district))
            self._cache[district] = hit
        return hit[1]

    def _push(self, district: str, change: dict) -> None:
        doc = self.docs.find_one({"_id": district}, {"changes": 1}) or {}
        if len(doc.get("changes") or []) >= MAX_CHANGES:
            raise PraiseChangeError(f"at most {MAX_CHANGES} merges and renames per district")
        self.docs.update_one({"_id": district}, {"$push": {"changes": change}}, upsert=True)

    def merge(self, district: str, spelling: str, into: str, *, by: str | None = None,
              at: datetime | None = None) -> None:
        """The chief or a deputy says `spelling` (a stored person key) is the person `into`. `by` (the
        directory key of who did it, `deputy:3706:d1`) and `at` are kept with the change, for the audit."""
        spelling, into = _clean(spelling), _clean(into)
        directory = self.directory(district)
        if directory.canonical(spelling) == directory.canonical(into):
            raise PraiseChangeError("these are already the same person")
        self._push(district, {"op": "merge", "spelling": spelling, "into": into, **_who(by, at)})

    def rename(self, district: str, key: str, name: str, *, by: str | None = None, at: datetime | None = None) -> None:
        self._push(district, {"op": "rename", "key": _clean(key), "name": _clean(name), **_who(by, at)})


def _who(by: str | None, at: datetime | None) -> dict:
    return {k: v for k, v in (("by", by), ("at", at)) if v is not None}
