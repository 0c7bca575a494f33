"""`sangsuk topics retag`: a new tagger's topics on every counted comment, re-read from the ballots log.

Why from the log and not from the store: ballots.v1 is the one record of what was counted and said
(docs/events.md); the feedback view is built from it. Retagging changes `topics` and `tagger_version`
only, on documents that exist (no upsert), so counts, comments and praise are untouched and a flagged or
repeated vote, which has no document, gets none. In log order per district, a later comment's tags
replace its vote's, as the view's comment does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo import UpdateOne
from pymongo.collection import Collection

from services.notify.topic_tags import CommentTagger
from shared.events import BALLOT_VOTE, EventError, decode_ballots
from shared.stream.ports import Record

log = logging.getLogger(__name__)


@dataclass
class Retagger:
    """Folds ballots.v1 records into topic updates of the feedback view, one bulk write per batch."""

    docs: Collection
    tagger: CommentTagger
    ballots: int = 0
    updated: int = 0
    unreadable: int = 0
    _commented: set[str] = field(default_factory=set)

    def handle(self, records: Sequence[Record]) -> None:
        ops = []
        for record in records:
            try:
                ballots = decode_ballots(record.value)
            except EventError:
                self.unreadable += 1
                continue
            for ballot in ballots:
                if not ballot.counted:
                    continue
                self.ballots += 1
                if ballot.comment:
                    self._commented.add(ballot.vote_id)
                elif ballot.kind != BALLOT_VOTE or ballot.vote_id in self._commented:
                    continue  # a vote replayed after its later comment keeps the comment's tags
                tags = {"topics": self.tagger.tag(ballot.comment) if ballot.comment else {},
                        "tagger_version": self.tagger.version}
                ops.append(UpdateOne({"_id": ballot.vote_id}, {"$set": tags}))
        if ops:
            self.updated += self.docs.bulk_write(ops, ordered=True).matched_count


def retag(settings, docs: Collection, tagger: CommentTagger, progress: bool = False) -> dict:
    """Read ballots.v1 from its start to its end now and retag; a summary for the operator."""
    from shared.stream.log_reader import end_offsets, read_log

    started = time.monotonic()
    job = Retagger(docs, tagger)
    read_log(settings, end_offsets(settings, [settings.topics.ballots]), job.handle, whole=False, progress=progress)
    summary = {"tagger_version": tagger.version, "ballots_read": job.ballots, "documents_retagged": job.updated,
               "unreadable_records": job.unreadable, "seconds": round(time.monotonic() - started, 1)}
    log.info("topics retagged", extra=summary)
    return summary
