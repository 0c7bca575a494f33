"""The pure core of ranking: a size group's leaderboard for a window, ties, eligibility, movement.

No I/O. Input: each district's figures for the window (what scores.v1 carries) and the formula.
Output: entries in leaderboard order. Eligible districts come first, ranked by standard competition
ranking (1224) on the score, and within a tie ordered by votes (more first) then code; districts
below the minimum of votes, or whose votes come from fewer distinct sources than the minimum (one
kiosk key alone cannot make a district eligible), follow, marked, unranked, with what they still need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.ranking.formulas import Formula, GroupPrior, WindowFigures

# API window names and the names scores.v1 carries for them.
WINDOWS: dict[str, str] = {"campaign": "campaign", "30d": "last_30_days", "7d": "last_7_days"}
GROUPS = ("small", "medium", "large")


@dataclass(frozen=True)
class Entry:
    code: str
    votes: int
    total: int
    mean: float | None
    score: float | None
    eligible: bool
    votes_needed: int
    rank: int | None
    sources_needed: int = 0  # distinct sources still missing (docs/ranking.md, "Eligibility and ties")


def leaderboard(tallies: Mapping[str, WindowFigures], formula: Formula) -> list[Entry]:
    """Every district of the group (all of them must be in `tallies`, with zeros if they have no votes)."""
    prior = GroupPrior.of(tallies.values())
    eligible: list[Entry] = []
    waiting: list[Entry] = []
    for code, tally in tallies.items():
        score = formula.score(tally, prior)
        needed = max(0, formula.min_votes - tally.votes)
        sources = sources_needed(tally, formula)
        ok = needed == 0 and sources == 0
        entry = Entry(code, tally.votes, tally.total, tally.mean, score, ok, needed, None, sources)
        (eligible if ok else waiting).append(entry)
    eligible.sort(key=lambda e: (-(e.score or 0.0), -e.votes, e.code))
    waiting.sort(key=lambda e: (-e.votes, -(e.score or 0.0), e.code))
    ranked: list[Entry] = []
    for position, e in enumerate(eligible, start=1):
        shares = ranked and ranked[-1].score == e.score
        rank = ranked[-1].rank if shares else position
        # Built, not `dataclasses.replace`d: replace was a seventh of the ranking web's samples (issue 24).
        ranked.append(Entry(e.code, e.votes, e.total, e.mean, e.score, e.eligible, e.votes_needed, rank,
                            e.sources_needed))
    return ranked + waiting


def sources_needed(tally: WindowFigures, formula: Formula) -> int:
    """How many more distinct sources the district's votes need; 0 with the rule off (`min_sources` 1) and
    for a standing without the count (from a scoring older than it: judged by votes alone until scoring
    republishes it, which it does at its start)."""
    if tally.sources is None or formula.min_sources <= 1:
        return 0
    return max(0, formula.min_sources - tally.sources)


def ranks_of(entries: Iterable[Entry]) -> dict[str, int | None]:
    """What a daily snapshot keeps: each district's rank (None while ineligible)."""
    return {e.code: e.rank for e in entries}


def closing_tallies(entries: Iterable[Entry]) -> dict[str, list[int]]:
    """What a campaign snapshot also keeps: each district's campaign votes and sum at the day's close
    (districts without votes left out). Two consecutive days' closes give the votes counted that day."""
    return {e.code: [e.votes, e.total] for e in entries if e.votes}


def movement(rank: int | None, previous: Mapping[str, int | None] | None, code: str) -> dict | None:
    """Against the previous Bangkok day's snapshot: up n, down n, same, or new (not ranked yesterday).

    None for an entry without a rank today: an ineligible district has no place to move from.
    """
    if rank is None:
        return None
    before = previous.get(code) if previous else None
    if before is None:
        return {"status": "new", "places": 0, "previous_rank": None}
    if before > rank:
        return {"status": "up", "places": before - rank, "previous_rank": before}
    if before < rank:
        return {"status": "down", "places": rank - before, "previous_rank": before}
    return {"status": "same", "places": 0, "previous_rank": before}


def window_tally(figures: Mapping | None, window: str) -> WindowFigures:
    """A district's tally for an API window from its stored figures (a scores.v1 standing), zeros if none."""
    w = ((figures or {}).get("windows") or {}).get(WINDOWS[window]) or {}
    hist = w.get("histogram") or {}
    sources = w.get("sources")
    # The five counts spelt out (no generator, no str() per score): the web rebuilds 9 boards × 878 of
    # these after every change, a fifth of its samples (issue 24).
    get = hist.get
    return WindowFigures(int(w.get("votes", 0)), int(w.get("sum", 0)),
                         (int(get("1", 0)), int(get("2", 0)), int(get("3", 0)), int(get("4", 0)), int(get("5", 0))),
                         int(sources) if sources is not None else None)


def order_key(votes_offset: int | None, day: str, as_of: str) -> str:
    """What orders two standings of one district, as one comparable string (the store compares it).

    The highest votes.v1 offset of the district's partition the standing reflects comes first (a
    district's votes all sit in one partition, so offsets compare); then the Bangkok day its windows
    were computed for (the midnight refresh moves windows without new votes); then when it was
    computed. An event without an offset (an older producer) sorts before every one with.
    """
    return f"{(votes_offset if votes_offset is not None else -1) + 1:020d}|{day}|{as_of}"
