"""The published stories of service (issue 21): what stories.published.v1 says the public may see.

Ranking keeps the last record of each story id, as the compacted topic does: a `published` record is
stored (the approved text and credit only: notify never publishes an original or an unapproved word), a
`withdrawn` one deletes it. The web process reads them again only when `note_stories` moved the state.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.ranking.store import RankingStore
from shared.events import PUBLISHED, EventError, PublishedStoryEvent, decode
from shared.stream.ports import Record
from shared.timeutil import iso_utc

log = logging.getLogger(__name__)


def apply_stories(store: RankingStore, records: Sequence[Record]) -> tuple[int, int]:
    """(records applied, records refused). Safe to repeat: the last record of a key wins, in log order."""
    applied = refused = changed = 0
    for record in records:
        try:
            event = decode(PublishedStoryEvent, record.value)
        except EventError as exc:
            refused += 1
            log.warning("stories.published.v1 record ignored", extra={"partition": record.partition,
                                                                     "offset": record.offset,
                                                                     "reason": exc.reason[:200]})
            continue
        doc = None
        if event.status == PUBLISHED:
            doc = {"district_code": event.district_code, "text": event.text, "credit": event.credit,
                   "told_at": event.told_at and iso_utc(event.told_at), "at": iso_utc(event.at)}
        changed += store.apply_story(event.story_id, doc)
        applied += 1
    if changed:  # after the stories: a web process that reads the change finds them stored
        store.note_stories()
    return applied, refused


def newest_first(docs: list[dict]) -> tuple[dict, ...]:
    """The stories as the view keeps them: newest approval first, each with its id."""
    return tuple(sorted(({"story_id": d["_id"], **{k: v for k, v in d.items() if k != "_id"}} for d in docs),
                        key=lambda s: s["at"], reverse=True))
