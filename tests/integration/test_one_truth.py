"""One truth: a random log through scoring, and every reader counts what scoring decided.

Hypothesis builds a log (redeliveries of whole batches, duplicate `vote_id`s at other positions, a
voter's second vote the same Bangkok day, flagged votes, comments before and after their vote, votes on
both sides of Bangkok midnight). Scoring's own processor decides it on the real store and publishes
ballots; notify's processor reads those ballots into its store; awards and what-if fold those ballots
(`BallotTallies`, redelivered ones too); the rules' own replay counts the raw log. Per district and Bangkok
day, all four hold the same votes and sums (and the awards' fold the same windows and sources as scoring's
standings), and notify holds exactly the comments of the votes scoring counted.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notify.bootstrap import bootstrap as notify_bootstrap
from services.ranking.replay import BallotTallies, LogTallies
from services.scoring.bootstrap import bootstrap as scoring_bootstrap
from services.scoring.config import ScoringConfig
from services.scoring.store import ScoringStore
from shared import mongo
from shared.events import CommentEvent, VoteEvent, decode, decode_ballots
from shared.timeutil import bangkok_day
from tests.integration.notify_env import notify_config
from tests.support.scoring import stored_figures

pytestmark = pytest.mark.integration

CODES = ("3706", "4408", "4712")
PARTITION = {"3706": 0, "4408": 1, "4712": 0}
MIDNIGHT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 00:00 on the 21st in Bangkok
VOTERS = ("a" * 64, "b" * 64, None)
SOURCES = ("c" * 64, "d" * 64, "e" * 64)  # three, against a cap of two: the cap is met and passed
SOURCE_CAP = 2


class Collect:
    """Scoring's Output (our own interface): what it publishes, kept in order."""

    def __init__(self):
        self.sent: list[tuple[str, bytes]] = []
        self.dead = 0

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.sent.append((topic, value))

    def dead_letter(self, record, reason: str) -> None:
        self.dead += 1


entries = st.lists(st.tuples(
    st.sampled_from(["vote", "vote", "vote", "duplicate", "comment_late", "comment_early"]),
    st.sampled_from(CODES), st.integers(1, 5), st.integers(-90, 90),  # minutes around Bangkok midnight
    st.sampled_from(VOTERS), st.booleans(), st.booleans()), min_size=1, max_size=25)


def build_log(spec) -> tuple[list[SimpleNamespace], list[VoteEvent]]:
    """Records in log order: (topic 'votes' or 'comments', partition, offset, value)."""
    records: list[SimpleNamespace] = []
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    votes: list[VoteEvent] = []

    def put(topic: str, code: str, value: bytes) -> None:
        partition = PARTITION[code]
        records.append(SimpleNamespace(topic=topic, partition=partition, offset=offsets[(topic, partition)],
                                       value=value, key=code.encode()))
        offsets[(topic, partition)] += 1

    for kind, code, score, minutes, voter, flagged, with_comment in spec:
        at = MIDNIGHT + timedelta(minutes=minutes)
        if kind == "duplicate" and votes:
            put("votes", votes[-1].district_code, votes[-1].to_bytes())  # the same vote at another position
            continue
        vote_id = uuid.uuid4().hex
        comment = CommentEvent(uuid.uuid4().hex, vote_id, code, f"ความเห็น {vote_id[:6]}", "line", at)
        if kind == "comment_early":
            put("comments", code, comment.to_bytes())
        event = VoteEvent(vote_id, code, score, "ดีมาก" if with_comment and kind == "vote" else "", None, None,
                          "line", voter, at, at, flagged=flagged, flag_reason="key_burst" if flagged else None,
                          source_key=SOURCES[score % len(SOURCES)] if voter else None)
        votes.append(event)
        put("votes", code, event.to_bytes())
        if kind == "comment_late":
            put("comments", code, comment.to_bytes())
    return records, votes


