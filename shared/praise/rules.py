"""When a praise counts: never inside a vote of 1 or 2 (a citizen who rates the service badly and names
someone is not praising them), and only when the text names a unit or a person."""

from __future__ import annotations

from shared.praise.directory import PraiseDirectory
from shared.praise.normalise import UNKNOWN, normalise
from shared.vote_rules import MAX_SCORE

# The lowest score whose praise counts; 1 and 2 are the unhappy answers.
PRAISE_MIN_SCORE = 3


def counts_as_praise(score: object, text: str | None, directory: PraiseDirectory | None = None) -> bool:
    """True when a vote of `score` with this praise text is counted as praise of a unit or person."""
    if isinstance(score, bool) or not isinstance(score, int) or not PRAISE_MIN_SCORE <= score <= MAX_SCORE:
        return False
    mention = normalise(text, directory) if directory is not None else normalise(text)
    return mention.kind != UNKNOWN
