"""The newest comments of each district, kept apart (pure): what the chief's alert page shows.

The page used to read and rank every comment of seven days; now each batch of feedback writes folds its
comments into one short list per district (`LATEST` entries, newest first, one per vote, a later comment
replacing the earlier), so the page reads one keyed document and redacts at most `LATEST` texts whatever
the district has stored. Folding is idempotent: a replayed batch gives the same list.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.notify.feedback import FeedbackWrite

LATEST = 20


def comment_entries(writes: Iterable[FeedbackWrite]) -> dict[str, list[dict]]:
    """The batch's comments per district: `{v: vote id, s: score, t: redacted text, at: datetime}`."""
    out: dict[str, list[dict]] = {}
    for write in writes:
        fields = write.on_insert | write.sets
        if fields.get("comment") and write.sets.get("comment"):
            out.setdefault(fields["district"], []).append(
                {"v": write.vote_id, "s": fields["score"], "t": fields["comment"], "at": fields["at"]})
    return out


def folded(kept: list[dict], new: list[dict], limit: int = LATEST) -> list[dict]:
    """`kept` with `new` folded in: one entry per vote (the newer text wins), newest first, at most `limit`."""
    by_vote: dict[str, dict] = {}
    for entry in [*kept, *new]:
        held = by_vote.get(entry["v"])
        if held is None or _at(entry) >= _at(held):
            by_vote[entry["v"]] = entry
    return sorted(by_vote.values(), key=lambda e: (_at(e), e["v"]), reverse=True)[:limit]


def _at(entry: dict):
    at = entry["at"]
    return at.replace(tzinfo=None) if hasattr(at, "replace") else at
