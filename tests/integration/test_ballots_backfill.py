"""Moving a running platform: `sangsuk ballots backfill` publishes the history's decisions to ballots.v1,
and notify, already past those votes, re-reads them without sending any alert twice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.scoring.backfill import backfill
from services.scoring.bootstrap import bootstrap as scoring_bootstrap
from services.scoring.config import ScoringConfig
from shared.events import decode_ballots
from shared.timeutil import utcnow
from tests.integration.notify_env import built, load_directory, vote_records
from tests.support.ballots import vote
from tests.support.fakes import Clock
from tests.support.kafka_read import read_topic
from tests.support.notify_peers import LinePushApi, MailServer, WebhookReceiver
from tests.support.scoring import producer, send_votes

pytestmark = pytest.mark.integration


def test_backfill_publishes_every_decision_and_notify_sends_nothing_twice(settings):
    now = utcnow()
    votes = [vote("3706", 1 + i % 2, now) for i in range(10)] + [vote("4408", 5, now) for _ in range(3)]
    votes.append(vote("4408", 4, now, flagged=True))
    p = producer(settings)
    send_votes(p, settings.topics.votes, votes)
    send_votes(p, settings.topics.votes, votes[:2])  # a redelivery at other positions: no new decisions
    p.close()

    clock = Clock(now)
    with LinePushApi() as line, WebhookReceiver() as hook, MailServer() as mail:
        notify = built(settings, clock, line_url=line.url, smtp_port=mail.port)
        notify.store.ensure_indexes()
        load_directory(notify, hook.url + "/hooks/sangsuk")

        def follow(records) -> None:
            processor = notify.processor()
            processor.handle(records)
            clock.advance(seconds=31)
            processor.tick(clock())
            dispatcher = notify.dispatcher()
            for name in notify.transports:
                dispatcher.run_once(name)

        follow(vote_records(settings))  # the platform before the move: notify has decided and sent
        sent = (len(line.delivered), len(mail.keeper.messages), len(hook.requests))
        assert sent[0] >= 1 and sent[1] >= 1

        report = backfill(scoring_bootstrap(ScoringConfig(platform=settings)))
        published = [b for _, value in _raw(settings) for b in decode_ballots(value)]
        assert report["ballots_published"] == len(votes) == len(published)
        assert {b.vote_id for b in published} == {v.vote_id for v in votes}
        assert sorted(b.decision for b in published).count("flagged") == 1

        follow([SimpleNamespace(value=v) for _, v in _raw(settings)])  # notify's group reads them from the start
        assert (len(line.delivered), len(mail.keeper.messages), len(hook.requests)) == sent
        assert sum(len(d["v"]) for d in notify.store.votes.find({})) == 13  # the flagged vote stays out


def _raw(settings) -> list[tuple[bytes, bytes]]:
    import json

    return [(k, json.dumps(v, ensure_ascii=False).encode()) for k, v in
            read_topic(settings.kafka_bootstrap, settings.topics.ballots)]
