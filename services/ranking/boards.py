"""From stored figures to the nine leaderboards (three size groups × three windows) and back to ranks.

Shared by the consumer (daily snapshots), the web process (live boards), awards and exports, so all
of them rank the same figures the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ranking.domain import GROUPS, WINDOWS, Entry, leaderboard, window_tally
from services.ranking.formulas import Formula, WindowFigures
from shared.districts import Registry

BoardKey = tuple[str, str]  # (group, window)


def group_codes(registry: Registry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {g: [] for g in GROUPS}
    for district in registry:
        out[district.size_group].append(district.code)
    return out


def tallies_for(figures: Mapping[str, Mapping], codes: list[str], window: str) -> dict[str, WindowFigures]:
    """Every district of the group, with zeros for one that has no figures yet."""
    return {code: window_tally(figures.get(code), window) for code in codes}


def build_boards(figures: Mapping[str, Mapping], registry: Registry, formula: Formula) -> dict[BoardKey, list[Entry]]:
    return boards_for(figures, group_codes(registry), formula)


def boards_for(figures: Mapping[str, Mapping], groups: Mapping[str, list[str]], formula: Formula,
               windows: tuple[str, ...] = tuple(WINDOWS)) -> dict[BoardKey, list[Entry]]:
    """The boards of a given size-group assignment (an award ranks by the assignment it froze)."""
    return {(group, window): leaderboard(tallies_for(figures, groups[group], window), formula)
            for group in GROUPS for window in windows}


def snapshot_id(day: str, group: str, window: str) -> str:
    return f"{day}:{group}:{window}"
