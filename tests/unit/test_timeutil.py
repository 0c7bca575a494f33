"""iso_utc is written field by field for speed: it must say exactly what isoformat says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.timeutil import iso_utc

zones = st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30)),
                         timezone(timedelta(0))])


@settings(max_examples=2000, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30)), zone=zones)
def test_iso_utc_is_isoformat_in_utc_with_milliseconds_and_z(moment, zone):
    aware = moment.replace(tzinfo=zone)
    expected = aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert iso_utc(aware) == expected
