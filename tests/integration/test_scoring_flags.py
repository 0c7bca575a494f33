"""Scoring decides the flags (shared/flags.py, services/scoring/flags.py) on the real store: each rule, the voter
rule across partitions and consumers, and a crash at each step of a batch replayed without a second count."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.scoring.bootstrap import bootstrap as scoring_bootstrap
from services.scoring.config import ScoringConfig
from services.scoring.store import ScoringStore
from shared import mongo
from shared.counting import LogCounter
from shared.events import VoteEvent, decode_ballots
from shared.flags import FlagSettings, MemoryFlags

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 21, 3, 0, 30, tzinfo=UTC)  # 10:00:30 in Bangkok, early in a 5-minute window
PARTITION = {"3706": 0, "4408": 1, "4712": 2, "1101": 1, "5001": 0}
ADDRESS, OTHER_ADDRESS = "a" * 32, "b" * 32
KEY = "c" * 32
VOTER, OTHER_VOTER = "d" * 64, "e" * 64


class Collect:
    """Scoring's Output (our own interface): what it publishes."""

    def __init__(self):
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.sent.append((topic, value))

    def dead_letter(self, record, reason: str) -> None:
        raise AssertionError(f"dead letter: {reason}")


class Log:
    """votes.v1 records in log order, offsets per partition."""

    def __init__(self):
        self.records: list[SimpleNamespace] = []
        self.offsets: dict[int, int] = defaultdict(int)
        self.events: list[VoteEvent] = []

    def add(self, code: str, at: datetime, *, channel: str = "qr", address: str | None = None, key: str | None = None,
            voter: str | None = None, flagged: bool = False) -> VoteEvent:
        event = VoteEvent(uuid.uuid4().hex, code, 4, "", None, None, channel, voter, at, at, flagged=flagged,
                          flag_reason="key_burst" if flagged else None, address_key=address, key_ref=key)
        partition = PARTITION[code]
        self.records.append(SimpleNamespace(topic="votes", partition=partition, offset=self.offsets[partition],
                                            value=event.to_bytes(), key=code.encode()))
        self.offsets[partition] += 1
        self.events.append(event)
        return event


@pytest.fixture
def platform(settings):
    from shared.config import Topics

    return replace(settings, topics=Topics(votes="votes", comments="comments", scores="scores", ballots="ballots"))


def make_scoring(platform, db, **caps):
    config = ScoringConfig(platform=replace(platform, flags=FlagSettings(**caps)))
    return scoring_bootstrap(config, db=db, clock=lambda: T0 + timedelta(hours=1))


def reasons(out: Collect) -> dict[str, str | None]:
    """vote_id -> the flag reason scoring published (None: counted), from its ballots."""
    found = {}
    for topic, value in out.sent:
        if topic == "ballots":
            for ballot in decode_ballots(value):
                if ballot.kind == "vote":
                    assert (ballot.decision == "flagged") == (ballot.flag_reason is not None)
                    found[ballot.vote_id] = ballot.flag_reason
    return found


def run(scoring, records, *, batch: int = 3, store: ScoringStore | None = None) -> Collect:
    out = Collect()
    processor = scoring.processor(out, store=store)
    for i in range(0, len(records), batch):
        processor.handle(records[i:i + batch])
    return out


def in_order(log: Log, found: dict[str, str | None]) -> list[str | None]:
    return [found[e.vote_id] for e in log.events]


