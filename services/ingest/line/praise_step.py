"""The praise question's step in the LINE conversation (issue 19): what a tap or a text means, and its publish.

The wording and the postback form are praise.py's; this module reads the citizen's conversation, publishes
the praise on comments.v1 (`staff`, with an empty `comment`: scoring and notify keep the vote's comment as it
was) and records the step, keyed by the event that answered, so LINE's redelivery publishes nothing new. A
praise given twice for one vote replaces the first (a vote counts one praise, wherever it is counted). The
text of a praise is redacted like the QR page's field and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.ingest.line import praise as words
from services.ingest.line.conversation import Conversation, Reply
from services.ingest.line.matching import DistrictMatcher
from services.ingest.line.praise_units import PraiseUnits
from services.ingest.line.state import ConversationStore
from services.ingest.publisher import EventPublisher
from shared.events import CommentEvent
from shared.pdpa import redact
from shared.vote_rules import STAFF_MAX

CHANNEL = "line"


@dataclass(frozen=True)
class Said:
    """What the step did (for logs and tests) and what to answer (nothing on a silent redelivery)."""

    result: str
    replies: tuple[Reply, ...] = ()


@dataclass
class LinePraise:
    store: ConversationStore
    comments: EventPublisher
    units: PraiseUnits
    matcher: DistrictMatcher

    def asked(self, conversation: Conversation, score: int) -> tuple[Conversation, tuple[Reply, ...]]:
        """After a vote: the conversation to save and the question, or the conversation unchanged when the
        score asks none (1-3)."""
        if not words.asks_praise(score):
            return conversation, ()
        offered = self.units.for_district(conversation.district_code)
        return (replace(conversation, praise_step=words.ASKED),
                (words.question(conversation.vote_id, offered.units, offered.own),))

    def on_postback(self, key: str, event_id: str, data: str, conversation: Conversation | None, now: datetime,
                    redelivery: bool) -> Said | None:
        """A `p1|…` tap; None when the postback is not the step's."""
        tap = words.read_postback(data)
        if tap is None:
            return None
        if conversation is None or conversation.vote_id != tap.vote_id or not conversation.praise_step:
            return Said("praise:stale", (words.stale_question(),))
        if conversation.praise_id == event_id:
            return Said("praise:replayed", () if redelivery else (words.already_answered(),))
        if conversation.praise_step != words.ASKED:
            return Said("praise:answered", (words.already_answered(),))
        if now > conversation.comment_until:
            return Said("praise:stale", (words.stale_question(),))
        if tap.choice == words.SKIP:
            self.store.set_praise(key, conversation.vote_id, words.ANSWERED, event_id)
            return Said("praise:skipped", (words.skipped(conversation.comment_until - now),))
        unit = next((u for u in self.units.for_district(conversation.district_code).units if u.id == tap.choice), None)
        if unit is None:
            return Said("praise:stale", (words.stale_question(),))
        return self._publish(key, event_id, conversation, unit.name_th, now, "praise:unit")

    def on_text(self, key: str, event_id: str, text: str, conversation: Conversation | None,
                now: datetime, redelivery: bool) -> Said | None:
        """A text while the question waits: a skip word, or a name or unit typed; None when the text is not
        the step's (no question waiting, a district, a sentence that names no one: the conversation's
        comment then, and the question is passed)."""
        if conversation is None:
            return None
        if conversation.praise_id == event_id:
            return Said("praise:replayed", () if redelivery else (words.already_answered(),))
        if conversation.praise_step != words.ASKED or now > conversation.comment_until:
            return None
        if self.matcher.match(text).districts:
            return None  # a district typed: a new vote, as before the question
        cleaned = words.clean_text(text)
        if cleaned.lower() in words.SKIP_WORDS:
            self.store.set_praise(key, conversation.vote_id, words.ANSWERED, event_id)
            return Said("praise:skipped", (words.skipped(conversation.comment_until - now),))
        offered = self.units.for_district(conversation.district_code)
        if "\n" in text.strip() or len(cleaned) > STAFF_MAX or not words.names_someone(cleaned, offered.units):
            self.store.set_praise(key, conversation.vote_id, words.ANSWERED, None)
            return None
        staff, _count = redact(cleaned)
        return self._publish(key, event_id, conversation, staff, now, "praise:named")

    def _publish(self, key: str, event_id: str, conversation: Conversation, staff: str, now: datetime,
                 result: str) -> Said:
        event = CommentEvent(comment_id=event_id, vote_id=conversation.vote_id,
                             district_code=conversation.district_code, comment="", channel=CHANNEL,
                             received_at=now, staff=staff)
        [error] = self.comments.publish([event])
        if error is not None:
            return Said("praise:failed", (words.praise_failed(),))  # still asked: the citizen may try again
        self.store.set_praise(key, conversation.vote_id, words.ANSWERED, event_id)
        return Said(result, (words.thanks_praise(conversation.comment_until - now),))
