"""The inbox's pure parts: filters checked value by value, praise counted with merges followed, the digest's
three representative comments and its line of topics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.notify.digest import WeekFeedback, feedback_lines, representative, topic_line, week_topics
from services.notify.inbox import MAX_DAYS, parse_filter
from services.notify.praise_counts import count_praise
from services.notify.praise_store import PraiseChangeError, _clean, replay

TODAY = date(2026, 12, 5)
AT = datetime(2026, 12, 5, 3, tzinfo=UTC)


def test_filters_default_to_thirty_days_and_refuse_what_is_not_on_the_lists():
    chosen, problems = parse_filter({}, TODAY)
    assert (chosen.first, chosen.last, problems) == (TODAY - timedelta(days=29), TODAY, [])
    chosen, problems = parse_filter({"score": "6", "service": "x", "channel": "fax", "from": "2026-02-30",
                                     "to": "2027-01-01", "topic": "queue"}, TODAY)
    assert sorted(problems) == ["channel", "from", "score", "service", "to", "topic"]
    assert (chosen.score, chosen.service, chosen.channel, chosen.topic, chosen.last) == (None, None, None, None, TODAY)
    far = (TODAY - timedelta(days=MAX_DAYS)).isoformat()
    assert parse_filter({"from": far}, TODAY)[1] == ["from"]  # the range is bounded: the cost follows it
    chosen, problems = parse_filter({"score": "2", "channel": "line", "praise": "1", "topic": "queue"}, TODAY,
                                    frozenset({"queue"}))
    assert problems == [] and chosen.keeps({"score": 2, "channel": "qr", "comment_channel": "line",
                                            "praise_counted": True, "topics": {"queue": "negative"}})
    assert not chosen.keeps({"score": 2, "channel": "line", "praise_counted": False})


def doc(key: str | None, unit: str | None, counted: bool = True) -> dict:
    return {"praise_counted": counted, "praise": {"kind": "person" if key else "unit", "person_key": key,
                                                  "unit_id": unit}}


def test_praise_counts_follow_merges_and_renames_and_skip_what_does_not_count():
    docs = [doc("นก", "id_card"), doc("นกน้อย", None), doc("นก", None, counted=False), doc(None, "licences"),
            {"praise": None}]
    counts = count_praise(docs, replay([]))
    assert {p.key: p.votes for p in counts.people} == {"นก": 1, "นกน้อย": 1}
    assert {u.key: u.votes for u in counts.units} == {"id_card": 1, "licences": 1}
    merged = replay([{"op": "merge", "spelling": "นกน้อย", "into": "นก"},
                     {"op": "rename", "key": "นก", "name": "ศิริพร"}])
    counts = count_praise(docs, merged)
    assert [(p.name, p.votes) for p in counts.people] == [("ศิริพร", 2)]


def test_a_name_is_checked_before_it_is_kept():
    for bad in ("", "   ", "x" * 101, "a\x00b", "a\x1bb", None, 5):
        try:
            _clean(bad)
        except PraiseChangeError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    assert _clean("  พี่   นก ") == "พี่ นก"


def test_three_representative_comments_span_the_scores():
    docs = [{"score": s, "comment": t, "at": AT + timedelta(minutes=i)}
            for i, (s, t) in enumerate([(1, "แย่ 081-234-5678"), (5, "ดี"), (3, "กลาง"), (5, "ดีมาก"), (2, "")])]
    picked = representative(docs)
    assert picked[0].startswith("(1) แย่") and "081" not in picked[0]
    assert picked[1] == "(5) ดีมาก" and picked[2] == "(3) กลาง"
    assert representative([]) == ()


def test_the_digest_counts_the_weeks_topics_as_tagged_and_names_the_most_mentioned_first():
    docs = [{"score": 2, "comment": "รอนาน", "topics": {"waiting": "negative"}, "at": AT},
            {"score": 1, "comment": "รอนานมาก ห้องน้ำสกปรก", "topics": {"waiting": "negative",
                                                                   "facilities": "negative"}, "at": AT},
            {"score": 5, "comment": "ไม่ต้องรอเลย", "topics": {"waiting": "positive"}, "at": AT},
            {"score": 5, "comment": "ยิ้มแย้ม", "topics": {"courtesy": "positive"}, "at": AT},
            {"score": 5, "comment": "ขอบคุณ", "topics": {}, "at": AT},
            {"score": 5, "comment": "", "staff": "พี่สมศรี", "topics": {"fees": "negative"}, "at": AT}]
    week = week_topics(docs)
    assert week.comments == 5  # praise without a comment is not a comment
    assert week.topics["waiting"] == {"positive": 1, "negative": 2} and week.topics["fees"]["negative"] == 0
    line = topic_line(week)
    assert line.split("; ")[0] == "การรอคอย ติ 2 ชม 1"
    assert line.index("สถานที่") < line.index("มารยาท")  # a tie: the more blamed first
    assert topic_line(week_topics([{"comment": "ขอบคุณ", "topics": {}}])) == ""
    lines = feedback_lines(WeekFeedback(topics=week))
    assert lines == [f"เรื่องที่ประชาชนพูดถึงในสัปดาห์ (จาก 5 ความคิดเห็น): {line}"]
    assert feedback_lines(WeekFeedback(topics=week_topics([]))) == []