def test_address_burst_then_daily_cap_per_district(platform, settings):
    db = mongo.database(settings)
    caps = {"address_burst_cap": 3, "address_daily_cap": 5}
    log = Log()
    for i in range(4):  # one window: the 4th is past the burst cap
        log.add("3706", T0 + timedelta(seconds=i), address=ADDRESS, voter=f"{i:064x}")
    for i in range(2):  # the next window: the 6th of the day is past the daily cap
        log.add("3706", T0 + timedelta(minutes=6, seconds=i), address=ADDRESS, voter=f"{10 + i:064x}")
    log.add("4408", T0, address=ADDRESS, voter="f" * 64)  # another district: apart
    log.add("3706", T0 + timedelta(minutes=6, seconds=5), address=OTHER_ADDRESS, voter="9" * 64)  # another address
    # Batches of two, each through a new processor: the counters come back from the store, not memory.
    found: dict[str, str | None] = {}
    for i in range(0, len(log.records), 2):
        found |= reasons(run(make_scoring(platform, db, **caps), log.records[i:i + 2]))
    assert in_order(log, found) == [None, None, None, "address_burst", None, "address_daily_cap", None, None]
    counter = LogCounter(frozenset(PARTITION), flags=MemoryFlags(FlagSettings(**caps).rules()))
    assert [counter.vote(e).flag_reason for e in log.events] == in_order(log, found)  # the replay's rules agree


def test_key_rules_for_kiosk_and_import(platform, settings):
    db = mongo.database(settings)
    log = Log()
    for i in range(3):
        log.add("3706", T0 + timedelta(seconds=i), channel="kiosk", key=KEY)
    for i in range(4):  # an import's burst cap is a batch per district and window
        log.add("4408", T0 + timedelta(seconds=i), channel="import", key=KEY)
    log.add("3706", T0 + timedelta(seconds=9), channel="kiosk")  # no key: no key rule
    found = reasons(run(make_scoring(platform, db, key_burst_cap=2, import_batch_cap=3), log.records, batch=10))
    assert in_order(log, found) == [None, None, "key_burst", None, None, None, "key_burst", None]


def test_a_voter_is_capped_across_partitions_and_consumers(platform, settings):
    """Two consumers (one for partitions 0 and 2, one for 1), each with its own view: the voter's districts of
    the day are shared through the store, so the third district within 5 minutes and the fourth of the day are
    flagged whichever consumer decides them."""
    db = mongo.database(settings)
    log = Log()
    first = log.add("3706", T0, channel="line", voter=VOTER)  # p0
    second = log.add("4408", T0 + timedelta(minutes=1), channel="line", voter=VOTER)  # p1
    third = log.add("4712", T0 + timedelta(minutes=2), channel="line", voter=VOTER)  # p2: the burst's third
    fourth = log.add("1101", T0 + timedelta(minutes=20), channel="line", voter=VOTER)  # p1: the day's fourth
    other = log.add("5001", T0 + timedelta(minutes=21), channel="line", voter=OTHER_VOTER)  # p0: someone else
    records = {e.vote_id: r for e, r in zip(log.events, log.records, strict=True)}
    consumer_a = make_scoring(platform, db).processor(out_a := Collect())
    consumer_b = make_scoring(platform, db).processor(out_b := Collect())
    consumer_a.handle([records[first.vote_id]])
    consumer_b.handle([records[second.vote_id]])
    consumer_a.handle([records[third.vote_id]])
    consumer_b.handle([records[fourth.vote_id]])
    consumer_a.handle([records[other.vote_id]])
    found = reasons(out_a) | reasons(out_b)
    assert in_order(log, found) == [None, None, "voter_burst", "voter_daily_cap", None]
    assert {e.vote_id for e in (first, third, other)} == set(reasons(out_a))  # each consumer decided its own


class CrashAt(ScoringStore):
    """The real store, with a crash (as a SIGKILL would leave it) right before one step of the batch."""

    def __init__(self, db, step: str):
        super().__init__(db)
        self.step = step

    def save_flag_counter(self, *args, **kwargs):
        if self.step == "counters":
            raise RuntimeError("killed before the counters")
        return super().save_flag_counter(*args, **kwargs)

    def apply(self, inc):
        if self.step == "buckets":
            raise RuntimeError("killed before the buckets")
        return super().apply(inc)


