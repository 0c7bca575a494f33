"""The LINE conversation's praise question (issue 19): after a vote of 4 or 5, whom to praise.

The bot asks once per vote, with a quick reply per unit of the district's office (the default units and the
district's own, as the chief's praise counts know them: shared.praise), a "ข้าม" (skip) reply, and free text.
A tapped unit is published as its Thai name, a typed name as the citizen wrote it (redacted), both on
comments.v1's `staff`: notify's normaliser reads them exactly as the QR page's praise field. Whether a
praise *counts* (never inside a vote of 1 or 2) is decided once, by shared.praise.counts_as_praise, where the
praise is counted; the question is simply not asked below ASK_MIN_SCORE. Pure: no LINE, no storage.

Postbacks are `p1|<vote_id>|<unit id or "skip">`: the vote they answer is in the data, so a tap on an
earlier vote's question, or a second tap, gets a clear answer instead of a praise for the wrong vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from services.channels.wording import SCORE_WORDS, district_short
from services.ingest.line.conversation import LABEL_MAX, QuickButton, Reply
from shared.districts import District
from shared.praise import UNKNOWN, PraiseDirectory, Unit, normalise
from shared.vote_rules import MAX_SCORE, STAFF_MAX

POSTBACK = "p1"
ASK_MIN_SCORE = 4  # the issue: LINE asks after a vote of 4 or 5
QUICK_REPLY_MAX = 13  # LINE's limit of quick reply items per message
SKIP = "skip"
SKIP_LABEL = "ข้าม"
SKIP_WORDS = frozenset({"ข้าม", "ไม่มี", "ไม่ชม", "ไม่", "skip", "no", "none", "-"})
POSTBACK_MAX = 300  # LINE's limit of a postback's data

# The conversation's praise step (Conversation.praise_step).
ASKED, ANSWERED = "asked", "answered"


def asks_praise(score: int) -> bool:
    return ASK_MIN_SCORE <= score <= MAX_SCORE


def short_label(unit: Unit) -> str:
    """A unit's button label within LINE's 20 characters: its Thai name, else its longest Thai alias that
    fits (งานบัตรประจำตัวประชาชน → บัตรประจำตัวประชาชน), else the name cut."""
    if len(unit.name_th) <= LABEL_MAX:
        return unit.name_th
    fitting = [a for a in unit.aliases if len(a) <= LABEL_MAX and not a[:1].isascii()]
    if fitting:
        return max(fitting, key=len)
    return unit.name_th[: LABEL_MAX - 1] + "…"


def shown_units(units: Sequence[Unit], own: Sequence[str] = ()) -> tuple[Unit, ...]:
    """The units offered as buttons: the district's own first (what its office calls its rooms), then the
    defaults, at most QUICK_REPLY_MAX - 1 (the skip button takes the last place)."""
    first = [u for u in units if u.id in own]
    rest = [u for u in units if u.id not in own]
    return tuple([*first, *rest][: QUICK_REPLY_MAX - 1])


def question(vote_id: str, units: Sequence[Unit], own: Sequence[str] = ()) -> Reply:
    buttons = [QuickButton(label=short_label(u), data=f"{POSTBACK}|{vote_id}|{u.id}", display_text=short_label(u))
               for u in shown_units(units, own)]
    buttons.append(QuickButton(label=SKIP_LABEL, data=f"{POSTBACK}|{vote_id}|{SKIP}", display_text=SKIP_LABEL))
    return Reply("อยากชมเจ้าหน้าที่หรืองานไหนเป็นพิเศษไหมคะ 😊\n"
                 "กดเลือกงานด้านล่าง หรือพิมพ์ชื่อเจ้าหน้าที่ (เช่น พี่สมศรี งานทะเบียน) หรือกด “ข้าม”\n"
                 "(ชื่อเจ้าหน้าที่ส่งถึงนายอำเภอและกรมการปกครองเท่านั้น ไม่แสดงบนเว็บไซต์)", tuple(buttons))


@dataclass(frozen=True)
class Tap:
    """A `p1|…` postback read: the vote it answers and the unit id, or SKIP."""

    vote_id: str
    choice: str


def read_postback(data: str) -> Tap | None:
    """The tap, or None when the data is not a well-formed praise postback (another step's, or forged)."""
    if len(data) > POSTBACK_MAX:
        return None
    parts = data.split("|")
    if len(parts) != 3 or parts[0] != POSTBACK or not parts[1] or not parts[2]:
        return None
    return Tap(parts[1], parts[2])


def clean_text(text: str) -> str:
    """One line, spaces collapsed (as the API's `staff` field, single_line)."""
    return " ".join(text.split())


def names_someone(text: str, units: Sequence[Unit]) -> bool:
    """Does a text typed at the question name a unit or a person? A sentence that names no one ("บริการดีมาก")
    is a comment, not a praise; the conversation takes it as one. Bounded: only texts of STAFF_MAX or less."""
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > STAFF_MAX or cleaned.lower() in SKIP_WORDS:
        return False
    return normalise(cleaned, PraiseDirectory(units=tuple(units))).kind != UNKNOWN


def thanks_praise(window_left: timedelta) -> Reply:
    minutes = max(1, int(window_left.total_seconds() // 60))
    return Reply("ได้รับคำชมแล้ว ขอบคุณค่ะ 🙏 คำชมจะส่งถึงนายอำเภอเพื่อเป็นกำลังใจให้เจ้าหน้าที่\n"
                 f"มีคำติชม ข้อเสนอแนะเพิ่มเติม พิมพ์ส่งมาได้ภายใน {minutes} นาที")


def skipped(window_left: timedelta) -> Reply:
    minutes = max(1, int(window_left.total_seconds() // 60))
    return Reply(f"รับทราบค่ะ 🙏 มีคำติชม ข้อเสนอแนะ พิมพ์ส่งมาได้ภายใน {minutes} นาที")


def vote_thanks(district: District, score: int) -> Reply:
    """The thanks for a vote of 4 or 5: the invitation to comment comes after the praise question."""
    return Reply(f"ขอบคุณที่ให้คะแนน {score} ({SCORE_WORDS['th'][score]}) แก่{district_short(district)} 🙏")


def already_answered() -> Reply:
    return Reply("คุณตอบคำถามนี้แล้ว ขอบคุณค่ะ 🙏 มีคำติชม ข้อเสนอแนะ พิมพ์ส่งมาได้เลย")


def stale_question() -> Reply:
    return Reply("คำถามนี้หมดอายุแล้ว (ใช้ได้กับคะแนนล่าสุดของคุณเท่านั้น) 🙏\n"
                 "พิมพ์รหัสอำเภอเพื่อให้คะแนนครั้งใหม่")


def too_long() -> Reply:
    return Reply(f"ชื่อที่พิมพ์ยาวเกิน {STAFF_MAX} ตัวอักษร กรุณาพิมพ์ให้สั้นลง หรือกด “ข้าม”")


def praise_failed() -> Reply:
    return Reply("ขออภัย ระบบขัดข้องชั่วคราว คำชมยังไม่ได้บันทึก กรุณาลองอีกครั้งในอีกสักครู่")
