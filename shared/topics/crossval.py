"""`python -m shared.topics.crossval`: how the model's settings were chosen (docs/topics.md, "Choosing model-2",
"Model-3", "Model-4").

5-fold cross-validation whose test folds are only the fresh training rounds (FRESH: comments the lexicon was
never tuned on); each fold trains on every other training comment and the development part, never the held-out
part. Cross-validation over the development part would flatter the lexicon, which was tuned there, and so
favour keeping its tags. Each fold trains model-4's two members (train.members: the plain one, and one with
comments composed from that fold's training comments only, never from its test fold). Prints micro-F1 for
each (add_at, drop_at) pair, for the plain member alone (model-3's way), and for the two averaged, with and
without flipping at FLIP_AT, for the L2 and MIN_DF given. Slow (ten trainings): a few minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from shared.topics import train
from shared.topics.evaluation import score
from shared.topics.model import TopicModel, added, features
from shared.topics.tagger import LEXICON_PATH, Tagger

FRESH = range(589, 2044)  # tt0589-tt2043: rounds 6-17, each tagged before being tuned on; the lexicon saw none
FOLDS = 5
ADD = (0.4, 0.5, 0.6, 0.7, 0.8)
DROP = (0.8, 0.9, 0.95, None)


def is_fresh(comment_id: str) -> bool:
    return comment_id.startswith("tt") and int(comment_id[2:]) in FRESH


def fold_of(comment_id: str) -> int:
    return hashlib.sha256(("cv" + comment_id).encode("utf-8")).digest()[0] % FOLDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=train.L2)
    parser.add_argument("--min-df", type=int, default=train.MIN_DF)
    parser.add_argument("--flip", type=float, default=train.FLIP_AT)
    args = parser.parse_args(argv)
    train.L2, train.MIN_DF = args.l2, args.min_df
    tagger = Tagger(json.loads(LEXICON_PATH.read_text(encoding="utf-8")))  # the lexicon alone
    rows = train.training_rows()
    fresh = [r for r in rows if is_fresh(r.id)]
    plain: dict[str, dict] = {}
    both: dict[str, dict] = {}
    for k in range(FOLDS):
        held = [r for r in fresh if fold_of(r.id) == k]
        held_ids = {r.id for r in held}
        members = train.members(tagger, [r for r in rows if r.id not in held_ids], train.COMPOSE_SEED + k)
        first = TopicModel({"weights": members[0], "add_at": 1.0})
        averaged = TopicModel({"members": members, "add_at": 1.0})
        for r in held:
            feats = features(tagger.cues(r.text))
            plain[r.id], both[r.id] = first.probabilities(feats), averaged.probabilities(feats)
    lexicon = {r.id: tagger.lexicon_tag(r.text) for r in fresh}
    alone = {r.text: lexicon[r.id] for r in fresh}  # training texts are unique (a unit test checks)
    print(f"{len(fresh)} fresh comments, L2 {args.l2}, MIN_DF {args.min_df}; "
          f"lexicon alone {score(fresh, alone.__getitem__).micro[2]:.3f}")
    for name, probs, flip_at in (("plain member (model-3's way)", plain, None),
                                 ("two members averaged", both, None),
                                 (f"two members averaged, flipping at {args.flip}", both, args.flip)):
        print(name)
        for add_at in ADD:
            cells = []
            for drop_at in DROP:
                by_text = {r.text: added(lexicon[r.id], probs[r.id], add_at, drop_at, flip_at) for r in fresh}
                cells.append(f"drop {drop_at}: {score(fresh, by_text.__getitem__).micro[2]:.3f}")
            print(f"  add {add_at}: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
