"""The chief's page redacts only the comments it shows: its redaction work does not grow with the comments stored."""

from __future__ import annotations

from datetime import date, timedelta

from services.notify import trend

TODAY = date(2026, 12, 5)


class DayDocuments:
    """A stand-in of NotifyStore.day_documents: seven days of many long comments."""

    def __init__(self, per_day: int):
        self.docs = {TODAY - timedelta(days=d): {"c": {
            f"v{d}-{i}": {"s": 1 + (i % 5), "t": "โทร 081 234 5678 " * 50, "at": 1_764_900_000.0 - d * 86400 + i}
            for i in range(per_day)}} for d in range(7)}

    def day_documents(self, district, days, fields=()):
        return {day: self.docs[day] for day in days if day in self.docs}


def _redactions(monkeypatch, per_day: int) -> tuple[int, list]:
    calls = []
    real = trend.redact

    def counting(text):
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(trend, "redact", counting)
    shown = trend.recent_comments(DayDocuments(per_day), "3706", TODAY)
    return len(calls), shown


def test_only_the_comments_shown_are_redacted(monkeypatch):
    few, shown_few = _redactions(monkeypatch, 5)
    many, shown_many = _redactions(monkeypatch, 400)
    assert few == len(shown_few) == 20
    assert many == len(shown_many) == 20  # 2,800 stored, 20 redacted


def test_the_lowest_scores_then_the_newest_are_kept(monkeypatch):
    _, shown = _redactions(monkeypatch, 50)
    assert all(c.score == 1 for c in shown)
    assert [c.at for c in shown] == sorted((c.at for c in shown), reverse=True)
    assert all("081" not in c.text for c in shown)
