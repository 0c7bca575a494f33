"""Rule thresholds and alert timing, from a TOML file (defaults: thresholds.toml, docs/notify.md).

A file that names an unknown section or key, or a value of the wrong kind, is refused whole with
every problem listed, so a typo never silently leaves a default in force.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).with_name("thresholds.toml")


@dataclass(frozen=True)
class LowMean:
    window_days: int = 7
    below: float = 3.0
    min_votes: int = 10


@dataclass(frozen=True)
class SharpDrop:
    window_days: int = 7
    drop: float = 0.5
    min_votes: int = 10


@dataclass(frozen=True)
class UnhappyBurst:
    window_minutes: int = 15
    unhappy_max_score: int = 2
    unhappy_share: float = 0.5
    min_votes: int = 4


@dataclass(frozen=True)
class Lifecycle:
    group_wait_s: float = 30
    repeat_interval_h: float = 24
    escalate_after_h: float = 48

    @property
    def group_wait(self) -> timedelta:
        return timedelta(seconds=self.group_wait_s)

    @property
    def repeat_interval(self) -> timedelta:
        return timedelta(hours=self.repeat_interval_h)

    @property
    def escalate_after(self) -> timedelta:
        return timedelta(hours=self.escalate_after_h)


@dataclass(frozen=True)
class Digest:
    weekday: int = 0
    hour: int = 8


@dataclass(frozen=True)
class Policy:
    low_mean: LowMean = LowMean()
    sharp_drop: SharpDrop = SharpDrop()
    unhappy_burst: UnhappyBurst = UnhappyBurst()
    lifecycle: Lifecycle = Lifecycle()
    digest: Digest = Digest()


class PolicyFileError(ValueError):
    """The thresholds file cannot be used; the message lists every problem."""


_SECTIONS = {f.name: f.type for f in fields(Policy)}
_CLASSES = {"low_mean": LowMean, "sharp_drop": SharpDrop, "unhappy_burst": UnhappyBurst,
            "lifecycle": Lifecycle, "digest": Digest}


def _value_problem(section: str, key: str, default: Any, value: Any) -> str | None:
    if isinstance(value, bool):
        return f"{section}.{key}: expected a number, got {value!r}"
    if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
        return f"{section}.{key}: expected a whole number, got {value!r}"
    if isinstance(default, float) and not isinstance(value, int | float):
        return f"{section}.{key}: expected a number, got {value!r}"
    if value < 0:
        return f"{section}.{key}: must not be negative, got {value!r}"
    return None


def parse_policy(data: dict[str, Any]) -> Policy:
    problems: list[str] = []
    built: dict[str, Any] = {}
    for section, values in data.items():
        cls = _CLASSES.get(section)
        if cls is None:
            problems.append(f"unknown section [{section}] (known: {', '.join(_CLASSES)})")
            continue
        if not isinstance(values, dict):
            problems.append(f"[{section}] must be a table")
            continue
        defaults = cls()
        known = {f.name for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                problems.append(f"{section}.{key}: unknown key (known: {', '.join(sorted(known))})")
                continue
            problem = _value_problem(section, key, getattr(defaults, key), value)
            if problem:
                problems.append(problem)
        if not problems:
            built[section] = cls(**values)
    digest = built.get("digest")
    if digest and not (0 <= digest.weekday <= 6 and 0 <= digest.hour <= 23):
        problems.append("digest: weekday must be 0 (Monday) to 6 and hour 0 to 23")
    if problems:
        raise PolicyFileError("; ".join(problems))
    return Policy(**built)


def load_policy(path: str | Path | None = None) -> Policy:
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return parse_policy(data)
    except PolicyFileError as exc:
        raise PolicyFileError(f"{path}: {exc}") from exc
