"""The LINE conversation's rules, without LINE or storage: what a citizen's event means, what to say.

The flow: district (code or name) → five scores as a quick reply → the tapped score is a vote →
thanks and an invitation to comment → a text within the window is that vote's comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.channels.wording import PROGRAMME, SCORE_WORDS, district_short
from services.ingest.line.matching import DistrictMatcher
from shared.districts import District, Registry
from shared.vote_rules import COMMENT_MAX, MAX_SCORE, MIN_SCORE

POSTBACK_VERSION = "v1"
LABEL_MAX = 20  # LINE's limit for a quick reply button's label


_SCORES = frozenset(str(s) for s in range(MIN_SCORE, MAX_SCORE + 1))


@dataclass(frozen=True)
class QuickButton:
    label: str
    data: str
    display_text: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[QuickButton, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """What the bot remembers of a citizen (keyed by an HMAC of the LINE userId, never the id)."""

    vote_id: str
    district_code: str
    voted_at: datetime
    comment_until: datetime
    comment_id: str | None = None
    comment_published: bool = False

    def accepts_comment(self, comment_id: str, now: datetime) -> bool:
        """Open within the window for one comment; the same comment event again is its redelivery."""
        return self.comment_id == comment_id or (self.comment_id is None and now <= self.comment_until)


# ----------------------------------------------------------------------- decisions

@dataclass(frozen=True)
class SayOnly:
    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class CastVote:
    district: District
    score: int


@dataclass(frozen=True)
class AttachComment:
    conversation: Conversation
    text: str


@dataclass(frozen=True)
class Ignore:
    reason: str


Decision = SayOnly | CastVote | AttachComment | Ignore


@dataclass
class Rules:
    registry: Registry
    comment_window: timedelta = timedelta(minutes=30)
    postback_max_age: timedelta = timedelta(hours=24)
    matcher: DistrictMatcher = field(init=False)

    def __post_init__(self) -> None:
        self.matcher = DistrictMatcher(self.registry)

    # -- incoming events

    def on_follow(self) -> Decision:
        return SayOnly((welcome(),))

    def on_text(self, text: str, conversation: Conversation | None, now: datetime, comment_id: str) -> Decision:
        if conversation and conversation.comment_id == comment_id:
            return AttachComment(conversation, text)  # a redelivery of the comment itself
        match = self.matcher.match(text)
        if match.unique:
            return SayOnly((score_prompt(match.unique, now),))
        if match.districts:
            return SayOnly((choose_district(match.districts, now),))
        if conversation and conversation.accepts_comment(comment_id, now):
            return AttachComment(conversation, text)
        if match.code_not_found:
            return SayOnly((unknown_district(match.code_not_found),))
        return SayOnly((unknown_district(text),))

    def on_postback(self, data: str, now: datetime) -> Decision:
        parts = data.split("|")
        if len(parts) < 3 or parts[0] != POSTBACK_VERSION:
            return SayOnly((stale(),))
        kind, code = parts[1], parts[2]
        district = self.registry.get(code)
        try:
            issued = datetime.fromtimestamp(int(parts[-1]), now.tzinfo)
        except (ValueError, OverflowError, OSError):
            return SayOnly((stale(),))
        if district is None or now - issued > self.postback_max_age or issued - now > timedelta(minutes=5):
            return SayOnly((stale(),))
        if kind == "pick" and len(parts) == 4:
            return SayOnly((score_prompt(district, now),))
        if kind == "vote" and len(parts) == 5 and parts[3] in _SCORES:  # not isdigit(): "²" is a digit int() refuses
            return CastVote(district, int(parts[3]))
        return SayOnly((stale(),))

    def on_other_message(self) -> Decision:
        return SayOnly((Reply("ขออภัย ระบบรับได้เฉพาะข้อความตัวอักษร 🙏\n" + HOW_TO),))

    def comment_problem(self, text: str) -> Reply | None:
        if len(text.strip()) > COMMENT_MAX:
            return Reply(f"ความคิดเห็นยาว {len(text.strip()):,} ตัวอักษร เกินกว่า {COMMENT_MAX:,} ตัวอักษร "
                         "กรุณาย่อให้สั้นลงแล้วส่งอีกครั้ง")
        if not text.strip():
            return Reply("ยังไม่ได้รับข้อความ กรุณาพิมพ์ความคิดเห็นอีกครั้ง")
        return None

    # -- after a vote or comment went through intake

    def after_vote(self, district: District, score: int, vote_id: str, now: datetime) -> tuple[Reply, Conversation]:
        conversation = Conversation(vote_id, district.code, now, now + self.comment_window)
        return thanks(district, score, self.comment_window), conversation


# ----------------------------------------------------------------------- what the bot says

HOW_TO = "พิมพ์รหัสอำเภอ 4 หลักจากโปสเตอร์ที่ที่ว่าการอำเภอ (เช่น 3706) หรือพิมพ์ชื่ออำเภอ"


def welcome() -> Reply:
    return Reply(f"สวัสดีค่ะ ยินดีต้อนรับสู่{PROGRAMME['th']} 😊\n"
                 "ให้คะแนน “ความสุข” 1–5 กับบริการที่ได้รับจากที่ว่าการอำเภอ\n" + HOW_TO)


def _stamp(now: datetime) -> str:
    return str(int(now.timestamp()))


def score_prompt(district: District, now: datetime) -> Reply:
    words = SCORE_WORDS["th"]
    buttons = tuple(
        QuickButton(label=f"{s} {words[s]}", data=f"{POSTBACK_VERSION}|vote|{district.code}|{s}|{_stamp(now)}",
                    display_text=f"{s} {words[s]}")
        for s in range(MAX_SCORE, MIN_SCORE - 1, -1)
    )
    return Reply(f"{district_short(district)}\nวันนี้ได้รับบริการเป็นอย่างไร กดเลือกคะแนนความสุข 1–5 ด้านล่างได้เลย",
                 buttons)


def choose_district(districts: tuple[District, ...], now: datetime) -> Reply:
    buttons = tuple(
        QuickButton(label=_fit(f"{d.name_th} ({d.province_th})"),
                    data=f"{POSTBACK_VERSION}|pick|{d.code}|{_stamp(now)}", display_text=district_short(d))
        for d in districts[:13]  # LINE allows 13 quick reply buttons
    )
    return Reply("มีหลายอำเภอที่ชื่อนี้ กรุณาเลือกจังหวัด", buttons)


def _fit(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def unknown_district(text: str) -> Reply:
    shown = text.strip()[:30]
    return Reply(f"ขออภัย ไม่พบอำเภอ “{shown}” ในโครงการ{PROGRAMME['th']}\n{HOW_TO}\n"
                 "(เขตในกรุงเทพมหานครไม่อยู่ในโครงการ)")


def thanks(district: District, score: int, window: timedelta) -> Reply:
    minutes = int(window.total_seconds() // 60)
    return Reply(f"ขอบคุณที่ให้คะแนน {score} ({SCORE_WORDS['th'][score]}) แก่{district_short(district)} 🙏\n"
                 f"อยากชมเจ้าหน้าที่ หรือมีคำติชม ข้อเสนอแนะ พิมพ์ส่งมาได้ภายใน {minutes} นาที")


def already_voted(district: District) -> Reply:
    return Reply(f"วันนี้คุณให้คะแนน{district_short(district)}แล้ว ขอบคุณค่ะ 🙏\n"
                 "ระบบนับหนึ่งคะแนนต่อหนึ่งอำเภอต่อวัน พรุ่งนี้ให้คะแนนได้อีกครั้ง")


def vote_failed(district: District, now: datetime) -> Reply:
    prompt = score_prompt(district, now)
    return Reply("ขออภัย ระบบขัดข้องชั่วคราว คะแนนยังไม่ได้บันทึก กรุณากดเลือกคะแนนอีกครั้ง", prompt.buttons)


def comment_thanks() -> Reply:
    return Reply("ได้รับความคิดเห็นแล้ว ขอบคุณมากค่ะ 🙏 ทางอำเภอจะนำไปปรับปรุงบริการให้ดียิ่งขึ้น")


def comment_failed() -> Reply:
    return Reply("ขออภัย ระบบขัดข้องชั่วคราว ความคิดเห็นยังไม่ได้บันทึก กรุณาส่งอีกครั้งในอีกสักครู่")


def stale() -> Reply:
    return Reply("ตัวเลือกนี้หมดอายุแล้ว 🙏\n" + HOW_TO)
