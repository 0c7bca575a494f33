"""Composed training comments for the model's second member (docs/topics.md, "Model-4").

Why: most labelled comments name one aspect, so a per-aspect model learns that a comment speaks of its aspect
mostly when nothing else is said; citizens often join two things in one comment ("จนท.ใจดี แต่รอนาน"). Two
labelled comments joined by a connector (a space, "แต่", "ส่วน", "และ", "ก็") make a comment whose labels are
the union of theirs, when their aspects differ. A model trained with them alone scored below the plain one on
the fresh rounds (0.805 against 0.810), but the average of the two scored 0.819: they err differently.
Only training comments are composed: the cross-validation composes from its training folds alone, never from a
test fold's comments, and train.py never sees the held-out part.
"""

from __future__ import annotations

import random

from shared.topics.evaluation import Labelled

CONNECTORS = (" ", " แต่", " ส่วน", " และ", " ก็", "แต่", " ")  # a bare space twice: the commonest join
NONE_SHARE = 0.2  # of the composed comments, those joining a comment about no aspect


def composed(rows: list[Labelled], n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """n (text, topics) pairs, each two comments of rows joined: one naming a single aspect, the other a single
    different aspect or (one time in five) no aspect, in either order. Deterministic for the same rows and
    seed."""
    rng = random.Random(seed)
    single = [r for r in rows if len(r.topics) == 1]
    none = [r for r in rows if not r.topics]
    if not single or not none:
        return []
    out: list[tuple[str, dict[str, str]]] = []
    while len(out) < n:
        a = rng.choice(single)
        if rng.random() < NONE_SHARE:
            b = rng.choice(none)
        else:
            b = rng.choice(single)
            if set(a.topics) & set(b.topics):
                continue
        if rng.random() < 0.5:
            a, b = b, a
        out.append((a.text + rng.choice(CONNECTORS) + b.text, {**a.topics, **b.topics}))
    return out
