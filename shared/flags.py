"""The flag rules: which votes are counted apart ("flagged, not lost"), one table for every place that applies them.

Scoring decides them (services/scoring/flags.py keeps their state in the store, replay-exact); every replay of
the log in memory (`shared.counting.LogCounter`) applies the same rules with `MemoryFlags`. Ingest only puts
in `votes.v1` what the rules need, hashed: the client address (`address_key`, qr/web), the API key
(`key_ref`), the voter (`voter_key`), the channel and the received time (docs/scoring.md, "Flags").

Days and burst windows are placed by `received_at`, the time the platform received the vote, never the
client's `submitted_at`: a client that spreads or backdates `submitted_at` gains nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from shared.timeutil import bangkok_day

ADDRESS, KEY, VOTER = "address", "key", "voter"
# The channels whose votes carry the hashed client address (`address_key`): the address rule's subjects.
ADDRESS_CHANNELS = frozenset({"qr", "web"})
KEPT_WINDOWS = 3  # a counter keeps its latest burst windows only (received times move forward)


@dataclass(frozen=True)
class FlagRule:
    """The daily cap and the burst cap for one kind of subject (an address, an API key, a voter).

    `address` and `key` count votes per subject, district and Bangkok day of receipt; `voter` counts the
    districts a voter voted for that day (all districts together)."""

    kind: str  # ADDRESS | KEY | VOTER: the reasons are "<kind>_daily_cap" and "<kind>_burst"
    daily_cap: int
    burst_cap: int
    burst_window: timedelta

    def window(self, at: datetime) -> int:
        return int(at.timestamp()) // max(1, int(self.burst_window.total_seconds()))

    def reason(self, day_position: int, burst_position: int) -> str | None:
        if burst_position > self.burst_cap:
            return f"{self.kind}_burst"
        if day_position > self.daily_cap:
            return f"{self.kind}_daily_cap"
        return None


@dataclass(frozen=True)
class FlagSettings:
    """The caps (docs/scoring.md, "Flags"); FLAG_* in the environment."""

    address_daily_cap: int = 50  # per client address, per district, per Bangkok day
    address_burst_cap: int = 10  # per client address, per district, per burst window
    key_daily_cap: int = 1000  # per kiosk key, per district, per Bangkok day
    key_burst_cap: int = 60  # per kiosk key, per district, per burst window
    import_daily_cap: int = 3000  # per import key, per district, per Bangkok day
    import_batch_cap: int = 500  # per import key, per district, per burst window: one full batch
    bot_key_daily_cap: int = 3000  # per LINE/Facebook bot key, per district, per Bangkok day
    bot_key_burst_cap: int = 300  # per LINE/Facebook bot key, per district, per burst window
    voter_daily_cap: int = 3  # per LINE/Facebook user, districts per Bangkok day (all districts together)
    voter_burst_cap: int = 2  # per LINE/Facebook user, districts per burst window
    burst_window_min: int = 5
    address_channels: frozenset[str] = ADDRESS_CHANNELS
    key_channels: frozenset[str] = frozenset({"kiosk"})

    def rules(self) -> dict[str, list[FlagRule]]:
        """The rules each channel's votes are judged under, in the order their reasons take precedence."""
        burst = timedelta(minutes=self.burst_window_min)
        rules: dict[str, list[FlagRule]] = {}
        for channel in self.address_channels & ADDRESS_CHANNELS:  # only these votes carry the address
            rules.setdefault(channel, []).append(FlagRule(ADDRESS, self.address_daily_cap, self.address_burst_cap,
                                                          burst))
        for channel in self.key_channels:
            rules.setdefault(channel, []).append(FlagRule(KEY, self.key_daily_cap, self.key_burst_cap, burst))
        rules.setdefault("import", []).append(FlagRule(KEY, self.import_daily_cap, self.import_batch_cap, burst))
        for channel in ("line", "facebook"):
            rules.setdefault(channel, []).extend([
                FlagRule(KEY, self.bot_key_daily_cap, self.bot_key_burst_cap, burst),
                FlagRule(VOTER, self.voter_daily_cap, self.voter_burst_cap, burst)])
        return rules

    def to_json(self) -> dict:
        """The caps as an award freezes them (services/ranking/awards.py): a verify judges the log with them."""
        return {f.name: sorted(v) if isinstance(v := getattr(self, f.name), frozenset) else v
                for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping) -> FlagSettings:
        """The caps an award froze; a field the award does not name keeps its default."""
        known = {f.name: f for f in fields(cls)}
        return cls(**{name: frozenset(value) if isinstance(getattr(cls, name, None), frozenset) else int(value)
                      for name, value in data.items() if name in known})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FlagSettings:
        env = os.environ if env is None else env

        def channels(name: str, default: frozenset[str]) -> frozenset[str]:
            value = env.get(name)
            return default if value is None else frozenset(c.strip() for c in value.split(",") if c.strip())

        def number(name: str, default: int) -> int:
            return int(env.get(name, default))

        return cls(
            address_daily_cap=number("FLAG_ADDRESS_DAILY_CAP", cls.address_daily_cap),
            address_burst_cap=number("FLAG_ADDRESS_BURST_CAP", cls.address_burst_cap),
            key_daily_cap=number("FLAG_KEY_DAILY_CAP", cls.key_daily_cap),
            key_burst_cap=number("FLAG_KEY_BURST_CAP", cls.key_burst_cap),
            import_daily_cap=number("FLAG_IMPORT_DAILY_CAP", cls.import_daily_cap),
            import_batch_cap=number("FLAG_IMPORT_BATCH_CAP", cls.import_batch_cap),
            bot_key_daily_cap=number("FLAG_BOT_KEY_DAILY_CAP", cls.bot_key_daily_cap),
            bot_key_burst_cap=number("FLAG_BOT_KEY_BURST_CAP", cls.bot_key_burst_cap),
            voter_daily_cap=number("FLAG_VOTER_DAILY_CAP", cls.voter_daily_cap),
            voter_burst_cap=number("FLAG_VOTER_BURST_CAP", cls.voter_burst_cap),
            burst_window_min=number("FLAG_BURST_WINDOW_MIN", cls.burst_window_min),
            address_channels=channels("FLAG_ADDRESS_CHANNELS", cls.address_channels),
            key_channels=channels("FLAG_KEY_CHANNELS", cls.key_channels),
        )


