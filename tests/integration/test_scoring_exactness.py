"""Scoring against the real broker and store: exact through SIGKILLs, duplicates, redeliveries, rebalances."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from types import SimpleNamespace

import pytest
import requests

from services.notify.bootstrap import bootstrap as notify_bootstrap
from services.scoring.store import ScoringStore
from shared import mongo
from shared.events import COUNTED, CommentEvent, decode_ballots
from tests.integration.notify_env import notify_config
from tests.support.processes import ServiceProcess
from tests.support.scoring import (
    ConsumerProcess,
    make_vote,
    now_utc,
    oracle,
    producer,
    scoring_env,
    send_votes,
    stored_figures,
    wait_until,
)


@pytest.fixture
def env(settings):
    return scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))


def settled(db, expected, timeout_s: float = 120) -> dict:
    """Wait until the stored figures stop moving and match in count; then return them for the exact check."""
    total = sum(c["n"] for c in expected.values())
    wait_until(lambda: sum(c["n"] for c in stored_figures(db).values()) >= total, timeout_s,
               f"{total} votes applied")
    time.sleep(1.0)  # anything still in flight would make the totals exceed: give it a moment to show
    return stored_figures(db)


# Valid in every field, but its time has no UTC form (year 0): the schema raises OverflowError, not ValidationError.
NO_UTC_FORM = (b'{"schema":"votes.v1","vote_id":"overflow-1","district_code":"3706","score":3,"channel":"kiosk",'
               b'"submitted_at":"0001-01-01T00:00:00+01:00","received_at":"2026-11-21T02:30:00Z"}')


def test_votes_are_applied_and_served_with_duplicates_redeliveries_and_comments(settings, env):
    rng = random.Random(1)
    now = now_utc()
    votes = [make_vote(rng, now) for _ in range(300)]
    p = producer(settings)
    acked = send_votes(p, settings.topics.votes, votes)
    acked += send_votes(p, settings.topics.votes, rng.sample(votes, 50))  # ingest retries: same vote_id again
    early = make_vote(rng, now, codes=("3706",))
    comment = CommentEvent("c-1", early.vote_id, "3706", "บริการดีมาก", "line", now)
    p.send(settings.topics.comments, key=comment.key, value=comment.to_bytes()).get(timeout=10)  # before its vote
    p.send(settings.topics.votes, key=b"3706", value=b"{not json").get(timeout=10)
    p.send(settings.topics.votes, key=b"3706", value=b'{"schema":"votes.v1","vote_id":"x"}').get(timeout=10)
    p.send(settings.topics.votes, key=b"3706", value=NO_UTC_FORM).get(timeout=10)  # must not stop the consumer
    p.send(settings.topics.votes, key=b"3706", value=None).get(timeout=10)  # a tombstone: no value at all
    db = mongo.database(settings)
    with ServiceProcess("services.scoring.wsgi:app", env) as web, ConsumerProcess(env) as consumer:
        time.sleep(2)
        acked += send_votes(p, settings.topics.votes, [early])
        expected = oracle(acked)
        assert settled(db, expected) == expected, consumer.output()
        district = "3706"
        want = sum(c["n"] for (d, _), c in expected.items() if d == district)

        def served():
            body = requests.get(f"{web.url}/v1/districts/{district}/score", timeout=5).json()
            return body if body["windows"]["campaign"]["votes"] == want else None

        body = wait_until(served, 30, "standing served")
        assert body["windows"]["last_7_days"]["votes"] == want
        assert "latest_comments" not in body  # a public route: comments only for those entitled to them
        stored = ScoringStore(db).standing(district)  # what the chiefs' and central office's readers get
        assert any(c["vote_id"] == early.vote_id and c["comment"] == "บริการดีมาก"
                   for c in stored.latest_comments), stored.latest_comments
        assert requests.get(f"{web.url}/v1/districts/9999/score", timeout=5).status_code == 404
        quiet = requests.get(f"{web.url}/v1/districts/3701/score", timeout=5).json()
        assert quiet["windows"]["campaign"]["votes"] == 0 and quiet["windows"]["campaign"]["mean"] == 0.0
        wait_until(lambda: requests.get(web.url + "/readyz", timeout=5).status_code == 200, 20, "ready")
        metrics = requests.get(web.url + "/metrics", timeout=5).text
        assert "scoring_duplicates_skipped_total 50.0" in metrics, metrics[-3000:]
        # The runtime's metrics carry the service's label (shared/stream/metrics.py).
        assert f'stream_dead_letters_total{{service="scoring",topic="{settings.topics.votes}"}} 4.0' in metrics
    from tests.support.kafka_read import read_topic

    dlq = _read_raw(settings.kafka_bootstrap, settings.topics.votes_dlq)
    assert sorted(v or b"" for v, _ in dlq) == sorted(
        [b"", b"{not json", b'{"schema":"votes.v1","vote_id":"x"}', NO_UTC_FORM])
    assert all(dict(h)["reason"] for _, h in dlq)
    events = read_topic(settings.kafka_bootstrap, settings.topics.scores)
    assert {k.decode() for k, _ in events} == {d for d, _ in expected}


def _read_raw(bootstrap: str, topic: str) -> list[tuple[bytes, list]]:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic) or []]
        c.assign(parts)
        c.seek_to_beginning(*parts)
        end = c.end_offsets(parts)
        out = []
        deadline = time.monotonic() + 30
        while any(c.position(tp) < end[tp] for tp in parts) and time.monotonic() < deadline:
            for records in c.poll(timeout_ms=500).values():
                out.extend((r.value, r.headers) for r in records)
        return out
    finally:
        c.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_exact_figures(settings, env):
    """20,000 votes stream in while the consumer is SIGKILLed at random moments and restarted."""
    rng = random.Random(4)
    now = now_utc()
    acked: list = []
    done = threading.Event()

    def stream() -> None:
        p = producer(settings)
        for _ in range(40):
            batch = [make_vote(rng, now) for _ in range(500)]
            acked.extend(send_votes(p, settings.topics.votes, batch))
            time.sleep(0.15)
        p.close()
        done.set()

    db = mongo.database(settings)
    streamer = threading.Thread(target=stream)
    streamer.start()
    kills = 0
    consumer = ConsumerProcess(env).start()
    try:
        while not done.is_set() or kills < 6:
            time.sleep(rng.uniform(0.5, 3.0))
            consumer.kill()
            kills += 1
            consumer = ConsumerProcess(env).start()
        streamer.join()
        assert len(acked) == 20000
        expected = oracle(acked)
        figures = settled(db, expected, timeout_s=180)
        assert figures == expected, consumer.output()
    finally:
        consumer.stop()
    assert kills >= 6
    # The ballots (published before each commit) hold every vote at least once, and a reader that follows
    # them (notify, idempotent by vote_id) counts each vote exactly once despite the kills' replays.
    records = _read_raw(settings.kafka_bootstrap, settings.topics.ballots)
    ballots = [b for raw, _ in records for b in decode_ballots(raw)]
    assert {b.vote_id for b in ballots} == {v.vote_id for v in acked}
    assert all(b.decision == COUNTED for b in ballots)
    notify = notify_bootstrap(notify_config(settings, line_url="http://127.0.0.1:9", smtp_port=9), db=db)
    notify.processor().handle([SimpleNamespace(value=raw) for raw, _ in
                               _read_raw(settings.kafka_bootstrap, settings.topics.ballots)])
    followed = {(d["d"], d["day"]): len(d["v"]) for d in db.notify_votes.find({})}
    assert followed == {k: cell["n"] for k, cell in expected.items()}


@pytest.mark.slow
def test_three_consumers_share_partitions_and_one_stops_mid_stream(settings, env):
    rng = random.Random(7)
    now = now_utc()
    p = producer(settings)
    consumers = [ConsumerProcess(env).start() for _ in range(3)]
    try:
        acked = send_votes(p, settings.topics.votes, [make_vote(rng, now) for _ in range(3000)])
        time.sleep(2)
        consumers[1].stop()
        acked += send_votes(p, settings.topics.votes, [make_vote(rng, now) for _ in range(3000)])
        consumers[2].kill()
        acked += send_votes(p, settings.topics.votes, [make_vote(rng, now) for _ in range(2000)])
        expected = oracle(acked)
        assert settled(mongo.database(settings), expected) == expected, consumers[0].output()
    finally:
        for c in consumers:
            c.stop()
