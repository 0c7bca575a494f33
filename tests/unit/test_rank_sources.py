"""Eligibility needs votes from MIN_SOURCES distinct sources (issue 22): the source on each vote, scoring's
capped count per district-day, the window's exact "at least N", ranking's rule and what the pages say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest import domain as ingest_domain
from services.ranking.domain import leaderboard, window_tally
from services.ranking.formulas import Formula, WindowFigures
from services.ranking.site.pages import eligibility_cells, needs_text
from services.ranking.site.words import TEXT
from services.scoring import domain
from services.scoring.domain import Bucket, Tally, Vote
from shared.config import MissingSetting, Settings
from shared.counting import LogCounter, Window, windows_of
from shared.events import VoteEvent, decode
from shared.pdpa import keyed_hash, voter_key

SECRET = b"s" * 32
NOW = datetime(2026, 11, 21, 5, tzinfo=UTC)
D = date(2026, 11, 21)


def drafted(channel: str, *, key_id: str | None = "k1", voter_id: str | None = None) -> VoteEvent:
    request = {"district_code": "3706", "score": 5, **({"voter_id": voter_id} if voter_id else {})}
    event, _ = ingest_domain.draft_vote(request, channel=channel, received_at=NOW, voter_secret=SECRET,
                                        vote_id="v", key_id=key_id)
    return event


# ------------------------------------------------------------------ ingest: the source of each vote

def test_a_kiosk_keys_votes_share_one_source_whatever_voter_ids_it_names():
    sources = {drafted("kiosk", voter_id=f"citizen-{i}").source_key for i in range(20)}
    assert sources == {drafted("kiosk").source_key}
    assert drafted("kiosk", key_id="k2").source_key not in sources  # another key, another source
    assert drafted("import").source_key != drafted("kiosk").source_key  # channel-scoped
    [source] = sources
    assert source == keyed_hash(SECRET, "source", "kiosk", "k1") and "k1" not in source  # hashed, never the id


def test_a_public_channels_source_is_the_hashed_voter():
    event = drafted("qr", key_id=None, voter_id="device-42")
    assert event.source_key == event.voter_key == voter_key(SECRET, "qr", "device-42")
    assert "device-42" not in event.to_bytes().decode()
    assert decode(VoteEvent, event.to_bytes()).source_key == event.source_key


def test_an_older_vote_without_a_source_still_reads():
    old = b'{"schema":"votes.v1","vote_id":"a","district_code":"3706","score":3,"channel":"kiosk",' \
          b'"submitted_at":"2026-11-21T02:30:00Z","received_at":"2026-11-21T02:30:00Z"}'
    assert decode(VoteEvent, old).source_key is None


# ------------------------------------------------------------------ counting: capped per day, exact per window

def counter_vote(counter: LogCounter, i: int, source: str | None, *, day_offset: int = 0,
                 channel: str = "kiosk") -> None:
    at = NOW - timedelta(days=day_offset)
    counter.vote(VoteEvent(f"v{i}", "3706", 4, "", None, None, channel, None, at, at, source_key=source), i)


def test_one_source_however_many_votes_counts_once():
    counter = LogCounter(frozenset({"3706"}), source_cap=5)
    for i in range(40):
        counter_vote(counter, i, "a" * 64)
    window = counter.figures(D)["3706"]["windows"]["last_7_days"]
    assert (window["votes"], window["sources"]) == (40, 1)


def test_sources_are_counted_up_to_the_cap_and_a_flagged_vote_brings_none():
    counter = LogCounter(frozenset({"3706"}), source_cap=3)
    for i in range(8):
        counter_vote(counter, i, f"{i:064x}", day_offset=i % 2)
    at = NOW
    counter.vote(VoteEvent("f", "3706", 4, "", None, None, "kiosk", None, at, at, flagged=True,
                           source_key="f" * 64), 99)
    assert counter.figures(D)["3706"]["windows"]["campaign"]["sources"] == 3
    assert all(len(t.sources) <= 3 for t in counter.days["3706"].values())
    assert all("f" * 64 not in t.sources for t in counter.days["3706"].values())


def test_a_vote_written_before_source_key_counts_its_voter():
    counter = LogCounter(frozenset({"3706"}), source_cap=5)
    counter.vote(VoteEvent("q", "3706", 4, "", None, None, "qr", "b" * 64, NOW, NOW), 0)
    assert counter.figures(D)["3706"]["windows"]["campaign"]["sources"] == 1


@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 12)), max_size=120), st.integers(1, 8))
def test_the_union_of_capped_day_sets_reaches_n_exactly_when_the_full_sets_do(day_sources, cap):
    """The hint of the issue, as a property: min(|∪ capped|, N) == min(|∪ full|, N) for every window."""
    days: dict[date, Tally] = {}
    for day, source in day_sources:
        days.setdefault(D - timedelta(days=day), Tally()).add_source(f"{source:064x}", cap)
    windows = [Window("campaign", None, None), Window("last_7_days", D - timedelta(days=6), D)]
    got = windows_of(days, windows, cap)
    for window in windows:
        full = {s for d, s in day_sources if window.contains(D - timedelta(days=d))}
        assert got[window.name]["sources"] == min(len(full), cap)


# ------------------------------------------------------------------ scoring: buckets keep at most N per day

def svote(i: int, source: str | None, *, flagged: bool = False) -> Vote:
    return Vote(f"v{i}", "3706", 4, NOW, NOW, 0, i, flagged=flagged, source=source)


def test_a_batch_adds_sources_to_a_bucket_only_up_to_the_cap():
    stored = Tally(3, 12, [0, 0, 0, 3, 0], NOW, 0, {"a" * 64, "b" * 64})
    bucket = Bucket(0, D, applied_offset=2, tallies={"3706": stored}, exists=True)
    votes = [svote(3, "a" * 64), svote(4, "c" * 64), svote(5, "d" * 64), svote(6, "e" * 64)]
    [inc] = domain.plan_increments(votes, {bucket.id: bucket}, source_cap=3)
    assert inc.tallies["3706"].sources == {"c" * 64}
    assert len(stored.plus(inc.tallies["3706"]).sources) == 3


def test_a_replayed_batch_adds_no_source_and_a_flagged_vote_none():
    bucket = Bucket(0, D)
    votes = [svote(0, "a" * 64), svote(1, "b" * 64, flagged=True)]
    [inc] = domain.plan_increments(votes, {bucket.id: bucket}, source_cap=5)
    assert inc.tallies["3706"].sources == {"a" * 64}
    bucket.tallies["3706"], bucket.applied_offset = inc.tallies["3706"], inc.applied_offset
    assert domain.plan_increments(votes, {bucket.id: bucket}, source_cap=5) == []


def test_a_tally_keeps_its_sources_in_its_text_and_older_texts_read_without():
    tally = Tally(2, 9, [0, 0, 0, 1, 1], NOW, 1, {"b" * 64, "a" * 64})
    assert Tally.from_stored(tally.to_text()) == tally
    older = '[2,9,0,0,0,1,1,1,"2026-11-21T05:00:00+00:00"]'
    assert Tally.from_stored(older).sources == set() and Tally.from_stored(older).votes == 2


def test_a_standing_publishes_sources_counted_up_to_the_cap():
    days = {D: Tally(6, 24, [0, 0, 0, 6, 0], NOW, 0, {f"{i:064x}" for i in range(4)})}
    standing = domain.standing("3706", days, domain.windows_for(D), D, source_cap=3)
    assert standing.windows["last_7_days"]["sources"] == 3


# ------------------------------------------------------------------ ranking: the rule and its reasons

def test_a_district_with_enough_votes_from_too_few_sources_is_not_ranked():
    formula = Formula("mean", {"min_votes": 2}, min_sources=3)
    tallies = {"3706": WindowFigures(40, 200, (0, 0, 0, 0, 40), sources=1),
               "4408": WindowFigures(3, 12, (0, 0, 0, 3, 0), sources=3)}
    entries = {e.code: e for e in leaderboard(tallies, formula)}
    assert (entries["3706"].eligible, entries["3706"].rank, entries["3706"].sources_needed) == (False, None, 2)
    assert (entries["4408"].eligible, entries["4408"].rank, entries["4408"].sources_needed) == (True, 1, 0)


def test_a_standing_without_the_count_is_judged_by_votes_and_min_sources_1_turns_the_rule_off():
    assert window_tally({"windows": {"last_7_days": {"votes": 3, "sum": 9}}}, "7d").sources is None
    assert window_tally({"windows": {"last_7_days": {"votes": 3, "sum": 9, "sources": 2}}}, "7d").sources == 2
    tallies = {"3706": WindowFigures(3, 9, (0, 0, 3, 0, 0), sources=None),
               "4408": WindowFigures(3, 9, (0, 0, 3, 0, 0), sources=0)}
    assert all(e.eligible for e in leaderboard(tallies, Formula("mean", {"min_votes": 1}, min_sources=5))
               if e.code == "3706")
    assert all(e.eligible for e in leaderboard(tallies, Formula("mean", {"min_votes": 1})))


def test_the_pages_say_why_a_district_is_not_ranked():
    formula = Formula("mean", {"min_votes": 2}, min_sources=5)
    [few_sources] = leaderboard({"3706": WindowFigures(9, 36, (0, 0, 0, 9, 0), sources=2)}, formula)
    [few_votes] = leaderboard({"3706": WindowFigures(1, 4, (0, 0, 0, 1, 0), sources=1)}, formula)
    assert eligibility_cells(few_sources, TEXT["th"])["eligible_sr"] == \
        "ต้องมีโหวตจากผู้ส่งต่างกันอีก 3 รายจึงจะได้รับการจัดอันดับ"
    assert "3 more distinct senders" in eligibility_cells(few_sources, TEXT["en"])["eligible_sr"]
    assert "3" in needs_text(few_sources, TEXT["th"]) and "ผู้ส่ง" in needs_text(few_sources, TEXT["th"])
    assert needs_text(few_votes, TEXT["en"]) == "needs 1 more votes"  # the votes first


def test_formula_json_carries_min_sources_only_with_the_rule_on():
    assert Formula("mean").to_json() == {"name": "mean", "params": {"min_votes": 10}}
    assert Formula("mean", min_sources=5).to_json()["min_sources"] == 5
    with pytest.raises(ValueError):
        Formula("mean", min_sources=0)


@pytest.mark.parametrize("text", ["0", "-3", "five", "2.5"])
def test_min_sources_refuses_what_is_not_a_whole_number_of_at_least_one(text):
    with pytest.raises(MissingSetting):
        Settings.from_env({"MIN_SOURCES": text})


def test_min_sources_defaults_to_five():
    assert Settings.from_env({}).min_sources == 5 and Settings.from_env({"MIN_SOURCES": "3"}).min_sources == 3


# ------------------------------------------------------------------ the public site says the rule and the reason

def test_the_site_states_the_rule_and_why_a_district_waits():
    import json

    from services.ranking.app import create_app
    from services.ranking.bootstrap import bootstrap
    from services.ranking.config import RankingConfig
    from services.ranking.processor import RankingProcessor
    from tests.support.ranking_fakes import MemoryRankingStore

    class Rec:
        topic, partition, offset = "scores.v1", 0, 0

        def __init__(self, value: bytes):
            self.value = value

    window = {"from": None, "to": None, "votes": 40, "sum": 190, "mean": 4.75, "sources": 2,
              "histogram": {"1": 0, "2": 0, "3": 0, "4": 10, "5": 30}, "last_vote_at": None}
    event = {"schema": "scores.v1", "district_code": "3706", "day": "2026-11-21", "as_of": "2026-11-21T04:59:00.000Z",
             "votes_offset": 9, "windows": {"campaign": window, "last_7_days": window, "last_30_days": window}}
    store = MemoryRankingStore()
    config = RankingConfig(formula=Formula("mean", {"min_votes": 2}, min_sources=5))
    ranking = bootstrap(config, store=store, clock=lambda: NOW)
    RankingProcessor(store, ranking.registry, config.formula, clock=lambda: NOW).handle(
        [Rec(json.dumps(event).encode())])
    client = create_app(ranking).test_client()
    how_th = client.get("/ranking/how").get_data(as_text=True)
    assert 'id="min-sources">5<' in how_th and "เครื่องรับคะแนนเครื่องเดียว" in how_th
    assert "from at least\n5 distinct senders" in client.get("/ranking/how?lang=en").get_data(as_text=True)
    district = client.get("/ranking/district/3706").get_data(as_text=True)
    assert TEXT["th"]["needs_sources"].format(n=3) in district
    rank = client.get("/v1/districts/3706/rank").get_json()["windows"]["7d"]
    assert (rank["eligible"], rank["votes_needed"], rank["sources_needed"]) == (False, 0, 3)
    group = ranking.registry.get("3706").size_group
    data = client.get(f"/ranking/data/{group}.json").get_json()
    [mine] = [e for e in data["entries"] if e["district_code"] == "3706"]
    assert (mine["eligible"], mine["sources_needed"]) == (False, 3) and data["formula"]["min_sources"] == 5
    assert "sources_needed" in client.get(f"/ranking/data/{group}.csv").get_data(as_text=True).splitlines()[0]