def by_day_from_notify(db) -> dict[tuple[str, str], dict]:
    out = {}
    for doc in db.notify_votes.find({}):
        scores = [v[0] for v in doc.get("v", {}).values()]
        if scores:
            out[(doc["d"], doc["day"])] = {"votes": len(scores), "sum": sum(scores)}
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=entries, batch=st.integers(1, 6), redeliver=st.sets(st.integers(0, 10), max_size=3))
def test_every_reader_counts_what_scoring_decided(infra, spec, batch, redeliver):
    from shared.config import Settings, Topics

    tag = uuid.uuid4().hex[:10]
    platform = Settings(kafka_bootstrap=infra.kafka_bootstrap, mongo_uri=infra.mongo_uri, mongo_db=f"truth_{tag}",
                        topics=Topics(votes="votes", comments="comments", scores="scores", ballots="ballots"),
                        min_sources=SOURCE_CAP)
    db = mongo.database(platform)
    try:
        records, _ = build_log(spec)
        now = MIDNIGHT + timedelta(hours=3)
        scoring = scoring_bootstrap(ScoringConfig(platform=platform), db=db, clock=lambda: now)
        out = Collect()
        processor = scoring.processor(out)
        batches = [records[i:i + batch] for i in range(0, len(records), batch)]
        for n, chunk in enumerate(batches):
            processor.handle(chunk)
            if n in redeliver:  # a crash before the commit: the runtime forgets and redoes the batch
                processor.forget()
                processor.handle(chunk)

        ballots = [SimpleNamespace(value=v) for topic, v in out.sent if topic == "ballots"]
        notify = notify_bootstrap(notify_config(platform, line_url="http://127.0.0.1:9", smtp_port=9), db=db,
                                  clock=lambda: now)
        notify.processor().handle(ballots)
        notify.processor().handle(ballots[: len(ballots) // 2])  # a reader's redelivery changes nothing

        replay = LogTallies(CODES, SOURCE_CAP)
        replay.add_records([r for r in records if r.topic == "votes"])
        replayed = {(code, day.isoformat()): {"votes": t.votes, "sum": t.total}
                    for code, days in replay.counter.days.items() for day, t in days.items() if t.votes}
        scored = {k: {"votes": v["n"], "sum": v["s"]} for k, v in stored_figures(db).items()}

        assert scored == replayed
        assert by_day_from_notify(db) == scored
        # Distinct sources per district and window (eligibility's count): scoring's standings as the replay's.
        standings = ScoringStore(db).all_standings()
        scored_sources = {(code, w): window["sources"] for code, standing in standings.items()
                          for w, window in standing.windows.items() if window["sources"]}
        replayed_sources = {(code, w): window["sources"] for code, figures in replay.figures(
            bangkok_day(now), None, None).items() for w, window in figures["windows"].items() if window["sources"]}
        assert scored_sources == replayed_sources
        # What an award or a what-if counts: scoring's ballots folded, a redelivered half included.
        awarded = BallotTallies(CODES, SOURCE_CAP)
        awarded.add_records([*ballots, *ballots[: len(ballots) // 2]])
        assert {(code, day.isoformat()): {"votes": t.votes, "sum": t.total}
                for code, days in awarded.counter.days.items() for day, t in days.items() if t.votes} == scored
        award_windows = awarded.figures(bangkok_day(now), None, None)
        assert {(code, w): (window["votes"], window["sum"], window["flagged"], window["sources"])
                for code, figures in award_windows.items() for w, window in figures["windows"].items()
                if window["votes"] or window["flagged"]} == {
            (code, w): (window["votes"], window["sum"], window["flagged"], window["sources"])
            for code, standing in standings.items() for w, window in standing.windows.items()
            if window["votes"] or window["flagged"]}

        decided = [b for record in ballots for b in decode_ballots(record.value)]
        # Scoring's ballots are the shared rules' own, field for field (a comment may join its vote in the
        # vote's ballot or in a follow-up, as the batch boundaries fall; the words are compared above and below).
        def essence(b):
            return {k: v for k, v in b.__dict__.items() if k not in ("comment", "comment_at")}

        assert {b.vote_id: essence(b) for b in decided if b.kind == "vote"} == {
            vid: essence(b) for vid, b in replay.counter.votes.items()}
        counted_with_words = {b.vote_id for b in decided if b.counted and b.comment}
        notify_words = {key for doc in db.notify_votes.find({}) for key in doc.get("c", {})}
        assert notify_words == counted_with_words
        expected_words = {vid for vid, b in replay.counter.votes.items() if b.counted and b.comment}
        late = {c.vote_id for c in (decode(CommentEvent, r.value) for r in records if r.topic == "comments")}
        assert counted_with_words == expected_words | {v for v in late if replay.counter.votes.get(v)
                                                       and replay.counter.votes[v].counted}
    finally:
        mongo.client(platform.mongo_uri).drop_database(platform.mongo_db)
