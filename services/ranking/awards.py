"""Awards anyone can verify: a frozen ranking per size group, hashed over its canonical JSON.

`close` reads ballots.v1 (scoring's decisions) up to its end offsets at that moment, so that an award states
the figures of the public board (scoring's standings) and never a recount of its own; it ranks each group with
the configured formula and the current size-group assignment, and stores the snapshot under the award's name
with a plain insert (a second close of the same name is refused by the store). The body names the log it was
built from (`ballots_topic`, or `votes_topic` for an award closed over votes.v1 before awards followed ballots)
and that log's end offsets. `verify` rebuilds the same ranking from the same log up to the frozen offsets, with
the frozen formula, assignment and day (and, for a votes.v1 award, its frozen flag caps), and checks the hash:
it fails if a record inside the range was altered or the snapshot was edited.
`preview` computes what a close would store, without storing it. `withdraw` marks a mistaken close
withdrawn, with a reason and a time, beside the snapshot (the snapshot and its hash stay as they were,
so it can still be verified, and the verification shows the withdrawal); a corrected award is closed
under a new name.
Canonical JSON: keys sorted, no spaces, UTF-8, floats as Python writes them (shortest round-trip).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date, datetime

from services.ranking.boards import boards_for
from services.ranking.domain import GROUPS, WINDOWS, Entry
from services.ranking.formulas import Formula
from services.ranking.replay import BallotTallies, Tallies
from shared.districts import Registry
from shared.flags import FlagSettings
from shared.timeutil import iso_utc

AWARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
REASON_MAX = 500  # characters of a withdrawal's reason
PODIUM = 3
# What an award was built from, as its body names it: the key of the topic it read.
BALLOTS, VOTES = "ballots", "votes"


class AwardError(Exception):
    """A close or verify that cannot go on (exists already, unknown name, unreadable log)."""


def canonical(body: Mapping) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(body: Mapping) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def entry_json(e: Entry) -> dict:
    return {"rank": e.rank, "district_code": e.code, "votes": e.votes, "sum": e.total, "mean": e.mean,
            "score": e.score, "eligible": e.eligible, "votes_needed": e.votes_needed}


def snapshot_body(*, name: str, closed_at: datetime, day: date, window: str, campaign: tuple[date | None, date | None],
                  formula: Formula, topic: str, ends: Mapping[int, int], size_groups: Mapping[str, str],
                  tallies: Tallies, source: str = BALLOTS, flags: FlagSettings | None = None) -> dict:
    """The award's canonical body. `source`: the log it was built from (`BALLOTS`, or `VOTES` for an award closed
    over votes.v1), named in the body as `<source>_topic` beside that log's `end_offsets`. `flags` (votes.v1
    awards only): the caps its votes were judged with, frozen with it so that a verify judges the log as the
    close did whatever the caps are by then (an award closed before they were frozen has none, and is verified
    with the platform's caps). A ballots.v1 award has none: scoring judged its votes."""
    if source not in (BALLOTS, VOTES):
        raise AwardError(f"an award is built from {BALLOTS} or {VOTES}, not {source!r}")
    if window not in WINDOWS:
        raise AwardError(f"window must be one of {', '.join(WINDOWS)}")
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for code, group in sorted(size_groups.items()):
        groups[group].append(code)
    figures = tallies.figures(day, *campaign)
    boards = boards_for(figures, groups, formula, windows=(window,))
    return {
        "award": name, "closed_at": iso_utc(closed_at), "day": day.isoformat(), "window": window,
        "campaign": {"from": campaign[0].isoformat() if campaign[0] else None,
                     "to": campaign[1].isoformat() if campaign[1] else None},
        "formula": formula.to_json(), f"{source}_topic": topic,
        "end_offsets": {str(p): o for p, o in sorted(ends.items())},
        "size_groups": dict(sorted(size_groups.items())),
        "groups": {g: [entry_json(e) for e in boards[(g, window)]] for g in GROUPS},
        **({"flags": flags.to_json()} if flags is not None else {}),
    }


def frozen_flags(stored: Mapping) -> FlagSettings | None:
    """The caps an award was closed with (None for an award closed before caps were frozen)."""
    return FlagSettings.from_json(stored["flags"]) if "flags" in stored else None


def built_from(stored: Mapping) -> str:
    """The log an award was built from, as its body says (`BALLOTS` or `VOTES`)."""
    return VOTES if "votes_topic" in stored and "ballots_topic" not in stored else BALLOTS


def topic_of(stored: Mapping) -> str:
    return stored[f"{built_from(stored)}_topic"]


def rebuild_body(stored: Mapping, tallies: Tallies) -> dict:
    """The snapshot a verifier computes from the log, with the stored award's frozen choices."""
    campaign = stored["campaign"]
    return snapshot_body(
        name=stored["award"], closed_at=datetime.fromisoformat(stored["closed_at"].replace("Z", "+00:00")),
        day=date.fromisoformat(stored["day"]), window=stored["window"],
        campaign=(date.fromisoformat(campaign["from"]) if campaign["from"] else None,
                  date.fromisoformat(campaign["to"]) if campaign["to"] else None),
        formula=Formula(stored["formula"]["name"], stored["formula"]["params"],
                        stored["formula"].get("min_sources", 1)), topic=topic_of(stored),
        ends={int(p): o for p, o in stored["end_offsets"].items()}, size_groups=stored["size_groups"],
        tallies=tallies, source=built_from(stored), flags=frozen_flags(stored))


def differences(stored: Mapping, rebuilt: Mapping, limit: int = 50) -> list[dict]:
    """Which entries differ between the stored snapshot and the rebuild (and any other field)."""
    out: list[dict] = []
    for key in sorted(set(stored) | set(rebuilt)):
        if key != "groups" and stored.get(key) != rebuilt.get(key):
            out.append({"field": key})
    for group in GROUPS:
        a = {e["district_code"]: e for e in stored.get("groups", {}).get(group, [])}
        b = {e["district_code"]: e for e in rebuilt.get("groups", {}).get(group, [])}
        for code in sorted(set(a) | set(b)):
            if a.get(code) != b.get(code):
                out.append({"group": group, "district_code": code, "snapshot": a.get(code), "log": b.get(code)})
    return out[:limit]


def award_document(body: Mapping) -> dict:
    text = canonical(body).decode("utf-8")
    return {"_id": body["award"], "closed_at": body["closed_at"], "sha256": digest(body), "canonical": text}


def named(entry: Mapping, registry: Registry) -> dict:
    """An entry with the district's names, as the central office reads a result (not codes alone)."""
    d = registry.get(entry["district_code"])
    return {"rank": entry["rank"], "district_code": entry["district_code"],
            "name_th": d.name_th if d else None, "name_en": d.name_en if d else None,
            "province_th": d.province_th if d else None, "province_en": d.province_en if d else None,
            "score": entry["score"], "mean": entry["mean"], "votes": entry["votes"]}


def summary(body: Mapping, tallies: Tallies, registry: Registry) -> dict:
    """What a close or a preview reports: the winners and podium with names, how many votes were counted,
    flagged (left out as suspicious), duplicates skipped and refused (unreadable), and per group how many
    districts were excluded from the ranking (too few votes to be eligible). Over ballots.v1 also the
    ballots delivered twice (taken once) and the counted votes whose ballot named no source (rule 7: written
    before ballots carried it; `sangsuk ballots backfill` publishes them again with it)."""
    groups = body["groups"]
    extra = {}
    if isinstance(tallies, BallotTallies):
        extra = {"ballots_redelivered": tallies.redelivered, "counted_without_source": tallies.without_source}
    return {
        "built_from": built_from(body),
        "votes_counted": tallies.counted, "votes_flagged": tallies.flagged,
        "duplicates_skipped": tallies.duplicates, "votes_refused": tallies.refused, **extra,
        "winners": {g: [named(e, registry) for e in groups[g] if e["rank"] == 1] for g in GROUPS},
        "podium": {g: [named(e, registry) for e in groups[g] if e["rank"] is not None and e["rank"] <= PODIUM]
                   for g in GROUPS},
        "districts_ranked": {g: sum(1 for e in groups[g] if e["rank"] is not None) for g in GROUPS},
        "districts_excluded": {g: sum(1 for e in groups[g] if e["rank"] is None) for g in GROUPS},
    }


def withdrawal(reason: str, at: datetime) -> dict:
    """The mark a withdrawn award carries; a reason is required (it is shown wherever the award is)."""
    reason = " ".join(reason.split())
    if not reason:
        raise AwardError("a withdrawal needs a reason (--reason), shown with the award")
    if len(reason) > REASON_MAX:
        raise AwardError(f"the reason is {len(reason)} characters long, over {REASON_MAX}")
    return {"at": iso_utc(at), "reason": reason}
