"""The flag rules' counters on the real document server: one keyed document per subject, district, day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.ingest.counters import MongoVoteCounters
from shared import mongo

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def test_counters_add_per_field_and_expire(settings):
    counters = MongoVoteCounters(mongo.database(settings).ingest_counters)
    counters.ensure_indexes()
    first = counters.add({"address:x:3706:2026-11-21": ({"n": 3, "w100": 3}, NOW + timedelta(days=9)),
                          "key:k:4408:2026-11-21": ({"n": 1, "w100": 1}, NOW)})
    assert first == {"address:x:3706:2026-11-21": {"n": 3, "w100": 3}, "key:k:4408:2026-11-21": {"n": 1, "w100": 1}}
    again = counters.add({"address:x:3706:2026-11-21": ({"n": 2, "w101": 2}, NOW + timedelta(days=9))})
    assert again == {"address:x:3706:2026-11-21": {"n": 5, "w101": 2}}
    assert counters.expire(NOW + timedelta(days=1)) == 1
    assert counters.add({"key:k:4408:2026-11-21": ({"n": 1}, NOW)}) == {"key:k:4408:2026-11-21": {"n": 1}}