def subject_of(rule: FlagRule, vote: Mapping) -> str | None:
    """Who a rule counts for a vote's fields (a votes.v1 record's): hashed, or None (the rule does not apply)."""
    return vote.get({ADDRESS: "address_key", KEY: "key_ref", VOTER: "voter_key"}[rule.kind])


def counter_id(rule: FlagRule, subject: str, district: str, received_at: datetime) -> str:
    """An address or key counter: one per subject, district and Bangkok day of receipt (partition-local:
    votes.v1 is keyed by district)."""
    return f"{rule.kind}:{subject}:{district}:{bangkok_day(received_at).isoformat()}"


def voter_day_key(voter: str, received_at: datetime) -> str:
    """The voter rule's scope: one voter's Bangkok day of receipt, every district together."""
    return f"{voter}:{bangkok_day(received_at).isoformat()}"


@dataclass
class CounterState:
    """An address or key counter: the day's votes, its latest burst windows' votes, and the highest offset of
    its partition counted in it (`applied_offset`: a replay past it counts nothing twice)."""

    applied_offset: int = -1
    day: int = 0
    windows: dict[int, int] = field(default_factory=dict)

    def add(self, window: int) -> tuple[int, int]:
        """Count one vote; its (day position, burst-window position)."""
        self.day += 1
        self.windows[window] = self.windows.get(window, 0) + 1
        for old in sorted(self.windows)[:-KEPT_WINDOWS]:
            del self.windows[old]
        return self.day, self.windows.get(window, 0)

    def copy(self) -> CounterState:
        return CounterState(self.applied_offset, self.day, dict(self.windows))

    def to_text(self) -> str:
        return json.dumps([self.day, {str(w): n for w, n in self.windows.items()}], separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str, applied_offset: int) -> CounterState:
        day, windows = json.loads(text)
        return cls(applied_offset, day, {int(w): n for w, n in windows.items()})


def voter_reason(rule: FlagRule, districts: Mapping[str, datetime], district: str) -> str | None:
    """The voter rule for a vote for `district`, given the voter's day so far (district -> the first time a vote
    for it was received; `district` among them): flagged unless its district is among the voter's first
    `daily_cap` of the day and first `burst_cap` of its burst window, by received time. A district received
    at the same instant counts as before it, so ties go by the order in which votes are judged."""
    mine = districts[district]
    window = rule.window(mine)
    earlier = [at for at in districts.values() if at <= mine]
    return rule.reason(len(earlier), sum(1 for at in earlier if rule.window(at) == window))


@dataclass
class MemoryFlags:
    """The rules over a log held in memory, in log order (LogCounter): the same decisions scoring's store-kept
    state gives for the same log, but for the rare race docs/scoring.md describes."""

    # By default the caps of this process's environment (FLAG_*), as scoring reads them: a replay run where
    # scoring runs (ranking's awards, what-if) applies the same caps without being told.
    rules: dict[str, list[FlagRule]] = field(default_factory=lambda: FlagSettings.from_env().rules())
    counters: dict[str, CounterState] = field(default_factory=dict)
    voter_days: dict[str, dict[str, datetime]] = field(default_factory=dict)

    def judge(self, vote: Mapping) -> str | None:
        """Count a vote (its votes.v1 fields) under its channel's rules; the first rule's reason that flags it."""
        reason = None
        for rule in self.rules.get(vote["channel"], ()):
            subject = subject_of(rule, vote)
            if not subject:
                continue
            at = vote["received_at"]
            if rule.kind == VOTER:
                held = self.voter_days.setdefault(voter_day_key(subject, at), {})
                held.setdefault(vote["district_code"], at)
                found = voter_reason(rule, held, vote["district_code"])
            else:
                state = self.counters.setdefault(counter_id(rule, subject, vote["district_code"], at), CounterState())
                found = rule.reason(*state.add(rule.window(at)))
            reason = reason or found
        return reason
