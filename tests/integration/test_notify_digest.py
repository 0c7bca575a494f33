"""The weekly digest on the real store: Monday 08:00 Bangkok, once per chief who wants it, with votes,
mean, rank in the size group and its movement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.notify.digest import scheduled_moment
from services.notify.directory import HEADER, parse_directory
from services.notify.policy import Policy
from services.notify.rules import CountedVote
from tests.integration.notify_env import built
from tests.support.fakes import Clock

MONDAY_0800_BKK = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_scheduled_moment_is_monday_0800_bangkok():
    assert scheduled_moment(MONDAY_0800_BKK, Policy()) == MONDAY_0800_BKK
    assert scheduled_moment(MONDAY_0800_BKK - timedelta(seconds=1), Policy()) == MONDAY_0800_BKK - timedelta(days=7)
    assert scheduled_moment(MONDAY_0800_BKK + timedelta(days=3), Policy()) == MONDAY_0800_BKK


def test_digest_once_per_chief_with_rank_and_movement(settings):
    clock = Clock(MONDAY_0800_BKK + timedelta(minutes=1))
    notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=9)
    rows = [",".join(HEADER),
            "chief,3706,ก,t,,a3706@dopa.example,,,email,yes",   # small district
            "chief,3707,ข,t,,a3707@dopa.example,,,email,no",    # opted out
            "chief,3701,ค,t,,a3701@dopa.example,,,email,yes"]
    notify.store.replace_directory(parse_directory("\n".join(rows) + "\n", notify.registry, allow_private=True))
    assert notify.registry.get("3706").size_group == notify.registry.get("3707").size_group == "small"

    def votes(code: str, day: date, scores: list[int]) -> None:
        notify.store.add_votes(code, day, {f"{code}-{day}-{i}": CountedVote(s, 0.0) for i, s in enumerate(scores)})

    last_week, week_before = date(2026, 11, 18), date(2026, 11, 11)
    votes("3706", last_week, [5, 5, 4])       # mean 4.67: first among small districts last week
    votes("3707", last_week, [3, 3])          # 3.0: second
    votes("3706", week_before, [2, 2])        # the week before: 3706 was second
    votes("3707", week_before, [4, 4])
    processor = notify.processor()
    report = processor.tick(clock())
    assert report.digests == 2  # 3706 and 3701; 3707 opted out
    by_contact = {d["contact"]: d["content"] for d in notify.store.outbox.find({"state": "pending"})}
    assert set(by_contact) == {"chief:3706", "chief:3701"}
    assert "ยังไม่มีอันดับ" in by_contact["chief:3701"]["text"]
    text = by_contact["chief:3706"]["text"]
    assert "ผลโหวต 3 เสียง คะแนนเฉลี่ย 4.67" in text and "อันดับ 1 จาก 2" in text and "(ขึ้น 1 อันดับ)" in text
    assert "16 พ.ย. 2569 - 22 พ.ย. 2569" in text
    processor.forget()
    clock.advance(hours=2)
    assert processor.tick(clock()).digests == 0  # done for this week
    assert notify.store.outbox.count_documents({}) == 2
