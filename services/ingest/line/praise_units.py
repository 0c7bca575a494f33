"""Which units a district's LINE praise question offers: the default units plus the district's own.

The district's own units are set by the centre in notify's praise directory (`notify_praise`, document
`{_id: <district>, units: [{id, th, en, aliases}]}`: services/notify/praise_store.py checks them on write).
The question must offer the same units the chief's counts know, so ingest reads that one field, read-only,
by `_id` (docs/store.md), at most once per `ttl_s` per district; when the read fails or the document is
malformed the defaults are offered (the vote is already in; a question is never worth a failure).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from shared.praise import DEFAULT_UNITS, Unit, with_units

log = logging.getLogger(__name__)
MAX_OWN_UNITS = 30  # notify's MAX_UNITS: a document with more is not one notify wrote


@dataclass(frozen=True)
class DistrictUnits:
    units: tuple[Unit, ...]
    own: tuple[str, ...] = ()  # the ids the district set itself (offered first)


class PraiseUnits(Protocol):
    def for_district(self, district: str) -> DistrictUnits: ...


class StaticPraiseUnits:
    """The defaults (and optional extras per district) without a store: tests and a LINE-less ingest."""

    def __init__(self, extra: dict[str, list[dict]] | None = None):
        self.extra = extra or {}

    def for_district(self, district: str) -> DistrictUnits:
        own = self.extra.get(district) or []
        return DistrictUnits(with_units(own), tuple(str(u["id"]) for u in own))


class MongoPraiseUnits:
    def __init__(self, collection: Collection, clock: Callable[[], float] = time.monotonic, ttl_s: float = 60.0):
        self.docs = collection
        self.clock = clock
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, DistrictUnits]] = {}

    def for_district(self, district: str) -> DistrictUnits:
        now = self.clock()
        hit = self._cache.get(district)
        if hit is not None and now - hit[0] <= self.ttl_s:
            return hit[1]
        units = self._read(district)
        if len(self._cache) > 2000:  # 878 districts: a bound, not an eviction policy
            self._cache.clear()
        self._cache[district] = (now, units)
        return units

    def _read(self, district: str) -> DistrictUnits:
        try:
            doc = self.docs.find_one({"_id": district}, {"units": 1}) or {}
        except PyMongoError as exc:
            log.warning("praise units unreadable; offering the defaults", extra={"error": type(exc).__name__})
            return DistrictUnits(DEFAULT_UNITS)
        own = doc.get("units") or []
        try:
            if not isinstance(own, list) or len(own) > MAX_OWN_UNITS:
                raise TypeError("units")
            return DistrictUnits(with_units(own), tuple(str(u["id"]) for u in own))
        except (TypeError, KeyError, AttributeError):
            log.warning("praise units malformed; offering the defaults", extra={"district": district})
            return DistrictUnits(DEFAULT_UNITS)
