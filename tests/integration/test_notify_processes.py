"""Notify as it runs: votes posted through ingest, the notify consumer and dispatcher as real processes,
real peers. The consumer is SIGKILLed after it has begun deciding and before anything was sent; in
the end every receiver has each alert event exactly once."""

from __future__ import annotations

import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from services.notify.directory import HEADER, parse_directory
from services.notify.links import AlertLinks
from services.notify.store import NotifyStore
from shared import mongo
from shared.districts import load_registry
from tests.integration.ingest_env import AUTH, ingest_env
from tests.integration.notify_env import LINK_SECRET, notify_env
from tests.support.kafka_read import committed_on
from tests.support.notify_peers import WEBHOOK_SECRET, LinePushApi, MailServer, WebhookReceiver
from tests.support.processes import ManagedProcess, ServiceProcess
from tests.support.scoring import CODES, ConsumerProcess, scoring_env

pytestmark = pytest.mark.slow
LINKS = AlertLinks(LINK_SECRET, "http://x")


def line_user(code: str) -> str:
    return "U" + code * 8


def directory(webhook_url: str) -> str:
    rows = [",".join(HEADER)] + [
        f"chief,{code},นายอำเภอ {code},นายอำเภอ,{line_user(code)},chief{code}@dopa.example,{webhook_url},"
        f"{WEBHOOK_SECRET},line;email;webhook,no" for code in CODES]
    return "\n".join(rows) + "\n"


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def process(module: str, env: dict[str, str], prefix: str) -> ManagedProcess:
    return ManagedProcess([sys.executable, "-m", module], env, log_prefix=prefix)


def alert_ids_in_links(text: str) -> list[str]:
    return [LINKS.read(token).alert_id for token in re.findall(r"/a/([A-Za-z0-9_.\-]+)", text)]


def test_sigkill_between_deciding_and_sending_still_one_message_per_receiver_per_event(settings):
    rules = Path(tempfile.mkdtemp(prefix="notify-rules-")) / "rules.toml"
    rules.write_text("[lifecycle]\ngroup_wait_s = 0\n")
    store = NotifyStore(mongo.database(settings))
    with LinePushApi() as line, WebhookReceiver() as hook, MailServer() as mail:
        store.replace_directory(parse_directory(directory(hook.url + "/hooks"), load_registry(), allow_private=True))
        env = notify_env(settings, line_url=line.url, smtp_port=mail.port,
                         NOTIFY_STATE_DIR=tempfile.mkdtemp(prefix="notify-state-"),
                         NOTIFY_GROUP_ID=f"notify-{settings.mongo_db}", NOTIFY_POLL_TIMEOUT_MS="200",
                         NOTIFY_RULES_FILE=str(rules), VOTES_PARTITIONS=str(settings.votes_partitions),
                         NOTIFY_DRAFT_GRACE_S="2")
        # Ten unhappy votes per district, through ingest (kiosk key), ten districts over three partitions.
        with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings), workers=1, threads=4) as ingest:
            for code in CODES:
                votes = [{"district_code": code, "score": 1 + i % 2} for i in range(10)]
                r = requests.post(ingest.url + "/v1/votes/batch", json={"votes": votes}, headers=AUTH, timeout=30)
                assert r.status_code == 200 and r.json()["accepted"] == 10, r.text

        # Scoring decides the votes (ballots.v1), as in the running platform; notify follows its decisions.
        with ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"))):
            wait_until(lambda: committed_on(settings.kafka_bootstrap, f"scoring-{settings.mongo_db}",
                                            settings.topics.votes) == len(CODES) * 10, 120, "scoring's decisions")
        consumer = process("services.notify.consumer", env, "notify-consumer-").start()
        try:
            wait_until(lambda: store.log.count_documents({}) > 0, 90, "the consumer's first decision")
            consumer.kill(signal.SIGKILL)  # mid-decision: some districts decided, others not yet
            decided_before = store.log.count_documents({})
        finally:
            consumer.stop()
        assert line.requests == [] and mail.keeper.messages == [] and hook.requests == []  # nothing sent yet

        consumer = process("services.notify.consumer", env, "notify-consumer-").start()
        try:
            # Every district has its two alerts (low mean, unhappy burst) decided for each of its 3 receivers.
            wait_until(lambda: store.log.count_documents({}) == len(CODES) * 2 * 3, 120, "every decision")
            dispatcher = process("services.notify.dispatch", env, "notify-dispatcher-").start()
            try:
                wait_until(lambda: not store.outbox.count_documents({"state": {"$ne": "delivered"}}), 120,
                           "every message delivered")
                time.sleep(3)  # anything sent twice would show by now
            finally:
                dispatcher.stop()
        finally:
            consumer.stop()

    assert decided_before >= 1
    expected = {code: {f"{code}-low_mean-1", f"{code}-unhappy_burst-1"} for code in CODES}
    # LINE: what each chief's phone received (the fake applies LINE's retry-key rule), by button link.
    by_user: dict[str, list[str]] = {}
    for push in line.delivered:
        uris = [a["uri"] for a in push["body"]["messages"][1]["template"]["actions"]]
        by_user.setdefault(push["body"]["to"], []).extend(alert_ids_in_links(" ".join(uris)))
    # E-mail: by the links in each message.
    by_mail: dict[str, list[str]] = {}
    for to, message in mail.keeper.parsed():
        by_mail.setdefault(to[0], []).extend(alert_ids_in_links(message.get_body(("html",)).get_content()))
    # Webhooks: verified deliveries, by alert and event.
    hook_items = Counter((i["alert_id"], i["event"]) for p in hook.verified.values() for i in p["items"])
    for code in CODES:
        assert sorted(by_user[line_user(code)]) == sorted(expected[code]), code
        assert sorted(by_mail[f"chief{code}@dopa.example"]) == sorted(expected[code]), code
    assert hook_items == Counter({(a, "firing:1"): 1 for ids in expected.values() for a in ids})
    assert all(r["ok"] for r in hook.requests)
