"""The LINE conversation's story step (issue 21), its own module beside the vote-and-comment flow.

After a vote, "เล่าเรื่อง" starts it: the story as one text, the consent question (publish yes / no) and
the credit (anonymous, first name, initials; a name asked for the last two) as quick replies, then the
story goes through the same StoryDesk as the QR page's and the withdrawal code is sent. "ถอน <code>"
withdraws a story (rate-limited per LINE user before the code is read). Postbacks are `s1|…`, so the vote
flow's `v1|…` parser never sees them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from services.ingest.line.conversation import Conversation, QuickButton, Reply
from services.ingest.line.story_steps import StoryStep, StorySteps
from services.ingest.stories.desk import StoryDesk, Told, VoteRef, Withdrawn
from shared.events import STORY_MAX
from shared.pdpa import redact

CHANNEL = "line"
START_WORDS = frozenset({"เล่าเรื่อง", "เล่าเรื่องประทับใจ", "story"})
WITHDRAW_WORDS = ("ถอน", "withdraw")
POSTBACK = "s1"
AFTER_VOTE = timedelta(hours=2)  # as the QR page's thank-you link


def _buttons(*pairs: tuple[str, str]) -> tuple[QuickButton, ...]:
    return tuple(QuickButton(label=label, data=f"{POSTBACK}|{data}", display_text=label) for label, data in pairs)


ASK_TEXT = Reply("เล่าเรื่องบริการที่ประทับใจเกินความคาดหมายได้เลย พิมพ์ส่งมาในข้อความเดียว "
                 f"(ไม่เกิน {STORY_MAX:,} ตัวอักษร) โปรดอย่าใส่ชื่อหรือเบอร์โทรของผู้อื่น")
ASK_PUBLISH = Reply("อนุญาตให้เผยแพร่เรื่องเล่านี้บนเว็บไซต์อำเภอสร้างสุขหรือไม่ (เจ้าหน้าที่จะตรวจและลบข้อมูลส่วนบุคคลก่อน)",
                    _buttons(("อนุญาตให้เผยแพร่", "publish|yes"), ("ไม่อนุญาต", "publish|no")))
ASK_CREDIT = Reply("หากเผยแพร่ ให้แสดงชื่อผู้เล่าอย่างไร",
                   _buttons(("ไม่ระบุชื่อ", "credit|anonymous"), ("ชื่อต้น", "credit|first_name"),
                            ("อักษรย่อ", "credit|initials")))
ASK_NAME = Reply("พิมพ์ชื่อของคุณ (ระบบเก็บเฉพาะชื่อต้นหรืออักษรย่อที่จะแสดง)")
NO_VOTE = Reply("เล่าเรื่องได้หลังให้คะแนนภายใน 2 ชั่วโมง พิมพ์รหัสอำเภอเพื่อให้คะแนนก่อนนะคะ")


def told_reply(code: str) -> Reply:
    return Reply(f"ขอบคุณสำหรับเรื่องเล่าค่ะ 🙏\nรหัสถอนความยินยอมของคุณ: {code}\n"
                 f"เก็บรหัสนี้ไว้ หากต้องการถอนเรื่องเล่า พิมพ์ “ถอน {code}” ได้ทุกเมื่อ")


WITHDRAW_REPLIES = {
    Withdrawn.WITHDRAWN: "ถอนเรื่องเล่าแล้ว เรื่องเล่าของคุณจะไม่ถูกเผยแพร่ และจะถูกนำออกจากทุกหน้าสาธารณะภายในหนึ่งนาที",
    Withdrawn.NOT_FOUND: "ไม่พบรหัสนี้ กรุณาตรวจสอบรหัสอีกครั้ง (เช่น ถอน ABCD-EFGH)",
    Withdrawn.RATE_LIMITED: "ลองรหัสบ่อยเกินไป กรุณารอสักครู่แล้วลองใหม่",
    Withdrawn.BUSY: "ขออภัย ระบบขัดข้องชั่วคราว กรุณาลองอีกครั้งในอีกสักครู่",
}
TELL_FAILED = {
    Told.ALREADY: "คุณเล่าเรื่องสำหรับคะแนนนี้แล้ว ขอบคุณค่ะ",
    Told.BUSY: "ขออภัย ระบบขัดข้องชั่วคราว เรื่องเล่ายังไม่ได้บันทึก กรุณาพิมพ์ “เล่าเรื่อง” อีกครั้งในอีกสักครู่",
    Told.INVALID: "เรื่องเล่ามีอักขระที่ใช้ไม่ได้ หรือยาวเกินไป กรุณาพิมพ์ “เล่าเรื่อง” แล้วส่งใหม่",
}


class LineStories:
    """Decides what a text or a `s1|…` postback means to the story step; None when it is not the step's."""

    def __init__(self, desk: StoryDesk, steps: StorySteps):
        self.desk = desk
        self.steps = steps

    def on_text(self, key: str, text: str, vote: Conversation | None, voter_key: str | None,
                now: datetime) -> Reply | None:
        words = text.strip()
        first = words.split(maxsplit=1)[0].lower() if words else ""
        if first in WITHDRAW_WORDS:
            result, _ = self.desk.withdraw(words[len(first):].strip(), CHANNEL, f"line:{key}")
            return Reply(WITHDRAW_REPLIES[result])
        if words.lower() in START_WORDS:
            if vote is None or now - vote.voted_at > AFTER_VOTE:
                return NO_VOTE
            self.steps.save(key, StoryStep(vote.vote_id, vote.district_code, voter_key, "text"), now)
            return ASK_TEXT
        step = self.steps.get(key)
        if step is None:
            return None
        if step.step == "text":
            if not words or len(words) > STORY_MAX:
                return Reply(f"เรื่องเล่าต้องมี 1 ถึง {STORY_MAX:,} ตัวอักษร กรุณาส่งใหม่")
            self.steps.save(key, replace(step, step="publish", text=redact(words)[0]), now)
            return ASK_PUBLISH
        if step.step == "name":
            return self._tell(key, step, words)
        return None  # waiting for a button: a text is not the step's (a district, a comment)

    def on_postback(self, key: str, data: str, now: datetime) -> Reply | None:
        parts = data.split("|")
        if parts[0] != POSTBACK:
            return None
        step = self.steps.get(key)
        if step is None or len(parts) != 3:
            return Reply("ตัวเลือกนี้หมดอายุแล้ว พิมพ์ “เล่าเรื่อง” เพื่อเริ่มใหม่")
        kind, value = parts[1], parts[2]
        if kind == "publish" and step.step == "publish" and value in ("yes", "no"):
            if value == "no":
                return self._tell(key, replace(step, publish=False), "")
            self.steps.save(key, replace(step, step="credit", publish=True), now)
            return ASK_CREDIT
        if kind == "credit" and step.step == "credit" and value in ("anonymous", "first_name", "initials"):
            if value == "anonymous":
                return self._tell(key, replace(step, credit=value), "")
            self.steps.save(key, replace(step, step="name", credit=value), now)
            return ASK_NAME
        return Reply("ตัวเลือกนี้หมดอายุแล้ว พิมพ์ “เล่าเรื่อง” เพื่อเริ่มใหม่")

    def _tell(self, key: str, step: StoryStep, name: str) -> Reply:
        body = {"text": step.text, "publish": bool(step.publish), "credit": step.credit, "name": name}
        outcome = self.desk.tell(VoteRef(step.vote_id, step.district_code, step.voter_key), CHANNEL, body)
        if outcome.result == Told.INVALID and "name" in outcome.fields:
            return ASK_NAME
        if outcome.result != Told.BUSY:
            self.steps.clear(key)
        if outcome.result == Told.TOLD:
            return told_reply(outcome.code or "")
        return Reply(TELL_FAILED[outcome.result])
