"""The feedback view's documents, built from scoring's decided ballots (pure: no I/O, no logging).

One document per counted vote that carries a comment or a praise text, keyed by the vote's id, so the
chief's inbox, the centre's search and the topic tagger read what citizens said without counting again
(ballots.v1 is the only source of what counts: docs/events.md). A `comment` ballot (a comment sent
after the vote, as LINE's second message, or the praise LINE asks for after a vote of 4 or 5) attaches
to its vote's document: it sets only the parts it carries, so a praise never wipes a comment, a comment
never wipes a praise, and a vote's ballot read again never wipes either (its missing parts are set on
insert only).

Document (`notify_feedback`), the interface other readers build on (keep it stable):

| field | type | meaning |
| --- | --- | --- |
| `_id` | str | the vote's `vote_id` |
| `district` | str | 4-digit district code |
| `day` | str | ISO Bangkok day the vote counts on (scoring's `day`) |
| `dday` | str | `"<district>:<day>"`: one district's day by equality (FerretDB pushes only equality down) |
| `score` | int | 1-5 |
| `service` | str or None | what the citizen came for (a later comment takes its vote's) |
| `channel` | str or None | the vote's channel (`qr`, `line`, `kiosk`, `import`, ...) |
| `submitted_at` | datetime | when the citizen voted |
| `received_at` | datetime or None | when ingest accepted the vote |
| `comment` | str | the redacted comment, `""` without one (a later comment replaces an earlier) |
| `comment_channel` | str or None | the channel the comment came by |
| `comment_at` | datetime or None | when the comment arrived |
| `at` | datetime | the sort key, "newest first": the comment's time, else the vote's |
| `praise` | dict or None | `{text, kind, unit_id, person_key}`: the redacted praise text and the normaliser's |
| | | reading of it at write time (`shared.praise`); count a person by `directory.canonical(person_key)`, |
| | | so the chief's later merges and renames follow |
| `praise_counted` | bool | `shared.praise.counts_as_praise`: a unit or person named in a vote of 3-5 |
| `topics` | dict aspect -> polarity | **unset here**: the topic tagger's (issue 20) |
| `tagger_version` | str | **unset here**: the tagger's |

Idempotent: a replayed ballot produces the same `$set`, so the document is the same after a replay.
Officials' names are in `praise` only; the view is for the district's chief and the centre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from shared.events import BALLOT_VOTE, BallotEvent
from shared.praise import PraiseDirectory, counts_as_praise, normalise

# The fields the topic tagger owns: never written by the ballots processor.
TAGGER_FIELDS = ("topics", "tagger_version")
# Fields that may be null. FerretDB v1 drops a null given in `$setOnInsert` (a comment whose vote had no
# document), so the store's reads put them back (`complete`): readers always find every key of the table.
NULLABLE_FIELDS = ("service", "channel", "received_at", "comment_channel", "comment_at", "praise")


def complete(doc: dict) -> dict:
    """A stored document with every nullable field present (None where the store left it out)."""
    for name in NULLABLE_FIELDS:
        doc.setdefault(name, None)
    doc.setdefault("praise_counted", False)
    return doc


@dataclass(frozen=True)
class VoteFacts:
    """What a later comment's ballot lacks of its vote (`service`, the vote's `channel` and `received_at`)."""

    service: str | None = None
    channel: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class FeedbackWrite:
    """One keyed upsert: `sets` always, `on_insert` only when the document is new."""

    vote_id: str
    sets: dict
    on_insert: dict = field(default_factory=dict)


def district_day(district: str, day: str) -> str:
    """The `dday` value: one district's Bangkok day, found by equality."""
    return f"{district}:{day}"


def praise_of(ballot: BallotEvent, directory: PraiseDirectory) -> dict | None:
    """The praise part of a vote's document, or None when the citizen named no one."""
    text = (ballot.staff or "").strip()
    if not text:
        return None
    mention = normalise(text, directory)
    return {"text": text, "kind": mention.kind, "unit_id": mention.unit_id, "person_key": mention.person_key}


