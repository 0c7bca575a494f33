"""One rule for dates on every surface (issue 23): Buddhist Era in Bangkok time, in Thai and in English
("22 Nov 2569 B.E."), from one module (shared/thaidate.py); Thai text carries Thai words, not status codes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from services.notify.digest import WeeklyDigest
from services.notify.lifecycle import ACKNOWLEDGED, Alert
from services.notify.messages import Item, render
from shared.districts import load_registry
from shared.thaidate import be_date, be_datetime, be_period

NOW = datetime(2026, 11, 21, 17, 30, tzinfo=UTC)  # 00:30 on 22 Nov in Bangkok
DISTRICT = load_registry().get("3706")
ALERT = Alert("3706-low_mean-1", "3706", "low_mean", 1, NOW, True, 1, NOW,
              {"votes": 12, "mean": 2.42, "below": 3.0, "min_votes": 10, "days": 7}, status=ACKNOWLEDGED)
COMMON_ERA_YEAR = re.compile(r"\b20\d\d\b")


def test_english_dates_are_buddhist_era_marked_be():
    assert be_date(date(2026, 11, 22), "en") == "22 Nov 2569 B.E."
    assert be_datetime(NOW, "en") == "22 Nov 2569 B.E., 00:30 (Bangkok)"
    assert be_period(date(2026, 11, 16), date(2026, 11, 22)) == "16 พ.ย. 2569 - 22 พ.ย. 2569"
    assert be_period(date(2026, 11, 16), date(2026, 11, 22), "en") == "16 Nov 2569 B.E. to 22 Nov 2569 B.E."


def test_an_alert_mail_dates_its_english_part_as_the_site_does():
    message = render([Item(ALERT, "firing:1", "https://n.example/a/tok")], DISTRICT, NOW)
    english = message.text[message.text.index("Amphoe Sang Suk"):]
    assert "22 Nov 2569 B.E., 00:30 (Bangkok)" in english
    assert not COMMON_ERA_YEAR.search(english), english


def test_the_digest_speaks_thai_in_its_thai_part_and_dates_its_english_part_in_be():
    digest = WeeklyDigest(None, load_registry(), None, None, frozenset(), ranks=None)
    board = {"windows": {"7d": {"rank": 1, "ranked": 2, "votes": 3, "mean": 4.6667,
                                "movement": {"status": "up", "places": 1, "previous_rank": 2}}}}
    message = digest.render(DISTRICT, date(2026, 11, 16), date(2026, 11, 22), board, [ALERT], NOW)
    thai, english = message.text.split("\n\n", 1)
    assert "(รับทราบแล้ว)" in thai and not re.search(r"[A-Za-z]", thai), thai
    assert "Weekly digest 16 Nov 2569 B.E. to 22 Nov 2569 B.E." in english
    assert not COMMON_ERA_YEAR.search(message.text), message.text
