"""The alert lifecycle with a controllable clock: firing, grouping, repeat, recovery, silence, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.lifecycle import (
    ACKNOWLEDGED,
    GOVERNOR,
    RESOLVED,
    Alert,
    Silence,
    TransitionError,
    acknowledge,
    due_events,
    mark_notified,
    observe,
    resolve,
)
from services.notify.policy import Lifecycle
from services.notify.rules import Finding
from tests.support.fakes import Clock

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
TIMING = Lifecycle(group_wait_s=30, repeat_interval_h=24, escalate_after_h=48)


def fire(rule: str = "low_mean", firing: bool = True) -> Finding:
    return Finding(rule, firing, {"votes": 12, "mean": 2.5})


class District:
    """One district's alerts driven through observe / due_events / mark_notified, as the processor does."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.alerts: dict[str, Alert] = {}
        self.silences: list[Silence] = []
        self.sent: list[tuple[str, str, str]] = []

    def see(self, finding: Finding) -> None:
        changed = observe("3706", self.alerts.get(finding.rule), finding, self.clock())
        if changed:
            self.alerts[finding.rule] = changed

    def send_due(self) -> list[tuple[str, str, str]]:
        now = self.clock()
        out = []
        for due in due_events(list(self.alerts.values()), self.silences, now, TIMING):
            out.append((due.alert.id, due.event, due.audience))
            self.alerts[due.alert.rule] = mark_notified(self.alerts[due.alert.rule], due.event, now)
        self.sent += out
        return out


@pytest.fixture
def district() -> District:
    return District(Clock(T0))


def test_firing_waits_for_the_group_wait_then_sends_once(district):
    district.see(fire())
    assert district.send_due() == []
    district.clock.advance(seconds=29)
    assert district.send_due() == []
    district.clock.advance(seconds=1)
    assert district.send_due() == [("3706-low_mean-1", "firing:1", "chief")]
    district.clock.advance(minutes=5)
    district.see(fire())
    assert district.send_due() == []


def test_rules_firing_together_coalesce_into_one_message(district):
    district.see(fire("low_mean"))
    district.clock.advance(seconds=10)
    district.see(fire("unhappy_burst"))
    district.clock.advance(seconds=20)  # the first wait ends: both go together
    assert sorted(district.send_due()) == [("3706-low_mean-1", "firing:1", "chief"),
                                           ("3706-unhappy_burst-1", "firing:1", "chief")]


def test_reminder_every_24_hours_while_firing_and_unacknowledged(district):
    district.see(fire())
    district.clock.advance(seconds=30)
    district.send_due()
    district.clock.advance(hours=23, minutes=59)
    assert district.send_due() == []
    district.clock.advance(minutes=1)
    assert district.send_due() == [("3706-low_mean-1", "reminder:1:1", "chief")]
    district.clock.advance(hours=1)
    assert district.send_due() == []
    district.alerts["low_mean"] = acknowledge(district.alerts["low_mean"], "กำลังตรวจสอบ", district.clock())
    district.clock.advance(hours=30)
    assert district.send_due() == []  # acknowledged: no reminder, no escalation


def test_unacknowledged_after_48_hours_escalates_to_the_governor_once(district):
    district.see(fire())
    district.clock.advance(seconds=30)
    district.send_due()
    district.clock.advance(hours=24)
    district.send_due()
    district.clock.advance(hours=24)
    sent = district.send_due()
    assert ("3706-low_mean-1", "escalation", GOVERNOR) in sent
    district.clock.advance(hours=1)
    assert all(e != "escalation" for _, e, _ in district.send_due())
    assert district.alerts["low_mean"].escalated_at is not None


def test_recovery_sends_recovered_and_a_new_episode_fires_again(district):
    district.see(fire())
    district.clock.advance(seconds=30)
    district.send_due()
    district.clock.advance(hours=1)
    district.see(fire(firing=False))
    assert not district.alerts["low_mean"].firing
    district.clock.advance(seconds=30)
    assert district.send_due() == [("3706-low_mean-1", "recovered:1", "chief")]
    district.clock.advance(hours=30)
    assert district.send_due() == []  # recovered: no reminder
    district.see(fire())
    district.clock.advance(seconds=30)
    assert district.send_due() == [("3706-low_mean-1", "firing:2", "chief")]


def test_recovered_before_anything_was_sent_sends_nothing(district):
    district.see(fire())
    district.clock.advance(seconds=5)
    district.see(fire(firing=False))
    district.clock.advance(minutes=5)
    assert district.send_due() == []


def test_a_silence_mutes_until_its_end(district):
    district.silences.append(Silence("s1", "3706", "low_mean", T0 + timedelta(hours=2), "ปิดปรับปรุงระบบ",
                                     "chief", T0))
    district.see(fire("low_mean"))
    district.see(fire("unhappy_burst"))
    district.clock.advance(seconds=30)
    assert district.send_due() == [("3706-unhappy_burst-1", "firing:1", "chief")]
    district.clock.advance(hours=2)
    assert district.send_due() == [("3706-low_mean-1", "firing:1", "chief")]


def test_a_district_wide_silence_mutes_every_rule(district):
    district.silences.append(Silence("s1", "3706", None, T0 + timedelta(days=3), "ช่วงย้ายสำนักงาน", "centre", T0))
    district.see(fire("low_mean"))
    district.clock.advance(days=2, seconds=30)
    assert district.send_due() == []


def test_open_acknowledged_resolved_with_notes(district):
    district.see(fire())
    alert = district.alerts["low_mean"]
    with pytest.raises(TransitionError):
        acknowledge(alert, "  ", district.clock())
    acked = acknowledge(alert, "รับทราบ จะตรวจสอบคิว", district.clock())
    assert acked.status == ACKNOWLEDGED and acked.acknowledge_note == "รับทราบ จะตรวจสอบคิว"
    with pytest.raises(TransitionError):
        acknowledge(acked, "again", district.clock())
    done = resolve(acked, "เพิ่มเจ้าหน้าที่ช่วงเช้า", district.clock())
    assert done.status == RESOLVED and done.resolve_note == "เพิ่มเจ้าหน้าที่ช่วงเช้า"
    with pytest.raises(TransitionError):
        resolve(done, "again", district.clock())


def test_a_resolved_alert_does_not_reopen_until_the_data_recovered(district):
    district.see(fire())
    district.alerts["low_mean"] = resolve(district.alerts["low_mean"], "แก้ไขแล้ว", district.clock())
    district.clock.advance(hours=1)
    district.see(fire())
    assert district.alerts["low_mean"].seq == 1
    district.see(fire(firing=False))
    district.see(fire())
    assert district.alerts["low_mean"].seq == 2 and district.alerts["low_mean"].status == "open"
