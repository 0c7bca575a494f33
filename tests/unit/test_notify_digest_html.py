"""The weekly digest's HTML marks its languages (Thai first, English parts `lang="en"`), and says why a district
has no rank when its votes come from too few distinct senders (issue 22)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

from services.notify.digest import WeeklyDigest
from shared.districts import load_registry

THAI = re.compile(r"[\u0e00-\u0e7f]")
ENGLISH_WORDS = re.compile(r"\b(?:Weekly|digest|votes|mean|alert|central|office)\b")


class Languages(HTMLParser):
    """Each text node with the language in force where it stands (the nearest `lang` around it)."""

    VOID = frozenset({"meta", "br"})

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append(dict(attrs).get("lang") or (self.stack[-1] if self.stack else ""))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.texts.append((self.stack[-1] if self.stack else "", data))


def render(window: dict):
    district = load_registry().get("3706")
    board = {"district_code": "3706", "windows": {"7d": window}}
    return WeeklyDigest(None, None, None, None, frozenset(), None).render(
        district, date(2026, 11, 16), date(2026, 11, 22), board, [], datetime(2026, 11, 23, 1, tzinfo=UTC))


def test_english_parts_are_marked_english_and_thai_parts_thai():
    message = render({"rank": 3, "ranked": 40, "votes": 12, "mean": 4.2, "movement": None})
    parser = Languages()
    parser.feed(message.html)
    assert parser.stack == [] or parser.stack == ["th"]
    english = [(lang, text) for lang, text in parser.texts if ENGLISH_WORDS.search(text)]
    assert english and all(lang == "en" for lang, _ in english), english
    thai = [(lang, text) for lang, text in parser.texts if THAI.search(text)]
    assert thai and all(lang == "th" for lang, _ in thai), thai
    assert parser.texts[0][0] == "th"  # Thai first


def test_a_district_short_of_senders_is_told_so_not_zero_votes():
    message = render({"rank": None, "ranked": 40, "votes": 30, "mean": 4.9, "votes_needed": 0, "sources_needed": 3})
    assert "ต้องมีโหวตจากผู้ส่งต่างกันอีก 3 ราย" in message.text
    assert "votes from 3 more distinct senders needed" in message.text
    assert "ต้องการอีก 0 เสียง" not in message.text
