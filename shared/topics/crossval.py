"""`python -m shared.topics.crossval`: how the model's settings were chosen (docs/topics.md, "Choosing model-2").

5-fold cross-validation whose test folds are only the fresh training rounds (FRESH: comments the lexicon was
never tuned on); each fold trains on every other training comment and the development part, never the held-out
part. Cross-validation over the development part would flatter the lexicon, which was tuned there, and so
favour keeping its tags. Prints micro-F1 for each (add_at, drop_at) pair, for the L2 and MIN_DF given.
Slow (five trainings): about a minute per fold on the shared machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from shared.topics import train
from shared.topics.evaluation import score
from shared.topics.model import TopicModel, added, features
from shared.topics.tagger import LEXICON_PATH, Tagger

FRESH = range(589, 2025)  # tt0589-tt2024: rounds 6-16, each tagged before being tuned on; the lexicon saw none
FOLDS = 5
ADD = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DROP = (0.8, 0.9, 0.95, None)


def is_fresh(comment_id: str) -> bool:
    return comment_id.startswith("tt") and int(comment_id[2:]) in FRESH


def fold_of(comment_id: str) -> int:
    return hashlib.sha256(("cv" + comment_id).encode("utf-8")).digest()[0] % FOLDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=train.L2)
    parser.add_argument("--min-df", type=int, default=train.MIN_DF)
    args = parser.parse_args(argv)
    train.L2, train.MIN_DF = args.l2, args.min_df
    tagger = Tagger(json.loads(LEXICON_PATH.read_text(encoding="utf-8")))  # the lexicon alone
    rows = train.training_rows()
    prepared = []
    for row in rows:
        items = tagger.cues(row.text)
        prepared.append((row, tagger.lexicon_tag(row.text), features(items)))
    fresh = [p for p in prepared if is_fresh(p[0].id)]
    probs: dict[str, dict] = {}
    for k in range(FOLDS):
        held = {p[0].id for p in fresh if fold_of(p[0].id) == k}
        weights = train.fit([(f, r.topics) for r, _, f in prepared if r.id not in held])
        model = TopicModel({"weights": weights, "add_at": 1.0})
        for r, _, f in fresh:
            if r.id in held:
                probs[r.id] = model.probabilities(f)
    lexicon = {r.id: tags for r, tags, _ in fresh}
    fresh_rows = [r for r, _, _ in fresh]
    alone = {r.text: lexicon[r.id] for r in fresh_rows}  # training texts are unique (a unit test checks)
    print(f"{len(fresh_rows)} fresh comments, L2 {args.l2}, MIN_DF {args.min_df}; "
          f"lexicon alone {score(fresh_rows, alone.__getitem__).micro[2]:.3f}")
    for add_at in ADD:
        cells = []
        for drop_at in DROP:
            by_text = {r.text: added(lexicon[r.id], probs[r.id], add_at, drop_at) for r in fresh_rows}
            cells.append(f"drop {drop_at}: {score(fresh_rows, by_text.__getitem__).micro[2]:.3f}")
        print(f"add {add_at}: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
