"""Rebuilding from votes.v1 bytes (awards closed before they followed ballots) or ballots.v1 records, and the
award snapshot: scoring's counting rules, a stable hash that moves
when one vote changes, and a verifier that names the district that differs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from services.ranking import awards
from services.ranking.formulas import Formula
from services.ranking.replay import LogTallies
from shared.districts import load_registry

REGISTRY = load_registry()
CODES = REGISTRY.codes()
SIZE_GROUPS = {d.code: d.size_group for d in REGISTRY}
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")
CLOSED = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
V1, V2 = "1" * 64, "2" * 64  # voter keys: HMACs in hex, as ingest writes them


def vote(vote_id: str, code: str, score: int, submitted: str = "2026-11-21T03:00:00.000Z", *,
         voter: str | None = None, flagged: bool = False) -> bytes:
    return json.dumps({"schema": "votes.v1", "vote_id": vote_id, "district_code": code, "score": score,
                       "comment": "", "staff": None, "service": None, "channel": "qr", "voter_key": voter,
                       "submitted_at": submitted, "received_at": submitted,
                       **({"flagged": True, "flag_reason": "address_burst"} if flagged else {})}).encode()


def tallies_of(raws: list[bytes | None]) -> LogTallies:
    t = LogTallies(CODES)
    for raw in raws:
        t.add(raw)
    return t


def test_log_keeps_scorings_voter_day_rule_and_leaves_flagged_votes_out():
    code = SMALL[0]
    t = tallies_of([vote("a", code, 5, voter=V1), vote("b", code, 1, voter=V1),  # same voter, same day
                    vote("c", code, 1, "2026-11-22T03:00:00.000Z", voter=V1),  # the next Bangkok day
                    vote("d", code, 2, voter=V2, flagged=True), vote("e", code, 4, voter=V2)])
    assert (t.counted, t.duplicates, t.flagged) == (2, 2, 1)  # "d" holds v2's day although flagged, as in scoring
    figures = t.figures(date(2026, 11, 22), None, None)
    assert figures[code]["windows"]["campaign"]["votes"] == 2
    assert figures[code]["windows"]["campaign"]["sum"] == 6


def test_log_counts_once_per_vote_id_and_refuses_what_scoring_refuses():
    t = tallies_of([vote("a", SMALL[0], 5), vote("a", SMALL[0], 5), vote("b", SMALL[0], 3), None, b"{",
                    vote("c", "1001", 5), vote("d", SMALL[0], 9)])
    assert (t.counted, t.duplicates, t.refused) == (2, 1, 4)
    figures = t.figures(date(2026, 11, 21), None, None)
    campaign = figures[SMALL[0]]["windows"]["campaign"]
    assert (campaign["votes"], campaign["sum"]) == (2, 8)
    assert campaign["histogram"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}


def test_a_vote_belongs_to_its_bangkok_day_and_windows_follow_the_day():
    # 16:59 UTC on the 13th is 23:59 in Bangkok (13th); 17:00 UTC is already the 14th in Bangkok.
    t = tallies_of([vote("a", SMALL[0], 5, "2026-11-13T16:59:00.000Z"), vote("b", SMALL[0], 1, "2026-11-13T17:00:00Z")])
    w = t.figures(date(2026, 11, 20), None, None)[SMALL[0]]["windows"]
    assert (w["campaign"]["votes"], w["last_30_days"]["votes"], w["last_7_days"]["votes"]) == (2, 2, 1)
    assert w["last_7_days"]["sum"] == 1
    bounded = t.figures(date(2026, 11, 20), date(2026, 11, 14), None)[SMALL[0]]["windows"]["campaign"]
    assert bounded["votes"] == 1


def body(t: LogTallies, formula: Formula | None = None) -> dict:
    return awards.snapshot_body(name="sangsuk-2026", closed_at=CLOSED, day=date(2026, 11, 22), window="campaign",
                                campaign=(None, None), formula=formula or Formula("mean", {"min_votes": 1}),
                                topic="votes.v1", source=awards.VOTES, ends={0: 3, 1: 0}, size_groups=SIZE_GROUPS,
                                tallies=t)


def test_snapshot_hash_is_stable_and_moves_when_one_vote_changes():
    raws = [vote("a", SMALL[0], 5), vote("b", SMALL[1], 4), vote("c", SMALL[1], 4)]
    first = body(tallies_of(raws))
    assert awards.digest(first) == awards.digest(body(tallies_of(raws)))
    assert first["groups"]["small"][0] == {"rank": 1, "district_code": SMALL[0], "votes": 1, "sum": 5, "mean": 5.0,
                                           "score": 5.0, "eligible": True, "votes_needed": 0}
    assert len(first["groups"]["small"]) == 533 and len(first["size_groups"]) == 878
    altered = body(tallies_of([vote("a", SMALL[0], 3), *raws[1:]]))
    assert awards.digest(altered) != awards.digest(first)
    diff = awards.differences(first, altered)
    assert {d.get("district_code") for d in diff} == {SMALL[0], SMALL[1]}  # their ranks swapped


def test_rebuild_from_the_stored_document_reproduces_the_hash():
    raws = [vote("a", SMALL[0], 5), vote("b", SMALL[1], 4)]
    original = body(tallies_of(raws), Formula("bayes", {"prior_weight": 5, "min_votes": 1}))
    document = awards.award_document(original)
    stored = json.loads(document["canonical"])
    assert awards.digest(awards.rebuild_body(stored, tallies_of(raws))) == document["sha256"]
    edited = {**stored, "formula": {"name": "mean", "params": {"min_votes": 1}}}
    assert awards.digest(edited) != document["sha256"]


def test_canonical_json_sorts_keys_and_keeps_thai():
    assert awards.canonical({"b": 1, "a": "ไทย"}) == '{"a":"ไทย","b":1}'.encode()


def test_an_award_freezes_the_flag_caps_its_votes_were_judged_with():
    """Scoring decides the flags with the platform's caps; an award keeps the caps of its close, so a verify
    after the caps changed rebuilds the same figures (and an award closed before caps were frozen still verifies)."""
    from shared.flags import FlagSettings

    def from_one_address(i: int) -> bytes:
        raw = json.loads(vote(f"q{i}", SMALL[0], 5, f"2026-11-21T03:0{i}:00.000Z", voter=f"{i}" * 64))
        return json.dumps({**raw, "address_key": "a" * 32}).encode()

    raws = [from_one_address(i) for i in range(4)]
    strict = FlagSettings(address_daily_cap=2, address_burst_cap=2)

    def tallies(flags: FlagSettings | None) -> LogTallies:
        t = LogTallies(CODES, flags=flags)
        for raw in raws:
            t.add(raw)
        return t

    closed = awards.snapshot_body(name="sangsuk-2026", closed_at=CLOSED, day=date(2026, 11, 22), window="campaign",
                                  campaign=(None, None), formula=Formula("mean", {"min_votes": 1}),
                                  topic="votes.v1", source=awards.VOTES, ends={0: 4}, size_groups=SIZE_GROUPS,
                                  tallies=tallies(strict), flags=strict)
    assert closed["flags"]["address_daily_cap"] == 2
    assert closed["groups"]["small"][0]["votes"] == 2  # the 3rd and 4th from one address flagged
    stored = json.loads(awards.award_document(closed)["canonical"])
    assert awards.frozen_flags(stored) == strict
    rebuilt = awards.rebuild_body(stored, tallies(awards.frozen_flags(stored)))
    assert awards.digest(rebuilt) == awards.digest(closed)
    # Judged with today's (default) caps instead, the same log gives other figures: freezing is what keeps it.
    assert awards.digest(awards.rebuild_body(stored, tallies(None))) != awards.digest(closed)
    # An award closed before caps were frozen has none, and rebuilds as it was closed (with the platform's caps).
    old = json.loads(awards.award_document(awards.snapshot_body(
        name="sangsuk-2026", closed_at=CLOSED, day=date(2026, 11, 22), window="campaign", campaign=(None, None),
        formula=Formula("mean", {"min_votes": 1}), topic="votes.v1", source=awards.VOTES, ends={0: 4},
        size_groups=SIZE_GROUPS, tallies=tallies(None)))["canonical"])
    assert "flags" not in old and awards.frozen_flags(old) is None
    assert awards.digest(awards.rebuild_body(old, tallies(None))) == awards.digest(old)


def test_an_award_closed_over_votes_before_awards_followed_ballots_rebuilds_to_its_hash():
    """The hash the code before this change gave this award (votes.v1 body; computed with that code, pinned): an
    award stored then must verify exactly as before."""
    raws = [vote("a", SMALL[0], 5), vote("b", SMALL[1], 4), vote("c", SMALL[1], 4)]
    stored = json.loads(awards.award_document(body(tallies_of(raws)))["canonical"])
    assert awards.built_from(stored) == awards.VOTES and awards.topic_of(stored) == "votes.v1"
    assert awards.digest(awards.rebuild_body(stored, tallies_of(raws))) == (
        "6cd518d03678d3cfb9bba4b83873a6fee80e0f97b1c1019138d22225c3426b4e")


def test_an_award_over_ballots_names_its_log_and_rebuilds_from_it():
    from services.ranking.replay import BallotTallies
    from shared.counting import LogCounter
    from shared.events import VoteEvent, ballots_record, decode

    counter = LogCounter(frozenset(CODES))
    ballots = [counter.vote(decode(VoteEvent, raw), i) for i, raw in enumerate(
        [vote("a", SMALL[0], 5), vote("b", SMALL[1], 4), vote("c", SMALL[1], 3)])]

    def folded(items) -> BallotTallies:
        t = BallotTallies(CODES)
        for b in items:
            t.add(ballots_record(b.district_code, [b]))
        return t

    closed = awards.snapshot_body(name="sangsuk-2027", closed_at=CLOSED, day=date(2026, 11, 22), window="campaign",
                                  campaign=(None, None), formula=Formula("mean", {"min_votes": 1}),
                                  topic="ballots.v1", ends={0: 3}, size_groups=SIZE_GROUPS, tallies=folded(ballots))
    assert closed["ballots_topic"] == "ballots.v1" and "votes_topic" not in closed and "flags" not in closed
    stored = json.loads(awards.award_document(closed)["canonical"])
    assert awards.built_from(stored) == awards.BALLOTS
    assert awards.digest(awards.rebuild_body(stored, folded([*ballots, ballots[0]]))) == awards.digest(closed)
    from dataclasses import replace

    edited = [replace(ballots[0], score=1), *ballots[1:]]  # one ballot altered inside the range
    assert awards.digest(awards.rebuild_body(stored, folded(edited))) != awards.digest(closed)
    summary = awards.summary(closed, folded([*ballots, ballots[0]]), REGISTRY)
    assert (summary["built_from"], summary["votes_counted"], summary["ballots_redelivered"]) == ("ballots", 3, 1)


def test_the_close_reports_how_far_scoring_had_decided():
    from services.ranking.coverage import report

    done = report("scoring", "votes.v1", {0: 5, 1: 3}, {0: 5, 1: 3})
    assert (done["votes_undecided"], done["decided_offsets"]) == (0, {"0": 5, "1": 3})
    behind = report("scoring", "votes.v1", {0: 5}, {0: 7, 1: 2})
    assert behind["votes_undecided"] == 4 and "at most 4 votes" in behind["note"]
    nothing = report("scoring", "votes.v1", {}, {0: 3})
    assert nothing["votes_undecided"] == 3 and "SCORING_GROUP_ID" in nothing["note"]
    unknown = report("scoring", "votes.v1", "cannot read group scoring's offsets: GroupAuthorizationFailedError",
                     {0: 3})
    assert unknown["votes_undecided"] is None and "unknown" in unknown["note"]
