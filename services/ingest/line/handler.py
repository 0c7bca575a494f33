"""One LINE webhook event, from the SDK's model to a vote, a comment or a reply.

Votes go through ingest's intake like every channel's (channel `line`, voter_id = the LINE
userId, which intake HMACs); the webhookEventId is the idempotency key, so LINE's
redeliveries publish nothing new. Comments become `comments.v1` events, and so does the praise asked
for after a vote of 4 or 5 (praise_step.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UserSource

from services.ingest.intake import Result, Source, Submission, VoteIntake
from services.ingest.line import conversation as talk
from services.ingest.line import praise as praise_words
from services.ingest.line.conversation import AttachComment, CastVote, Conversation, Ignore, Reply, Rules, SayOnly
from services.ingest.line.praise_step import LinePraise, Said
from services.ingest.line.state import ConversationStore
from services.ingest.publisher import EventPublisher
from shared.events import CommentEvent
from shared.pdpa import keyed_hash, redact, voter_key
from shared.vote_rules import COMMENT_MAX

log = logging.getLogger(__name__)
CHANNEL = "line"


class ReplySender(Protocol):
    def reply(self, reply_token: str | None, replies: list[Reply]) -> bool: ...


@dataclass
class LineHandler:
    rules: Rules
    intake: VoteIntake
    store: ConversationStore
    comments: EventPublisher  # any publisher of keyed events; here onto comments.v1
    replier: ReplySender
    secret: bytes
    clock: Callable[[], datetime]
    stories: object | None = None  # services.ingest.line.story.LineStories: the story step (issue 21)
    praise: LinePraise | None = None  # the praise question after a vote of 4 or 5 (issue 19)

    def handle(self, event) -> str:
        """Process one event; returns what happened (for logs and tests). Never raises for bad input."""
        if not isinstance(getattr(event, "source", None), UserSource) or not event.source.user_id:
            return "ignored:source"
        user_id = event.source.user_id
        redelivery = bool(event.delivery_context and event.delivery_context.is_redelivery)
        now = self.clock()
        key = keyed_hash(self.secret, "line-conversation", user_id)
        if isinstance(event, FollowEvent):
            decision = self.rules.on_follow()
        elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            if self.stories is not None:
                said = self.stories.on_text(key, event.message.text, self.store.get(key),
                                            voter_key(self.secret, CHANNEL, user_id), now)
                if said is not None:
                    self.replier.reply(event.reply_token, [said])
                    return "story"
            comment_id = keyed_hash(self.secret, "line-comment", event.webhook_event_id)[:32]
            conversation = self.store.get(key)
            if self.praise is not None:  # a text at the praise question: the praise, a skip, or not its own
                praised = self.praise.on_text(key, comment_id, event.message.text, conversation, now, redelivery)
                if praised is not None:
                    return self._said(event, praised)
            decision = self.rules.on_text(event.message.text, conversation, now, comment_id)
            if isinstance(decision, AttachComment):
                return self._comment(event, key, comment_id, decision, redelivery, now)
        elif isinstance(event, MessageEvent):
            decision = self.rules.on_other_message()
        elif isinstance(event, PostbackEvent):
            said = self.stories.on_postback(key, event.postback.data, now) if self.stories is not None else None
            if said is not None:
                self.replier.reply(event.reply_token, [said])
                return "story"
            if self.praise is not None:
                praise_id = keyed_hash(self.secret, "line-comment", event.webhook_event_id)[:32]
                praised = self.praise.on_postback(key, praise_id, event.postback.data, self.store.get(key), now,
                                                  redelivery)
                if praised is not None:
                    return self._said(event, praised)
            decision = self.rules.on_postback(event.postback.data, now)
        else:
            decision = Ignore("unsupported event type")
        if isinstance(decision, CastVote):
            return self._vote(event, user_id, key, decision, redelivery, now)
        if isinstance(decision, SayOnly):
            self.replier.reply(getattr(event, "reply_token", None), list(decision.replies))
            return "replied"
        return f"ignored:{getattr(event, 'type', 'unknown')}"

    def _vote(self, event, user_id: str, key: str, vote: CastVote, redelivery: bool, now: datetime) -> str:
        body = {"district_code": vote.district.code, "score": vote.score, "voter_id": user_id}
        [outcome] = self.intake.submit(Source(CHANNEL), [Submission(body, f"line:{event.webhook_event_id}")])
        replayed = outcome.result == Result.REPLAYED
        if outcome.accepted:
            existing = self.store.get(key)
            question: tuple[Reply, ...] = ()
            if replayed and existing and existing.vote_id == outcome.vote_id:
                result = "vote:replayed"  # a redelivery: the conversation already knows this vote
                if self.praise is not None and existing.praise_step == praise_words.ASKED:
                    question = self.praise.asked(existing, vote.score)[1]
            else:
                _reply, conversation = self.rules.after_vote(vote.district, vote.score, outcome.vote_id, now)
                if self.praise is not None:
                    conversation, question = self.praise.asked(conversation, vote.score)
                self.store.save(key, conversation)
                result = "vote:replayed" if replayed else "vote:accepted"
            if not (replayed and redelivery):
                # after a vote of 4 or 5 the praise question; the invitation to comment follows its answer
                thanks = ([praise_words.vote_thanks(vote.district, vote.score), *question] if question else
                          [talk.thanks(vote.district, vote.score, self.rules.comment_window)])
                self.replier.reply(event.reply_token, thanks)
            return result
        if outcome.result == Result.INVALID:
            self.replier.reply(event.reply_token, [talk.stale()])
            return "vote:invalid"
        if outcome.result == Result.ALREADY_VOTED:
            self.replier.reply(event.reply_token, [talk.already_voted(vote.district)])
            return "vote:already_voted"
        if outcome.result == Result.IN_PROGRESS:
            return "vote:in_progress"  # the same event is being handled by another worker
        self.replier.reply(event.reply_token, [talk.vote_failed(vote.district, now)])
        return "vote:failed"

    def _comment(self, event, key: str, comment_id: str, decision: AttachComment, redelivery: bool,
                 now: datetime) -> str:
        """The text joins the vote's comment: the first text is the comment, each further one within the window
        is appended on a line of its own and the whole comment is published again (it replaces the earlier)."""
        if comment_id in decision.conversation.comment_ids:  # a redelivery of a text already attached
            if not redelivery:
                self.replier.reply(event.reply_token, [self._attached(decision.conversation, now)])
            return "comment:replayed"
        problem = self.rules.comment_problem(decision.text)
        if problem:
            self.replier.reply(event.reply_token, [problem])
            return "comment:refused"
        held = self.store.reserve_comment(key, decision.conversation.vote_id, comment_id)
        if held is None:  # another text of this citizen is being attached this very moment
            self.replier.reply(event.reply_token, [talk.comment_failed()])
            return "comment:busy"
        if held.comment_published:  # published by an earlier delivery that stopped before recording it
            if not redelivery:
                self.replier.reply(event.reply_token, [self._attached(held, now)])
            return "comment:replayed"
        addition, _count = redact(decision.text.strip())
        text = f"{held.comment_text}\n{addition}" if held.comment_text else addition
        if len(text) > COMMENT_MAX:
            self.store.set_comment_published(key, comment_id, None)
            self.replier.reply(event.reply_token, [talk.comment_too_long(len(text))])
            return "comment:refused"
        comment = CommentEvent(comment_id=comment_id, vote_id=held.vote_id, district_code=held.district_code,
                               comment=text, channel=CHANNEL, received_at=now)
        [error] = self.comments.publish([comment])
        self.store.set_comment_published(key, comment_id, None if error is not None else text)
        if error is not None:
            self.replier.reply(event.reply_token, [talk.comment_failed()])
            return "comment:failed"
        attached = self.store.get(key) or held
        self.replier.reply(event.reply_token, [self._attached(attached, now)])
        return "comment:appended" if held.comment_text else "comment:accepted"

    def _said(self, event, said: Said) -> str:
        if said.replies:
            self.replier.reply(getattr(event, "reply_token", None), list(said.replies))
        return said.result

    def _attached(self, conversation: Conversation, now: datetime) -> Reply:
        count = len(conversation.comment_ids)
        if count <= 1:
            return talk.comment_thanks(conversation.comment_until - now)
        return talk.comment_appended(self.rules.registry.get(conversation.district_code), count)
