"""A campaign that has lived, written through ranking's own store interface: the site's tests, screenshots
and bench read it. Deterministic (seeded), so screenshots and expected figures are stable.

Every district gets daily votes for `days` days; its figures are the campaign, 30-day and 7-day
windows at `today`, and each past day has its nine closing snapshots (ranks, and the campaign's
closing tallies the trend is drawn from), as the processor takes them at midnight.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from services.ranking.awards import award_document, entry_json
from services.ranking.boards import build_boards, snapshot_id
from services.ranking.domain import GROUPS, WINDOWS, closing_tallies, order_key, ranks_of
from services.ranking.formulas import Formula
from shared.districts import Registry
from shared.timeutil import iso_utc

# The 2021 winners (README) are busy and happy here too, so the screenshots show a ranked district.
FAVOURITES = {"3706": (4.6, 6), "4408": (4.5, 8), "4712": (4.4, 10)}


def _window(hist: list[int], first: date | None, last: date) -> dict:
    votes = sum(hist)
    total = sum((s + 1) * n for s, n in enumerate(hist))
    return {"from": first.isoformat() if first else None, "to": last.isoformat(), "votes": votes, "sum": total,
            "mean": round(total / votes, 4) if votes else 0.0,
            "histogram": {str(s + 1): n for s, n in enumerate(hist)}, "last_vote_at": None}


def daily_votes(registry: Registry, today: date, days: int, seed: int) -> dict[str, dict[date, list[int]]]:
    """code -> day -> histogram of that day's votes (1-5). Each district has its own mood and traffic."""
    rng = random.Random(seed)
    out: dict[str, dict[date, list[int]]] = {}
    for d in sorted(registry, key=lambda d: d.code):
        mood, traffic = rng.uniform(2.8, 4.8), rng.choice([0, 0.3, 1, 2, 4, 8])
        mood, traffic = FAVOURITES.get(d.code, (mood, traffic))
        per_day = {}
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            hist = [0] * 5
            for _ in range(int(rng.expovariate(1 / traffic)) if traffic else 0):
                hist[min(4, max(0, round(rng.gauss(mood, 0.9)) - 1))] += 1
            per_day[day] = hist
        out[d.code] = per_day
    return out


def figures_at(votes: dict[str, dict[date, list[int]]], day: date) -> dict[str, dict]:
    """Every district's stored figures as of the end of `day`."""
    out = {}
    for code, per_day in votes.items():
        windows = {}
        for name, span in (("campaign", None), ("last_30_days", 30), ("last_7_days", 7)):
            first = None if span is None else day - timedelta(days=span - 1)
            hist = [0] * 5
            for d, h in per_day.items():
                if d <= day and (first is None or d >= first) and any(h):
                    hist = [a + b for a, b in zip(hist, h, strict=True)]
            windows[name] = _window(hist, first, day)
        if windows["campaign"]["votes"]:
            out[code] = windows
    return out


def seed_campaign(store, registry: Registry, formula: Formula, today: date, *, days: int = 61, seed: int = 11,
                  award: str | None = "2569-Q4", now: datetime | None = None) -> dict[str, dict]:
    """Write figures, daily snapshots and (optionally) one closed award; returns the figures written."""
    now = now or datetime.combine(today, time(5, 0), tzinfo=UTC)
    votes = daily_votes(registry, today, days, seed)
    for back in range(days - 1, 0, -1):  # the closes of every past day
        day = today - timedelta(days=back)
        windows = figures_at(votes, day)
        boards = build_boards({c: {"windows": w} for c, w in windows.items()}, registry, formula)
        for group in GROUPS:
            for window in WINDOWS:
                doc = {"_id": snapshot_id(day.isoformat(), group, window), "day": day.isoformat(), "group": group,
                       "window": window, "taken_at": iso_utc(now), "formula": formula.to_json(),
                       "ranks": ranks_of(boards[(group, window)])}
                if window == "campaign":
                    doc["tallies"] = closing_tallies(boards[(group, window)])
                store.insert_snapshot(doc)
        store.note_snapshot(day.isoformat())
    current = figures_at(votes, today)
    stamp = iso_utc(now)
    for code, windows in sorted(current.items()):
        store.put_if_newer(code, order_key(1, today.isoformat(), stamp),
                           {"day": today.isoformat(), "as_of": stamp, "votes_offset": 1, "windows": windows})
    if award:
        closed = today - timedelta(days=1)
        boards = build_boards({c: {"windows": w} for c, w in figures_at(votes, closed).items()}, registry, formula)
        body = {"award": award, "closed_at": iso_utc(now - timedelta(days=1)), "day": closed.isoformat(),
                "window": "campaign", "campaign": {"from": None, "to": None}, "formula": formula.to_json(),
                "votes_topic": "votes.v1", "end_offsets": {"0": 1},
                "size_groups": {d.code: d.size_group for d in sorted(registry, key=lambda d: d.code)},
                "groups": {g: [entry_json(e) for e in boards[(g, "campaign")]] for g in GROUPS}}
        store.insert_award(award_document(body))
        store.note_award()
    store.bump(now)
    return current
