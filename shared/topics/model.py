"""The trained part of the tagger: per aspect, small softmax models (none / positive / negative) over a
comment's tokens, token pairs, negated tokens, character trigrams and the lexicon's cue kinds, that add the
aspects the lexicon missed, drop the lexicon's tags they are sure are wrong, and flip a lexicon polarity they
are very sure of.

Why: a lexicon generalises only to phrasings it has seen (held out it missed a quarter of the labelled pairs,
docs/topics.md); tokens and character trigrams learnt from labelled comments reach new phrasings. The lexicon
stays the first word: the model adds an aspect the lexicon did not name when it is at least add_at sure, drops
one the lexicon named when it is at least drop_at sure the comment does not speak of it, and flips a lexicon
polarity when it gives the other polarity at least flip_at (model-4; on the fresh rounds' cross-validation
flipping at 0.9 gained in every group of rounds, docs/topics.md "Model-4"; model-1 flipped at any
probability, which lost on round 7). Model-4 has two members, the same features trained on the plain
comments and on those plus composed ones (augment.py); their probabilities are averaged, since they err
differently. The weights are trained by `make train-topics` (train.py) and committed (model.json); nothing is
trained or downloaded at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("model.json")
CLASSES = ("none", "positive", "negative")
_NEGATING = frozenset({"negator", "absence", "wish"})
_SKIP = frozenset({"space", "break"})


def features(items: Iterable[tuple[int, str, object]]) -> list[str]:
    """A comment's features from the tagger's items (newmm tokens with lexicon phrases merged); the same
    function serves training and tagging, so they never drift apart."""
    out: list[str] = []
    tokens: list[str] = []
    negated_for = 0
    for _, surface, entry in items:
        kind = entry.kind  # type: ignore[attr-defined]
        if kind in _SKIP:
            if kind == "break":
                negated_for = 0
            continue
        tokens.append(surface)
        out.append("w:" + surface)
        if negated_for:
            out.append("n:" + surface)
            negated_for -= 1
        if kind in _NEGATING:
            negated_for = 2
        elif kind == "strict":
            out.append(f"s:{entry.aspect}:{entry.polarity}")  # type: ignore[attr-defined]
        elif kind == "noun":
            out.append("o:" + entry.aspect)  # type: ignore[attr-defined]
        elif kind == "generic":
            out.append("g:" + entry.polarity)  # type: ignore[attr-defined]
    for a, b in pairwise(tokens):
        out.append(f"b:{a}_{b}")
    joined = "".join(tokens)
    out.extend("c:" + joined[i:i + 3] for i in range(len(joined) - 2))
    return out


class TopicModel:
    """One or more members' weights per aspect ({feature: [none, positive, negative]}, with "" the bias), whose
    probabilities are averaged, and the thresholds at which the model adds, drops and flips."""

    def __init__(self, data: dict) -> None:
        members = data["members"] if "members" in data else [data["weights"]]
        self.members: list[dict[str, dict[str, list[float]]]] = members
        self.weights = members[0]  # the aspects; the first member (the plain one)
        self.add_at: float = data["add_at"]
        self.drop_at: float | None = data.get("drop_at")
        self.flip_at: float | None = data.get("flip_at")
        self._aspects = list(self.weights)
        # one lookup per feature at tagging time: feature -> ((offset, w_none, w_pos, w_neg), ...), the scores
        # being one flat list, three per (member, aspect): a flat list halves the time of a list of rows
        by_feature: dict[str, list[tuple[int, float, float, float]]] = {}
        self._biases: list[float] = []
        for member in members:
            for aspect in self._aspects:
                offset = len(self._biases)
                table = member[aspect]
                self._biases.extend(table[""])
                for feature, (w0, w1, w2) in table.items():
                    if feature:
                        by_feature.setdefault(feature, []).append((offset, w0, w1, w2))
        self._by_feature = {f: tuple(entries) for f, entries in by_feature.items()}

    def probabilities(self, feats: list[str]) -> dict[str, tuple[float, float, float]]:
        """Per aspect, P(none), P(positive), P(negative), averaged over the members; a feature counts once
        however often it recurs."""
        z = list(self._biases)
        by_feature = self._by_feature
        for f in set(feats):
            for offset, w0, w1, w2 in by_feature.get(f, ()):
                z[offset] += w0
                z[offset + 1] += w1
                z[offset + 2] += w2
        exp, n, stride = math.exp, len(self.members), 3 * len(self._aspects)
        out = {}
        for a, aspect in enumerate(self._aspects):
            p0 = p1 = p2 = 0.0
            for o in range(3 * a, len(z), stride):
                v0, v1, v2 = z[o], z[o + 1], z[o + 2]
                top = max(v0, v1, v2)
                e0, e1, e2 = exp(v0 - top), exp(v1 - top), exp(v2 - top)
                total = e0 + e1 + e2
                p0 += e0 / total
                p1 += e1 / total
                p2 += e2 / total
            out[aspect] = (p0 / n, p1 / n, p2 / n)
        return out

    def revise(self, items, tags: dict[str, str]) -> dict[str, str]:
        """The lexicon's tags, less those the model is at least drop_at sure are wrong, with a polarity flipped
        when the model gives the other one at least flip_at, plus any aspect it is at least add_at sure of (the
        aspects' order kept)."""
        return added(tags, self.probabilities(features(items)), self.add_at, self.drop_at, self.flip_at)


def added(tags: dict[str, str], probs: dict[str, tuple[float, float, float]], add_at: float,
          drop_at: float | None = None, flip_at: float | None = None) -> dict[str, str]:
    """The revised tags: a lexicon tag stands unless P(none) >= drop_at, with its polarity unless the other
    polarity's probability >= flip_at; an aspect the lexicon did not name is added when P(positive) or
    P(negative) >= add_at."""
    out = {}
    for aspect, (p_none, p_pos, p_neg) in probs.items():
        if aspect in tags:
            if drop_at is None or p_none < drop_at:
                polarity = tags[aspect]
                other = p_neg if polarity == "positive" else p_pos
                if flip_at is not None and other >= flip_at:
                    polarity = "negative" if polarity == "positive" else "positive"
                out[aspect] = polarity
        elif max(p_pos, p_neg) >= add_at:
            out[aspect] = "positive" if p_pos >= p_neg else "negative"
    return out


def load_model(path: Path = MODEL_PATH) -> TopicModel | None:
    """The committed model, or None when there is none (the lexicon alone then tags)."""
    if not path.exists():
        return None
    return TopicModel(json.loads(path.read_text(encoding="utf-8")))
