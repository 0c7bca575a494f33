"""Folding scoring's ballots into day tallies (shared.counting.BallotCounter, ranking's BallotTallies): once per
vote_id, decisions followed as published, windows and rule 7's sources as scoring's, the same figures as the
rules' own replay wherever the decisions agree."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ranking.replay import BallotTallies
from shared.counting import BallotCounter, LogCounter, source_ref
from shared.events import ballots_record, decode_ballots
from shared.flags import FlagSettings, MemoryFlags
from tests.support.ballots import vote

CODES = frozenset({"3706", "4408", "4712"})
NOON = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok
TODAY = date(2026, 11, 22)


def decided(votes, cap: int = 5, flags: FlagSettings | None = None):
    """The ballots the rules give for `votes` (as scoring publishes them), and the rules' own replay."""
    counter = LogCounter(CODES, source_cap=cap, flags=MemoryFlags(rules=(flags or FlagSettings()).rules()))
    ballots = [b for offset, v in enumerate(votes) if (b := counter.vote(v, offset)) is not None]
    return ballots, counter


def folded(ballots, cap: int = 5) -> BallotCounter:
    counter = BallotCounter(CODES, source_cap=cap)
    for b in ballots:
        counter.ballot(b)
    return counter


def test_a_vote_counts_once_however_often_its_ballot_comes():
    ballots, _ = decided([vote("3706", 5, NOON), vote("3706", 3, NOON), vote("4408", 4, NOON)])
    once = folded(ballots)
    twice = folded([*ballots, *ballots, ballots[0]])
    assert once.figures(TODAY) == twice.figures(TODAY)
    assert (twice.counted, twice.redelivered) == (3, 4)
    assert twice.figures(TODAY)["3706"]["windows"]["campaign"]["sum"] == 8


def test_decisions_are_followed_as_published_not_judged_again():
    ballots, _ = decided([vote("3706", 5, NOON), vote("3706", 2, NOON)])
    # Scoring flagged the second vote (a voter's districts raced across partitions, docs/scoring.md): the rules
    # alone would count it; the fold follows scoring.
    ballots[1] = replace(ballots[1], decision="flagged", flag_reason="voter_daily_cap", source_ref=None)
    counter = folded(ballots)
    campaign = counter.figures(TODAY)["3706"]["windows"]["campaign"]
    assert (campaign["votes"], campaign["sum"], campaign["flagged"]) == (1, 5, 1)
    assert (counter.counted, counter.flagged, counter.repeats) == (1, 1, 0)


def test_repeats_and_comment_ballots_and_other_districts():
    voter = "a" * 64
    ballots, _ = decided([vote("3706", 5, NOON, voter_key=voter), vote("3706", 1, NOON, voter_key=voter)])
    assert [b.decision for b in ballots] == ["counted", "repeat"]
    follow_up = replace(ballots[0], kind="comment", comment="ขอบคุณ", score=1)
    stranger = replace(ballots[0], vote_id="x", district_code="1001")
    counter = BallotCounter(frozenset({"3706"}))
    for b in (*ballots, follow_up, stranger):
        counter.ballot(b)
    assert (counter.counted, counter.repeats, counter.refused) == (1, 1, 1)
    assert counter.figures(TODAY)["3706"]["windows"]["campaign"]["sum"] == 5  # the comment ballot's score ignored


def test_windows_follow_the_ballots_day():
    late = NOON.replace(hour=16, minute=59)  # 23:59 in Bangkok on the 21st
    ballots, _ = decided([vote("3706", 5, late), vote("3706", 1, late + timedelta(minutes=1)),
                          vote("3706", 4, NOON - timedelta(days=10))])
    windows = folded(ballots).figures(TODAY, date(2026, 11, 12), None)["3706"]["windows"]
    assert (windows["campaign"]["votes"], windows["last_7_days"]["votes"], windows["last_30_days"]["votes"]) == (
        2, 2, 3)
    assert windows["last_7_days"]["last_vote_at"] == "2026-11-21T17:00:00.000Z"


