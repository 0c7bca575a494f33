"""The weekly digest on the real store: Monday 08:00 Bangkok, once per chief who wants it, with the public
board's votes, mean, rank in the size group and its movement (asked of ranking)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import requests

from services.notify.digest import WeeklyDigest, scheduled_moment
from services.notify.directory import HEADER, parse_directory
from services.notify.policy import Policy
from services.notify.ranks import RankingClient
from tests.integration.notify_env import built
from tests.support.fakes import Clock
from tests.support.site import running_site

MONDAY_0800_BKK = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_scheduled_moment_is_monday_0800_bangkok():
    assert scheduled_moment(MONDAY_0800_BKK, Policy()) == MONDAY_0800_BKK
    assert scheduled_moment(MONDAY_0800_BKK - timedelta(seconds=1), Policy()) == MONDAY_0800_BKK - timedelta(days=7)
    assert scheduled_moment(MONDAY_0800_BKK + timedelta(days=3), Policy()) == MONDAY_0800_BKK


class Board:
    """Ranking's answer as our own RankSource interface gives it (the real one: test below)."""

    def __init__(self, answers: dict[str, dict]):
        self.answers = answers

    def district(self, code: str) -> dict | None:
        return self.answers.get(code)


def window(rank, votes, mean, *, ranked=2, movement=None, needed=0) -> dict:
    return {"code": None, "windows": {"7d": {"rank": rank, "ranked": ranked, "votes": votes, "mean": mean,
                                                     "movement": movement, "votes_needed": needed}}}


def test_digest_once_per_chief_with_the_boards_rank_and_movement(settings):
    clock = Clock(MONDAY_0800_BKK + timedelta(minutes=1))
    notify = built(settings, clock, line_url="http://127.0.0.1:9", smtp_port=9)
    rows = [",".join(HEADER),
            "chief,3706,ก,t,,a3706@dopa.example,,,email,yes",   # small district
            "chief,3707,ข,t,,a3707@dopa.example,,,email,no",    # opted out
            "chief,3701,ค,t,,a3701@dopa.example,,,email,yes"]
    notify.store.replace_directory(parse_directory("\n".join(rows) + "\n", notify.registry, allow_private=True))
    board = Board({"3706": window(1, 3, 4.6667, movement={"status": "up", "places": 1, "previous_rank": 2}),
                   "3701": window(None, 1, 3.0, needed=9)})
    processor = notify.processor(WeeklyDigest(notify.store, notify.registry, notify.policy, notify.notifier.outbox,
                                              frozenset(notify.transports), board))
    report = processor.tick(clock())
    assert report.digests == 2  # 3706 and 3701; 3707 opted out
    by_contact = {d["contact"]: d["content"] for d in notify.store.outbox.find({"state": "pending"})}
    assert set(by_contact) == {"chief:3706", "chief:3701"}
    assert "ยังไม่มีอันดับ7 วันล่าสุด (ต้องการอีก 9 เสียง)" in by_contact["chief:3701"]["text"]
    text = by_contact["chief:3706"]["text"]
    assert "ผลโหวต7 วันล่าสุด 3 เสียง คะแนนเฉลี่ย 4.67" in text
    assert "อันดับ 1 จาก 2 ในอำเภอขนาดเล็ก (7 วันล่าสุด) (ขึ้น 1 อันดับ)" in text
    assert "16 พ.ย. 2569 - 22 พ.ย. 2569" in text
    processor.forget()
    clock.advance(hours=2)
    assert processor.tick(clock()).digests == 0  # done for this week
    assert notify.store.outbox.count_documents({}) == 2


def test_the_digest_states_the_public_boards_rank(infra):
    """Against ranking's real web process over a seeded campaign: the digest's rank, votes and movement
    for a district are the public leaderboard's for the same window, and it names the window as the site."""
    with running_site(infra, days=8, consumer=False) as site:
        board = requests.get(site.url + "/v1/leaderboards/small?window=7d&per_page=1000", timeout=30).json()
        entry = next(e for e in board["entries"] if e["rank"] is not None and e["rank"] > 1)
        page = requests.get(site.url + f"/ranking/district/{entry['district_code']}", timeout=30).text
        notify = built(site.settings, Clock(MONDAY_0800_BKK), line_url="http://127.0.0.1:9", smtp_port=9)
        digest = WeeklyDigest(notify.store, notify.registry, notify.policy, notify.notifier.outbox,
                              frozenset(), RankingClient(site.url))
        district = notify.registry.get(entry["district_code"])
        message = digest.render(district, date(2026, 11, 16), date(2026, 11, 22),
                                digest.ranks.district(district.code), [], MONDAY_0800_BKK)
    ranked = sum(1 for e in board["entries"] if e["rank"] is not None)
    assert (message.payload["rank"], message.payload["of"], message.payload["votes"]) == (
        entry["rank"], ranked, entry["votes"])
    assert message.payload["movement"] == entry["movement"]
    assert f"อันดับ {entry['rank']} จาก {ranked} ในอำเภอขนาดเล็ก (7 วันล่าสุด)" in message.text
    assert "7 วันล่าสุด" in page