@pytest.mark.parametrize("step", ["counters", "buckets", "done"])
def test_a_batch_replayed_after_a_crash_decides_the_same_and_counts_nothing_twice(platform, settings, step):
    db = mongo.database(settings)
    caps = {"key_burst_cap": 5, "key_daily_cap": 8, "voter_burst_cap": 5, "voter_daily_cap": 1}
    log = Log()
    for i in range(6):  # the 6th is past the burst cap: a replay must not count it again, nor forget it
        log.add("3706", T0 + timedelta(seconds=i), channel="kiosk", key=KEY)
    log.add("3706", T0 + timedelta(seconds=7), channel="line", voter=VOTER)
    log.add("4408", T0 + timedelta(seconds=8), channel="line", voter=VOTER)  # the voter's second district: flagged
    first_batch = log.records[:]
    if step == "done":
        run(make_scoring(platform, db, **caps), first_batch, batch=len(first_batch))
    else:
        with pytest.raises(RuntimeError, match="killed"):
            run(make_scoring(platform, db, **caps), first_batch, batch=len(first_batch), store=CrashAt(db, step))
    # The restarted consumer redoes the batch from the committed offset, with a fresh view.
    again = reasons(run(make_scoring(platform, db, **caps), first_batch, batch=len(first_batch)))
    assert in_order(log, again) == [None] * 5 + ["key_burst", None, "voter_daily_cap"]
    for i in range(3):  # the next window: the 7th and 8th of the key's day count, the 9th is past the daily cap
        log.add("3706", T0 + timedelta(minutes=6, seconds=i), channel="kiosk", key=KEY)
    later = reasons(run(make_scoring(platform, db, **caps), log.records[len(first_batch):]))
    assert in_order(log, again | later)[8:] == [None, None, "key_daily_cap"]
    stored = ScoringStore(db).load_flag_counter(f"key:{KEY}:3706:2026-11-21")
    assert stored is not None and stored.day == 9


def test_votes_ingest_flagged_before_stay_flagged(platform, settings):
    """Records written while ingest decided the flags keep its decision (the contract stays compatible)."""
    db = mongo.database(settings)
    log = Log()
    old = log.add("3706", T0, channel="kiosk", flagged=True)
    fresh = log.add("3706", T0 + timedelta(seconds=1), channel="kiosk")
    found = reasons(run(make_scoring(platform, db), log.records))
    assert (found[old.vote_id], found[fresh.vote_id]) == ("key_burst", None)
    [bucket] = ScoringStore(db).load_buckets({"p": 0})
    tally = bucket.tallies["3706"]
    assert (tally.votes, tally.flagged) == (1, 1)


def test_a_batch_of_many_subjects_matches_the_replay_of_the_log(platform, settings):
    """Many voters and addresses in one batch (their reads and writes overlap): scoring decides as the shared
    rules do over the same log in memory (LogCounter), and the counters hold every vote once."""
    db = mongo.database(settings)
    log = Log()
    codes = ["3706", "4408", "4712", "1101"]
    for minute in range(4):
        for v in range(12):
            log.add(codes[minute], T0 + timedelta(minutes=6 * minute, seconds=v), channel="line", voter=f"{v:064x}")
            log.add(codes[v % 2], T0 + timedelta(minutes=6 * minute, seconds=v), address=f"{v % 3:032x}",
                    voter=f"{100 + 12 * minute + v:064x}")
    caps = {"address_burst_cap": 1, "address_daily_cap": 3}
    found = reasons(run(make_scoring(platform, db, **caps), log.records, batch=len(log.records)))
    counter = LogCounter(frozenset(PARTITION), flags=MemoryFlags(FlagSettings(**caps).rules()))
    assert in_order(log, found) == [counter.vote(e).flag_reason for e in log.events]
    line = [found[e.vote_id] for e in log.events if e.channel == "line"]
    assert line == [None] * 36 + ["voter_daily_cap"] * 12  # every voter's 4th district of the day
    assert {found[e.vote_id] for e in log.events if e.channel == "qr"} == {None, "address_burst", "address_daily_cap"}
    stored = ScoringStore(db).load_flag_counter(f"address:{0:032x}:3706:2026-11-21")
    assert stored is not None and stored.day == sum(1 for e in log.events if e.address_key == f"{0:032x}"
                                                     and e.district_code == "3706")
