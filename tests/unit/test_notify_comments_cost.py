"""The chief's alert page reads one short list of a district's newest comments and redacts only those: its
reading and redaction work do not grow with the comments stored (feedback_latest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.notify import trend
from services.notify.feedback import FeedbackWrite
from services.notify.feedback_latest import LATEST, comment_entries, folded

TODAY = date(2026, 12, 5)
NOON = datetime(2026, 12, 5, 5, tzinfo=UTC)  # 12:00 in Bangkok


def writes(day_back: int, per_day: int) -> list[FeedbackWrite]:
    at = NOON - timedelta(days=day_back)
    return [FeedbackWrite(f"v{day_back}-{i}", {"district": "3706", "score": 1 + i % 5, "at": at + timedelta(seconds=i),
                                                "comment": "โทร 081 234 5678 " * 50}) for i in range(per_day)]


class Latest:
    """A stand-in of FeedbackStore's newest-comments document, folded batch by batch as the store does."""

    def __init__(self, per_day: int):
        self.items: list[dict] = []
        for back in reversed(range(9)):
            self.items = folded(self.items, comment_entries(writes(back, per_day)).get("3706", []))

    def newest_comments(self, district):
        return self.items


def _redactions(monkeypatch, per_day: int) -> tuple[int, list]:
    calls = []
    real = trend.redact

    def counting(text):
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(trend, "redact", counting)
    shown = trend.recent_comments(Latest(per_day), "3706", TODAY)
    return len(calls), shown


def test_only_the_comments_shown_are_kept_and_redacted(monkeypatch):
    few, shown_few = _redactions(monkeypatch, 2)
    many, shown_many = _redactions(monkeypatch, 400)
    assert few == len(shown_few) == 14  # seven days of two; the two older days are left out
    assert many == len(shown_many) == LATEST  # 3,600 stored, 20 kept and redacted
    assert [c.at for c in shown_many] == sorted((c.at for c in shown_many), reverse=True)
    assert all("081" not in c.text for c in shown_many)


def test_folding_is_idempotent_and_a_later_comment_replaces_the_earlier():
    first = comment_entries(writes(0, 3))["3706"]
    once = folded([], first)
    assert folded(once, first) == once
    later = [{**first[0], "t": "แก้ไขแล้ว", "at": first[0]["at"] + timedelta(hours=1)}]
    again = folded(once, later)
    assert len(again) == 3 and again[0]["t"] == "แก้ไขแล้ว"
