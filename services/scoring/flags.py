"""The flag rules applied by scoring, with their state in the store (docs/scoring.md, "Flags").

Scoring is the one owner of what counts, flags included: ingest only puts in `votes.v1` what the rules need
(shared/flags.py). Two kinds of state, both replay-exact:

- **Address and key counters** are partition-local (one per subject, district and Bangkok day of receipt;
  votes.v1 is keyed by district): this process's view, written once per batch with a single-document write
  conditional on the counter's applied offset, as a bucket is. A vote at or below it was counted by an
  earlier attempt and counts nothing again; its decision is the one its vote record kept.
- **A voter's districts of the day** span partitions: one inserted document per (voter, day, district) with
  the first time a vote for it was received (an insert is atomic by `_id` on FerretDB v1 too), and an
  equality read of the voter's day. A vote is flagged unless its district is among the voter's first N of
  the day (and of its burst window) by received time.

A batch's decisions are made before its votes are recorded, and recorded with them (`f`, `fr`): that record is
what a replay, a late comment's ballot and the buckets follow, so a decision is taken once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from services.scoring.domain import Vote
from services.scoring.store import ScoringStore, decided
from shared.flags import VOTER, CounterState, FlagRule, counter_id, subject_of, voter_day_key, voter_reason

REMEMBERED = 200_000  # counters kept in memory (a bounded view: one evicted is read again by `_id`)
# Keyed round trips that do not depend on each other overlap (docs/store.md, "Values cost"): a backlog's batch
# may read thousands of voters' days, where `$in` would read the whole collection on FerretDB.
THREADS = 8


class CounterConflict(RuntimeError):
    """A counter moved under us: another consumer writes this partition (a rebalance); the batch is retried."""


class FlagJudge:
    def __init__(self, store: ScoringStore, rules: dict[str, list[FlagRule]]):
        self.store, self.rules = store, rules
        self._pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="scoring-flags")
        self.forget()

    def forget(self) -> None:
        self.counters: OrderedDict[str, CounterState] = OrderedDict()

    def judge(self, votes: Sequence[Vote]) -> list[Vote]:
        """The batch's votes with their flag decisions, in log order. A vote ingest flagged (an old record)
        stays flagged; a replayed vote's decision here is provisional: its record's stands (store.py)."""
        days = self._voter_days(votes)
        self._prefetch(votes)
        scratch: dict[str, CounterState] = {}
        seen: set[str] = set()
        out = []
        for i, vote in enumerate(votes):
            reason = None
            fields = vote.wire or {}
            again = vote.vote_id in seen  # the same vote twice in one batch counts once
            seen.add(vote.vote_id)
            for rule in self.rules.get(fields.get("channel", ""), ()):
                subject = subject_of(rule, fields)
                if not subject:
                    continue
                if rule.kind == VOTER:
                    districts, since = days[voter_day_key(subject, vote.received_at)]
                    # In log order: a district this batch brings in with a later vote is not seen yet.
                    seen_now = {d: at for d, at in districts.items() if since.get(d, -1) <= i}
                    seen_now.setdefault(vote.district, districts.get(vote.district, vote.received_at))
                    found = voter_reason(rule, seen_now, vote.district)
                else:
                    cid = counter_id(rule, subject, vote.district, vote.received_at)
                    state = scratch.get(cid) or scratch.setdefault(cid, self._counter(cid).copy())
                    if again or vote.offset <= state.applied_offset:
                        continue  # counted already (a replay): its record's decision stands
                    found = rule.reason(*state.add(rule.window(vote.received_at)))
                reason = reason or found
            out.append(vote if vote.flagged else decided(vote, reason))
        return out

    def commit(self, counted: Sequence[Vote]) -> None:
        """Count the batch's votes that count (not duplicates nor repeats) into their counters, one conditional
        write per counter touched; the counters' applied offsets keep a replay from counting them twice."""
        changed: dict[str, tuple[int | None, CounterState]] = {}
        for vote in sorted(counted, key=lambda v: (v.partition, v.offset)):
            fields = vote.wire or {}
            for rule in self.rules.get(fields.get("channel", ""), ()):
                subject = subject_of(rule, fields)
                if not subject or rule.kind == VOTER:
                    continue
                cid = counter_id(rule, subject, vote.district, vote.received_at)
                if cid not in changed:
                    held = self._counter(cid)  # a stored counter has counted a vote: its offset is ≥ 0
                    changed[cid] = (held.applied_offset if held.applied_offset >= 0 else None, held.copy())
                state = changed[cid][1]
                if vote.offset <= state.applied_offset:
                    continue
                state.add(rule.window(vote.received_at))
                state.applied_offset = vote.offset
        saved = self._each(lambda item: self.store.save_flag_counter(item[0], *item[1]), list(changed.items()))
        moved = [cid for cid, ok in zip(changed, saved, strict=True) if not ok]
        if moved:
            self.forget()
            raise CounterConflict(f"flag counter {moved[0]} moved; another consumer writes this partition")
        for cid, (_read_offset, state) in changed.items():
            self._remember(cid, state)

    # ------------------------------------------------------------------ state

    def _voter_days(self, votes: Sequence[Vote]) -> dict[str, tuple[dict[str, datetime], dict[str, int]]]:
        """Insert each voter's district of the day, then read each voter's day once: voter's day ->
        (district -> first received time, district -> the index of the batch's vote that brought it in)."""
        held, at_index = [], []
        for i, vote in enumerate(votes):
            fields = vote.wire or {}
            if any(r.kind == VOTER for r in self.rules.get(fields.get("channel", ""), ())) and vote.voter_key:
                held.append((voter_day_key(vote.voter_key, vote.received_at), vote.district, vote.received_at))
                at_index.append(i)
        clashed = self.store.hold_voter_districts(held)
        since: dict[str, dict[str, int]] = {}
        for n, ((key, district, _at), i) in enumerate(zip(held, at_index, strict=True)):
            if n not in clashed:
                since.setdefault(key, {}).setdefault(district, i)
        keys = sorted({k for k, _, _ in held})
        return {key: (districts, since.get(key, {}))
                for key, districts in zip(keys, self._each(self.store.voter_districts_of, keys), strict=True)}

    def _each(self, fn, items: list) -> list:
        """fn over items, overlapping the round trips when there are several."""
        if len(items) < 4:
            return [fn(item) for item in items]
        return list(self._pool.map(fn, items))

    def _prefetch(self, votes: Sequence[Vote]) -> None:
        """Read the batch's counters this view does not hold, overlapping the reads."""
        missing = sorted({counter_id(rule, subject, v.district, v.received_at)
                          for v in votes for rule in self.rules.get((v.wire or {}).get("channel", ""), ())
                          if rule.kind != VOTER and (subject := subject_of(rule, v.wire or {}))} - set(self.counters))
        for cid, state in zip(missing, self._each(self.store.load_flag_counter, missing), strict=True):
            self._remember(cid, state or CounterState())

    def _counter(self, cid: str) -> CounterState:
        state = self.counters.get(cid)
        if state is None:
            state = self.store.load_flag_counter(cid) or CounterState()
            self._remember(cid, state)
        return state

    def _remember(self, cid: str, state: CounterState) -> None:
        self.counters[cid] = state
        self.counters.move_to_end(cid)
        while len(self.counters) > REMEMBERED:
            self.counters.popitem(last=False)
