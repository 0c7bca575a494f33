"""How well the tagger does on the labelled comments (tests/data/topics_labelled.jsonl; docs/topics.md).

The set is split by a hash of each comment's id, so the split never depends on the file's order and a
comment added later lands on one side for good: about 60 % development (the lexicon is tuned on these
only) and 40 % held out (measured, never looked at while tuning).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from shared.topics.tagger import ASPECTS

DEV_SHARE = 6  # of 10 hash buckets


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    topics: dict[str, str]


@dataclass
class Scores:
    """Counts over (aspect, polarity) pairs; per aspect, a pair counts for the aspect it names."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_aspect: dict[str, list[int]] = field(default_factory=lambda: {a: [0, 0, 0] for a in ASPECTS})
    comments: int = 0

    @staticmethod
    def _f(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    @property
    def micro(self) -> tuple[float, float, float]:
        """(precision, recall, F1) over every (aspect, polarity) pair."""
        return self._f(self.tp, self.fp, self.fn)

    def aspect(self, name: str) -> tuple[float, float, float]:
        return self._f(*self.per_aspect[name])


def split_of(comment_id: str) -> str:
    """"dev" or "heldout", from the id alone."""
    bucket = hashlib.sha256(comment_id.encode("utf-8")).digest()[0] % 10
    return "dev" if bucket < DEV_SHARE else "heldout"


def load(path: Path) -> list[Labelled]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                rows.append(Labelled(row["id"], row["text"], row["topics"]))
    return rows


def score(rows: Iterable[Labelled], tag: Callable[[str], dict[str, str]]) -> Scores:
    s = Scores()
    for row in rows:
        s.comments += 1
        got = set(tag(row.text).items())
        want = set(row.topics.items())
        for aspect, polarity in got | want:
            counts = s.per_aspect[aspect]
            pair = (aspect, polarity)
            if pair in got and pair in want:
                s.tp += 1
                counts[0] += 1
            elif pair in got:
                s.fp += 1
                counts[1] += 1
            else:
                s.fn += 1
                counts[2] += 1
    return s


def report(name: str, s: Scores) -> str:
    """A plain-text table: micro figures, then precision/recall/F1 and support per aspect."""
    p, r, f = s.micro
    lines = [f"{name}: {s.comments} comments, micro P {p:.3f} R {r:.3f} F1 {f:.3f} "
             f"over (aspect, polarity) pairs (tp {s.tp}, fp {s.fp}, fn {s.fn})",
             f"  {'aspect':<11} {'P':>6} {'R':>6} {'F1':>6} {'gold':>5}"]
    for aspect in ASPECTS:
        tp, _fp, fn = s.per_aspect[aspect]
        ap, ar, af = s.aspect(aspect)
        lines.append(f"  {aspect:<11} {ap:6.3f} {ar:6.3f} {af:6.3f} {tp + fn:5d}")
    return "\n".join(lines)
