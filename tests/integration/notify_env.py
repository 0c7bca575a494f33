"""Notify built through its composition root against a test's database, with real peers."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from services.notify.bootstrap import Notify, bootstrap
from services.notify.config import NotifyConfig
from services.notify.directory import HEADER, parse_directory
from shared.config import Settings
from tests.support.notify_peers import WEBHOOK_SECRET

LINE_TOKEN = "notify-test-line-token"
CHIEF_LINE = "U" + "c0ffee00" * 4
LINK_SECRET = "notify-test-link-secret"
CENTRAL_KEY = "central-office-test-key"


def directory_csv(webhook_url: str) -> str:
    rows = [
        ",".join(HEADER),
        f"chief,3706,สมชาย ใจดี,นายอำเภอหัวตะพาน,{CHIEF_LINE},chief3706@dopa.example,{webhook_url},{WEBHOOK_SECRET},"
        "line;email;webhook,yes",
        "governor,37,สมหญิง รักดี,ผู้ว่าราชการจังหวัดอำนาจเจริญ,,governor37@dopa.example,,,email,no",
    ]
    return "\n".join(rows) + "\n"


def notify_config(settings: Settings, *, line_url: str, smtp_port: int, public_url: str = "http://127.0.0.1:8084",
                  max_attempts: int = 8) -> NotifyConfig:
    return NotifyConfig(platform=settings, public_url=public_url, link_secret=LINK_SECRET,
                        central_office_keys=(CENTRAL_KEY,), line_access_token=LINE_TOKEN, line_api_host=line_url,
                        smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_from="alerts@notify.example",
                        max_attempts=max_attempts, retry_base_s=1.0, webhook_allow_private=True)


def notify_env(settings: Settings, *, line_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The same configuration as environment variables, for notify processes."""
    return {"KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "MONGO_URI": settings.mongo_uri,
            "MONGO_DB": settings.mongo_db, "TOPIC_VOTES": settings.topics.votes,
            "TOPIC_BALLOTS": settings.topics.ballots, "TOPIC_COMMENTS": settings.topics.comments,
            "TOPIC_SCORES": settings.topics.scores, "TOPIC_VOTES_DLQ": settings.topics.votes_dlq,
            "TOPIC_STORIES": settings.topics.stories, "TOPIC_STORIES_PUBLISHED": settings.topics.stories_published,
            "TOPIC_STORIES_DECISIONS": settings.topics.stories_decisions,
            "NOTIFY_LINK_SECRET": LINK_SECRET, "CENTRAL_OFFICE_KEYS": CENTRAL_KEY,
            "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN, "LINE_API_HOST": line_url, "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port), "SMTP_FROM": "alerts@notify.example",
            "NOTIFY_WEBHOOK_ALLOW_PRIVATE": "1", **extra}


def load_directory(notify: Notify, webhook_url: str) -> None:
    notify.store.replace_directory(parse_directory(directory_csv(webhook_url), notify.registry, allow_private=True))


def built(settings: Settings, clock, **kwargs) -> Notify:
    return bootstrap(notify_config(settings, **kwargs), clock=clock)


def vote_records(settings: Settings) -> list[SimpleNamespace]:
    """What notify's consumer reads: the ballots scoring decides for every vote in votes.v1 so far.

    Scoring's own processor decides them, on the real store (the audit's rebuild, into its own
    collections): the test feeds notify exactly what the live pipeline would publish on ballots.v1.
    """
    from services.scoring.audit import rebuild
    from services.scoring.bootstrap import bootstrap as scoring_bootstrap
    from services.scoring.config import ScoringConfig

    class Collect:
        dead_letters = 0

        def __init__(self):
            self.values: list[bytes] = []

        def send(self, topic: str, key: bytes | None, value: bytes) -> None:
            if topic == settings.topics.ballots:
                self.values.append(value)

        def dead_letter(self, record, reason: str) -> None:
            self.dead_letters += 1

    sink = Collect()
    scoring = scoring_bootstrap(ScoringConfig(platform=settings))
    rebuild(scoring, f"decided_{uuid.uuid4().hex[:8]}", sink=sink)
    return [SimpleNamespace(value=value) for value in sink.values]