def _vote_fields(ballot: BallotEvent, facts: VoteFacts) -> dict:
    return {"district": ballot.district_code, "day": ballot.day, "dday": district_day(ballot.district_code, ballot.day),
            "score": ballot.score, "service": facts.service, "channel": facts.channel,
            "submitted_at": ballot.submitted_at, "received_at": facts.received_at}


def _comment_fields(ballot: BallotEvent, fallback_at: datetime) -> dict:
    at = ballot.comment_at or fallback_at
    return {"comment": ballot.comment, "comment_channel": ballot.channel, "comment_at": ballot.comment_at, "at": at}


def vote_write(ballot: BallotEvent, directory: PraiseDirectory) -> FeedbackWrite | None:
    """A counted vote's document, or None when it has neither a comment nor a praise text."""
    praise = praise_of(ballot, directory)
    if not ballot.comment and praise is None:
        return None
    facts = VoteFacts(ballot.service, ballot.channel, ballot.received_at)
    vote_at = ballot.received_at or ballot.submitted_at
    sets = _vote_fields(ballot, facts) | _praise_fields(ballot, praise, directory)
    on_insert: dict = {}
    if ballot.comment:
        sets |= _comment_fields(ballot, vote_at)
    else:  # praise only: a later comment may come; its fields must not be overwritten by a replay
        on_insert = {"comment": "", "comment_channel": None, "comment_at": None, "at": vote_at}
    if praise is None:  # comment only: a later praise (LINE's) may come; a replay must not wipe it
        on_insert |= {"praise": None, "praise_counted": False}
    return FeedbackWrite(ballot.vote_id, sets, on_insert)


def _praise_fields(ballot: BallotEvent, praise: dict | None, directory: PraiseDirectory) -> dict:
    """The praise and whether it counts (the one rule: `shared.praise.counts_as_praise`, never below 3)."""
    if praise is None:
        return {}
    return {"praise": praise, "praise_counted": counts_as_praise(ballot.score, praise["text"], directory)}


def comment_write(ballot: BallotEvent, facts: VoteFacts,
                  directory: PraiseDirectory | None = None) -> FeedbackWrite | None:
    """A later message joined to its vote: the parts it carries set (its comment, its praise), the others
    left as they are; the vote's fields written only if the vote had no document."""
    praise = praise_of(ballot, directory or PraiseDirectory())
    if not ballot.comment and praise is None:
        return None
    at = ballot.comment_at or facts.received_at or ballot.submitted_at
    sets = _praise_fields(ballot, praise, directory or PraiseDirectory())
    on_insert = _vote_fields(ballot, facts)
    if ballot.comment:
        sets |= _comment_fields(ballot, ballot.submitted_at)
    else:
        on_insert |= {"comment": "", "comment_channel": None, "comment_at": None, "at": at}
    if praise is None:
        on_insert |= {"praise": None, "praise_counted": False}
    return FeedbackWrite(ballot.vote_id, sets, on_insert)


def feedback_writes(ballots: list[BallotEvent], directory_for: Callable[[str], PraiseDirectory],
                    facts_for: Callable[[BallotEvent], VoteFacts]) -> list[FeedbackWrite]:
    """The writes for a batch of counted ballots, in log order (a vote before its later comment).

    `directory_for(district)` is the district's praise directory; `facts_for(comment_ballot)` looks up
    the vote's service and channel for a comment whose vote is not in this batch (called only then).
    """
    writes: list[FeedbackWrite] = []
    in_batch: dict[str, VoteFacts] = {}
    for ballot in ballots:
        if not ballot.counted:
            continue
        if ballot.kind == BALLOT_VOTE:
            in_batch[ballot.vote_id] = VoteFacts(ballot.service, ballot.channel, ballot.received_at)
            write = vote_write(ballot, directory_for(ballot.district_code))
        elif ballot.comment or (ballot.staff or "").strip():
            facts = in_batch.get(ballot.vote_id) or facts_for(ballot)
            write = comment_write(ballot, facts, directory_for(ballot.district_code))
        else:
            write = None
        if write is not None:
            writes.append(write)
    return writes