def test_sources_are_capped_per_day_and_one_source_is_one_across_days():
    sources = ["c" * 64, "d" * 64, "e" * 64]
    votes = [replace(vote("3706", 5, NOON + timedelta(minutes=i)), source_key=s) for i, s in enumerate(sources)]
    votes.append(replace(vote("3706", 4, NOON - timedelta(days=1)), source_key=sources[0]))  # yesterday, same one
    ballots, replayed = decided(votes, cap=2)
    windows = folded(ballots, cap=2).figures(TODAY)["3706"]["windows"]
    assert windows["campaign"]["sources"] == 2  # three sources, the cap is two
    assert folded(ballots, cap=5).figures(TODAY)["3706"]["windows"]["campaign"]["sources"] == 3
    assert folded(ballots, cap=2).figures(TODAY) == replayed.figures(TODAY)


def test_a_later_copy_completes_a_source_an_older_ballot_lacked():
    ballots, _ = decided([replace(vote("3706", 5, NOON), source_key="c" * 64),
                          replace(vote("3706", 4, NOON), source_key="d" * 64)])
    older = [replace(b, source_ref=None) for b in ballots]  # written before ballots carried the source
    counter = folded(older)
    assert counter.without_source == 2 and counter.figures(TODAY)["3706"]["windows"]["campaign"]["sources"] == 0
    for b in ballots:  # `sangsuk ballots backfill` publishes them again, with the source
        counter.ballot(b)
    assert counter.without_source == 0 and counter.figures(TODAY)["3706"]["windows"]["campaign"]["sources"] == 2
    assert counter.counted == 2  # completed, not counted again


def test_source_ref_names_a_source_within_its_district_only():
    key = "c" * 64
    assert source_ref("3706", key) == source_ref("3706", key) != source_ref("4408", key)
    assert len(source_ref("3706", key)) == 32 and key not in source_ref("3706", key)
    assert source_ref("3706", None) is None
    ballots, _ = decided([replace(vote("3706", 5, NOON, voter_key="a" * 64), source_key=key),
                          replace(vote("4408", 5, NOON, flagged=True), source_key=key)])
    assert ballots[0].source_ref == source_ref("3706", key)
    assert ballots[1].source_ref is None  # flagged: not counted, no source published
    assert "a" * 64 not in ballots_record("3706", ballots[:1]).decode() and key not in ballots_record(
        "3706", ballots[:1]).decode()


def test_ranking_reads_ballot_records_and_counts_unreadable_ones():
    ballots, _ = decided([vote("3706", 5, NOON), vote("3706", 3, NOON)])
    records = [ballots_record("3706", ballots), b"{", ballots_record("3706", ballots[:1])]
    tallies = BallotTallies(CODES)
    tallies.add_records([type("R", (), {"value": raw})() for raw in records])
    assert (tallies.counted, tallies.refused, tallies.redelivered) == (2, 1, 1)
    assert decode_ballots(records[0]) == ballots  # source_ref survives the wire


log = st.lists(st.tuples(st.sampled_from(sorted(CODES)), st.integers(1, 5), st.integers(-2000, 2000),
                         st.sampled_from(["a" * 64, "b" * 64, None]), st.booleans(),
                         st.sampled_from(["c" * 64, "d" * 64, "e" * 64, None]), st.sampled_from(["line", "qr"])),
               min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(entries=log, copies=st.lists(st.integers(0, 29), max_size=6))
def test_the_fold_of_the_rules_ballots_gives_the_rules_figures(entries, copies):
    votes = [replace(vote(code, score, NOON + timedelta(minutes=minutes), voter_key=voter, flagged=flagged,
                          channel=channel, vote_id=uuid.uuid4().hex), source_key=source)
             for code, score, minutes, voter, flagged, source, channel in entries]
    ballots, replayed = decided(votes, cap=2, flags=FlagSettings(voter_daily_cap=1))
    again = [ballots[i] for i in copies if i < len(ballots)]  # at least once: some delivered twice
    counter = folded([*ballots, *again], cap=2)
    assert counter.figures(TODAY, date(2026, 11, 20), None) == replayed.figures(TODAY, date(2026, 11, 20), None)
    assert (counter.counted, counter.flagged, counter.repeats) == (replayed.counted, replayed.flagged,
                                                                   replayed.repeats)

