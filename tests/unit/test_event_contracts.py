"""Each event contract is defined once (shared/events.py); the docs, the schema and the fast check follow it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared.counting import LogCounter
from shared.events import (
    CONTRACTS,
    BallotEvent,
    CommentEvent,
    EventError,
    PublishedStoryEvent,
    ScoresEvent,
    StoryDecisionEvent,
    StoryEvent,
    VoteEvent,
    ballots_record,
    canonical_time,
    decode,
    decode_ballots,
    load_fast,
    schema_for,
    wire_fields,
)
from shared.timeutil import iso_utc

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


def documented_fields(schema: str) -> list[str]:
    section = DOCS.split(f"## {schema}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


@pytest.mark.parametrize("cls", [VoteEvent, CommentEvent, BallotEvent, StoryEvent, PublishedStoryEvent,
                                 StoryDecisionEvent])
def test_the_docs_table_lists_exactly_the_contracts_fields(cls):
    assert sorted(documented_fields(cls.SCHEMA_NAME)) == sorted(name for name, _ in wire_fields(cls))


def test_the_scores_example_carries_every_field():
    section = DOCS.split("## scores.v1\n", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert set(example) == {name for name, _ in wire_fields(ScoresEvent)}


def test_every_contract_is_registered_once_by_its_schema_name():
    assert set(CONTRACTS) == {"votes.v1", "comments.v1", "ballots.v1", "scores.v1", "stories.v1",
                              "stories.published.v1", "stories.decisions.v1"}
    assert all(name == cls.SCHEMA_NAME for name, cls in CONTRACTS.items())


def test_an_event_round_trips_through_its_bytes():
    vote = VoteEvent("v1", "3706", 5, "ดีมาก", "พี่นก งานบัตร", "id_card", "qr", "a" * 64, NOW, NOW)
    assert decode(VoteEvent, vote.to_bytes()) == vote
    ballot = LogCounter(frozenset({"3706"})).vote(vote, 7)
    assert decode_ballots(ballots_record("3706", [ballot])) == [ballot]
    [wire] = json.loads(ballots_record("3706", [ballot]))["ballots"]
    assert wire == ballot.to_json()  # the hand-built bytes are the contract's


def test_a_story_is_keyed_by_its_id_and_round_trips():
    story = StoryEvent("a" * 32, "told", "3706", "qr", NOW, vote_id="v1", voter_key="b" * 64, text="ขอบคุณ",
                       publish=True, credit="initials", credit_name="ส.ก.", consent_version="2026-12")
    assert story.key == b"a" * 32
    assert decode(StoryEvent, story.to_bytes()) == story
    gone = PublishedStoryEvent("a" * 32, "3706", "withdrawn", NOW)
    assert decode(PublishedStoryEvent, gone.to_bytes()) == gone
    with pytest.raises(EventError):
        decode(StoryEvent, StoryEvent("a" * 32, "told", "3706", "qr", NOW, credit="full_name").to_bytes())


def test_a_record_holds_one_districts_ballots_and_refuses_anything_else():
    counter = LogCounter(frozenset({"3706", "4408"}))
    ours = [counter.vote(VoteEvent(f"v{i}", "3706", 3, "", None, None, "qr", None, NOW, NOW), i) for i in range(3)]
    assert [b.vote_id for b in decode_ballots(ballots_record("3706", ours))] == ["v0", "v1", "v2"]
    other = counter.vote(VoteEvent("w", "4408", 3, "", None, None, "qr", None, NOW, NOW), 9)
    for bad in (ballots_record("3706", [*ours, other]), b'{"schema":"ballots.v1","ballots":{}}',
                b'{"schema":"ballots.v1","district_code":"3706","ballots":[1]}', ours[0].to_bytes()):
        with pytest.raises(EventError):
            decode_ballots(bad)


@pytest.mark.parametrize("raw", [None, b"\xff", b"[1]", b"{", b'{"schema":"ballots.v1"}', b"[" * 100000])
def test_bad_bytes_give_an_event_error_with_a_reason(raw):
    with pytest.raises(EventError) as caught:
        decode(BallotEvent, raw)
    assert caught.value.reason.startswith(("invalid", "unparsable"))


values = st.one_of(st.none(), st.booleans(), st.integers(-3, 8), st.text(max_size=6), st.just("2026-11-21"),
                   st.just("2026-11-21T09:30:00+07:00"), st.sampled_from(["counted", "vote", "qr", "3706"]),
                   st.lists(st.integers(), max_size=2))


@settings(max_examples=1500, deadline=None)
@given(cls=st.sampled_from([CommentEvent, BallotEvent]), drop=st.sets(st.integers(0, 16), max_size=3),
       changes=st.dictionaries(st.integers(0, 16), values, max_size=3))
def test_the_fast_check_agrees_with_the_schema(cls, drop, changes):
    base = {"comments.v1": CommentEvent("c", "v", "3706", "x", "line", NOW),
            "ballots.v1": LogCounter(frozenset({"3706"})).vote(
                VoteEvent("v", "3706", 4, "", None, None, "line", None, NOW, NOW), 3)}[cls.SCHEMA_NAME]
    data = base.to_json()
    names = list(data)
    for index in drop:
        data.pop(names[index % len(names)], None)
    for index, value in changes.items():
        data[names[index % len(names)]] = value
    try:
        expected = schema_for(cls).load(data)
    except ValidationError:
        expected = None
    assert load_fast(cls, data) == expected


@pytest.mark.parametrize("text,kept", [("2026-11-21T02:30:01.120Z", True), ("2026-11-21T09:30:01.120+07:00", False),
                                       ("2026-11-21T02:30:01Z", False), ("2026-11-21T02:30:01.120Z\n", False),
                                       ("๒๐๒๖-11-21T02:30:01.120Z", False), (None, False)])
def test_only_a_time_in_the_events_own_form_passes_through_unformatted(text, kept):
    assert (canonical_time(text) is not None) is kept and (not kept or canonical_time(text) == text)
    if kept:
        assert iso_utc(datetime.fromisoformat(text)) == text  # passing it through says what formatting would
