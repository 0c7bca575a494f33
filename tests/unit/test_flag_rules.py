"""The flag rules' pure parts (shared/flags.py): positions, the voter rule by received time, the counter's form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.flags import CounterState, FlagRule, FlagSettings, voter_reason

T0 = datetime(2026, 11, 21, 3, 0, 30, tzinfo=UTC)
VOTER = FlagRule("voter", daily_cap=3, burst_cap=2, burst_window=timedelta(minutes=5))


def test_the_voter_rule_goes_by_received_time_not_by_arrival():
    day = {"3706": T0 + timedelta(minutes=30), "4408": T0, "4712": T0 + timedelta(minutes=10),
           "1101": T0 + timedelta(minutes=20)}
    # 3706 arrived first but was received last: it is the voter's fourth district of the day.
    assert voter_reason(VOTER, day, "3706") == "voter_daily_cap"
    assert [voter_reason(VOTER, day, d) for d in ("4408", "4712", "1101")] == [None, None, None]
    burst = {"3706": T0, "4408": T0 + timedelta(seconds=1), "4712": T0 + timedelta(seconds=2)}
    assert [voter_reason(VOTER, burst, d) for d in burst] == [None, None, "voter_burst"]
    # Received at the same instant: each counts the others as earlier, so whoever is judged with both seen
    # is the second.
    assert voter_reason(VOTER, {"3706": T0, "4408": T0}, "4408") is None
    assert voter_reason(VOTER, {"3706": T0, "4408": T0, "4712": T0}, "3706") == "voter_burst"


def test_a_counter_keeps_its_latest_windows_and_reads_back_from_its_text():
    state = CounterState()
    positions = [state.add(w) for w in (10, 10, 11, 12, 13, 13)]
    assert positions == [(1, 1), (2, 2), (3, 1), (4, 1), (5, 1), (6, 2)]
    assert sorted(state.windows) == [11, 12, 13]  # window 10 is over: dropped
    again = CounterState.from_text(state.to_text(), 41)
    assert (again.applied_offset, again.day, again.windows) == (41, 6, state.windows)


def test_the_rules_per_channel_and_their_settings():
    rules = FlagSettings.from_env({"FLAG_KEY_BURST_CAP": "6", "FLAG_ADDRESS_CHANNELS": "qr,kiosk"}).rules()
    assert [r.kind for r in rules["qr"]] == ["address"] and "web" not in rules  # kiosk votes carry no address
    assert [(r.kind, r.burst_cap) for r in rules["kiosk"]] == [("key", 6)]
    assert [r.kind for r in rules["line"]] == ["key", "voter"]
    assert FlagRule("key", 3, 2, timedelta(minutes=5)).reason(day_position=4, burst_position=3) == "key_burst"
