"""Notify's stream processor: scoring's decided votes (ballots.v1) in, alerts decided, messages queued.

The provisional runtime interface: `handle(records)` for a batch, `forget()` on a rebalance,
`tick(now)` for time-driven work (group waits, reminders, escalation, recovery as windows move,
the Monday digest). No Kafka code here; every step is safe to repeat after a crash.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.notify import metrics
from services.notify.feedback import VoteFacts, feedback_writes
from services.notify.feedback_store import FeedbackStore
from services.notify.lifecycle import RESOLVED, Alert, due_events, observe
from services.notify.notifier import Notifier
from services.notify.policy import Policy
from services.notify.rules import RULES, CountedVote, VoteBook, days_kept, evaluate
from services.notify.store import NotifyStore
from services.notify.tally_store import TallyStore
from services.notify.topic_tags import CommentTagger, with_topics
from shared.districts import Registry
from shared.events import BALLOT_VOTE, BallotEvent, EventError, decode_ballots
from shared.praise import PraiseDirectory
from shared.timeutil import bangkok_day

log = logging.getLogger(__name__)


@dataclass
class Report:
    votes: int = 0
    flagged: int = 0
    invalid: int = 0
    alerts_changed: int = 0
    messages: int = 0
    digests: int = 0
    stories: int = 0
    districts: set[str] = field(default_factory=set)
    left_out: list[BallotEvent] = field(default_factory=list)  # flagged and repeats: the centre's tally keeps them


class NotifyProcessor:
    def __init__(self, store: NotifyStore, registry: Registry, policy: Policy, notifier: Notifier,
                 clock: Callable[[], datetime], digest=None, feedback: FeedbackStore | None = None,
                 praise_directory: Callable[[str], PraiseDirectory] = lambda _district: PraiseDirectory(),
                 tagger: CommentTagger | None = None, tally: TallyStore | None = None):
        self.store = store
        self.feedback = feedback
        self.tagger = tagger  # tags each counted comment as its feedback document is written (topic_tags.py)
        self.tally = tally  # every decided vote per district day, for the centre's reports (tally_store.py)
        self.praise_directory = praise_directory
        self.registry = registry
        self.policy = policy
        self.notifier = notifier
        self.clock = clock
        self.digest = digest
        self.books: dict[str, VoteBook] = {}
        self._latest: dict[tuple[str, str], Alert] | None = None
        self._expired_through: date | None = None
        self._last_tick: datetime | None = None
        self.tick_every = timedelta(seconds=5)
        self.draft_grace = timedelta(seconds=60)
        self.stories = None  # services.notify.stories.processor.StoriesProcessor, for stories.v1 records
        self.stories_topic: str | None = None

    # ------------------------------------------------------------------ the runtime's interface
    def handle(self, records: Iterable) -> Report:
        """A batch of scoring's decided votes: counted ones enter the books, their comments the chief's page.

        Notify decides nothing about what counts (shared/counting.py, applied by scoring): a flagged vote
        or a repeat of the voter's day is read and left out, as scoring left it out.
        """
        report = Report()
        if self.stories is not None:  # stories.v1 shares the member: the moderation queue (issue 21)
            records = list(records)
            report.stories, refused = self.stories.handle(r.value for r in records
                                                          if getattr(r, "topic", None) == self.stories_topic)
            report.invalid += refused
            records = [r for r in records if getattr(r, "topic", None) != self.stories_topic]
        incoming: dict[str, dict[date, dict[str, CountedVote]]] = defaultdict(lambda: defaultdict(dict))
        comments: dict[tuple[str, date], dict[str, dict]] = defaultdict(dict)
        facts: dict[tuple[str, date], dict[str, tuple[str | None, str | None]]] = defaultdict(dict)
        ballots = [b for record in records for b in self._read(record.value, report)]
        for ballot in ballots:
            day = date.fromisoformat(ballot.day)
            if ballot.kind == BALLOT_VOTE:
                incoming[ballot.district_code][day][ballot.vote_id] = CountedVote(
                    ballot.score, ballot.received_at.timestamp())
                facts[(ballot.district_code, day)][ballot.vote_id] = (ballot.service, ballot.channel)
            if ballot.comment:
                at = (ballot.comment_at or ballot.received_at or ballot.submitted_at).timestamp()
                comments[(ballot.district_code, day)][ballot.vote_id] = {"s": ballot.score, "t": ballot.comment,
                                                                         "at": at}
        for district, day in comments:  # a late comment alone still reaches its day's document
            incoming[district].setdefault(day, {})
        for district, days in incoming.items():
            book = self._book(district)
            for day, votes in days.items():
                self.store.add_votes(district, day, votes, comments.get((district, day)), facts.get((district, day)))
                for vote_id, vote in votes.items():
                    book.add(day, vote_id, vote)
        if self.feedback is not None:
            writes = feedback_writes(ballots, self.praise_directory, self._vote_facts)
            self.feedback.apply(with_topics(writes, self.tagger) if self.tagger is not None else writes)
        if self.tally is not None:
            self.tally.add([*ballots, *report.left_out])
        now = self.clock()
        for district in incoming:
            report.alerts_changed += self._evaluate(district, now)
            report.messages += self._decide(district, now)
        report.districts = set(incoming)
        return report

    def forget(self) -> None:
        """After a rebalance another consumer may have moved our districts on: re-read from the store."""
        self.books.clear()
        self._latest = None
        self._last_tick = None

    def tick(self, now: datetime, assigned: frozenset = frozenset()) -> Report | None:
        """Called after every poll: does its work at most every `tick_every` and returns None otherwise."""
        if self._last_tick is not None and now - self._last_tick < self.tick_every:
            return None
        self._last_tick = now
        report = Report()
        live = {a.district for a in self.latest().values() if a.firing or a.status != RESOLVED}
        for district in sorted(live):
            if any(a.firing for (d, _), a in self.latest().items() if d == district):
                report.alerts_changed += self._evaluate(district, now)
            report.messages += self._decide(district, now)
        self.notifier.outbox.finish_drafts(self.notifier.render_for_draft, now, self.draft_grace)
        self._expire(now)
        if self.digest is not None:
            report.digests = self.digest.run_if_due(now)
        metrics.OPEN_ALERTS.set(sum(1 for a in self.latest().values() if a.status != RESOLVED))
        return report

    # ------------------------------------------------------------------ steps
    def _read(self, raw: bytes | None, report: Report) -> list[BallotEvent]:
        """A record's counted ballots; the others are counted in the report and left out."""
        try:
            ballots = decode_ballots(raw)
        except EventError:
            report.invalid += 1
            return []
        out = []
        for ballot in ballots:
            if ballot.district_code not in self.registry or (ballot.kind == BALLOT_VOTE and ballot.received_at is None):
                report.invalid += 1
            elif not ballot.counted:
                report.flagged += 1  # flagged, or a repeat of the voter's day: scoring left it out
                report.left_out.append(ballot)
            else:
                report.votes += ballot.kind == BALLOT_VOTE
                out.append(ballot)
        return out

    def _vote_facts(self, ballot: BallotEvent) -> VoteFacts:
        """A later comment's vote, as this store counted it (its service, channel and arrival)."""
        service, channel, received = self.store.vote_facts(ballot.district_code, date.fromisoformat(ballot.day),
                                                           ballot.vote_id)
        return VoteFacts(service, channel, datetime.fromtimestamp(received, UTC) if received is not None else None)

    def latest(self) -> dict[tuple[str, str], Alert]:
        if self._latest is None:
            self._latest = self.store.latest_alerts()
        return self._latest

    def _book(self, district: str) -> VoteBook:
        if district not in self.books:
            today = bangkok_day(self.clock())
            days = [today - timedelta(days=n) for n in range(days_kept(self.policy) + 1)]
            self.books[district] = self.store.load_book(district, days)
        return self.books[district]

    def _evaluate(self, district: str, now: datetime) -> int:
        book = self._book(district)
        changed = 0
        for rule, finding in evaluate(book, now, self.policy).items():
            current = self.latest().get((district, rule))
            if current is not None:
                current = self.store.alert(current.id) or current  # people may have moved its status
            updated = observe(district, current, finding, now)
            if updated is None:
                continue
            if current is None or updated.id != current.id:
                updated = self.store.create_alert(updated)
                metrics.ALERTS_OPENED.labels(rule).inc()
                log.info("alert opened", extra={"alert_id": updated.id, "district": district, "rule": rule})
            else:
                self.store.save_observation(updated)
            self.latest()[(district, rule)] = updated
            changed += 1
        return changed

    def _decide(self, district: str, now: datetime) -> int:
        alerts = []
        for rule in RULES:
            cached = self.latest().get((district, rule))
            if cached is not None:
                fresh = self.store.alert(cached.id) or cached
                self.latest()[(district, rule)] = fresh
                alerts.append(fresh)
        if not alerts:
            return 0
        silences = [s for s in self.store.active_silences(now) if s.district == district]
        dues = due_events(alerts, silences, now, self.policy.lifecycle)
        if not dues:
            return 0
        return self.notifier.send(district, dues, now)

    def _expire(self, now: datetime) -> None:
        today = bangkok_day(now)
        if self._expired_through == today:
            return
        first_kept = today - timedelta(days=days_kept(self.policy))
        self.store.expire_votes(first_kept)
        for book in self.books.values():
            book.drop_before(first_kept)
        self._expired_through = today
