"""Every counted comment tagged once, when notify writes its feedback document (issue 20; docs/topics.md).

Why here and not in a pass of its own: the ballots processor writes the document anyway, and the tagger is
deterministic, so a replayed ballot writes the same topics again (idempotent as the rest of the write).
A comment's topics go in `$set` beside the comment they describe; a document with praise only gets an empty
tag set on insert, so a later comment's topics are never overwritten by a replay of its vote.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from services.notify.feedback import FeedbackWrite


class CommentTagger(Protocol):
    version: str

    def tag(self, text: str) -> dict[str, str]: ...


def with_topics(writes: list[FeedbackWrite], tagger: CommentTagger) -> list[FeedbackWrite]:
    """The writes with `topics` and `tagger_version` added: set with a comment, set on insert without one."""
    out = []
    for write in writes:
        if "comment" in write.sets:
            tags = {"topics": tagger.tag(write.sets["comment"]), "tagger_version": tagger.version}
            out.append(replace(write, sets={**write.sets, **tags}))
        else:
            tags = {"topics": {}, "tagger_version": tagger.version}
            out.append(replace(write, on_insert={**write.on_insert, **tags}))
    return out
