"""The PDPA regression corpus: written forms of national IDs, phone numbers, e-mail addresses and
LINE IDs that must never reach `votes.v1` raw, and ordinary text that must come through intact.

Each form is checked on its digits or its address after the same normalisation the redactor uses,
so a form that loses only its separators still fails. The fields `comment` and `staff` are both
checked through the real intake.
"""

from __future__ import annotations

import re

import pytest

from shared.pdpa import redact, search_form
from tests.unit.ingest_app import make_harness


def with_check_digit(first12: str) -> str:
    total = sum(int(first12[i]) * (13 - i) for i in range(12))
    return first12 + str((11 - total % 11) % 10)


NID = with_check_digit("310170034567")
MOBILE = "0812345678"
LANDLINE = "021234567"

THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
MATH_BOLD = str.maketrans("0123456789", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")
SCRIPTS = {"ascii": str.maketrans("", ""), "thai": THAI, "arabic": ARABIC, "persian": PERSIAN,
           "fullwidth": FULLWIDTH, "devanagari": DEVANAGARI, "math-bold": MATH_BOLD}

SEPARATORS = {
    "none": "", "space": " ", "dash": "-", "dot": ".", "nbsp": "\u00a0", "narrow-nbsp": "\u202f",
    "thin-space": "\u2009", "ideographic-space": "\u3000", "zero-width-space": "\u200b", "zwnj": "\u200c",
    "word-joiner": "\u2060", "soft-hyphen": "\u00ad", "slash": "/", "en-dash": "\u2013", "em-dash": "\u2014",
    "minus-sign": "\u2212", "hyphen": "\u2010", "underscore": "_", "comma": ",", "newline": "\n",
    "crlf-ish": " \n", "tab": "\t", "double-space": "  ", "space-dash-space": " - ", "fullwidth-dash": "\uff0d",
    "middle-dot": "\u00b7", "bom": "\ufeff",
}


def grouped(digits: str, groups: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for size in groups:
        out.append(digits[i:i + size])
        i += size
    return sep.join(out)


NID_GROUPS = [(1, 4, 5, 2, 1), (13,), (3, 3, 3, 4), (1, 12), (4, 4, 5), (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)]
MOBILE_GROUPS = [(3, 3, 4), (10,), (2, 4, 4), (3, 7), (1, 4, 5)]
LANDLINE_GROUPS = [(2, 3, 4), (9,), (3, 3, 3)]

# (case id, text, the digits that must not survive)
FORMS: list[tuple[str, str, str]] = []
for sep_name, sep in SEPARATORS.items():
    FORMS.append((f"nid-{sep_name}", f"เลขบัตร {grouped(NID, NID_GROUPS[0], sep)} ค่ะ", NID))
    FORMS.append((f"mobile-{sep_name}", f"โทร {grouped(MOBILE, MOBILE_GROUPS[0], sep)} นะ", MOBILE[1:]))
    FORMS.append((f"landline-{sep_name}", f"ที่ทำงาน {grouped(LANDLINE, LANDLINE_GROUPS[0], sep)}", LANDLINE[1:]))
for script, table in SCRIPTS.items():
    for i, groups in enumerate(NID_GROUPS):
        FORMS.append((f"nid-{script}-g{i}", f"บัตร {grouped(NID, groups, '-').translate(table)}", NID))
    for i, groups in enumerate(MOBILE_GROUPS):
        FORMS.append((f"mobile-{script}-g{i}", f"call {grouped(MOBILE, groups, ' ').translate(table)}", MOBILE[1:]))
INTERNATIONAL = [
    "+66812345678", "+66 81 234 5678", "+66-81-234-5678", "+66 (0) 81 234 5678", "+66(0)812345678",
    "(+66) 81-234-5678", "(+66) 081-234-5678", "0066 81 234 5678", "0066812345678", "66812345678",
    "+66.81.234.5678", "+６６ ８１ ２３４ ５６７８", "＋66812345678", "+๖๖ ๘๑ ๒๓๔ ๕๖๗๘", "(0)81-234-5678",
    "+66 (0)81–234–5678", "tel:+66812345678", "โทร.+66 8 1234 5678", "+66\u00a081\u00a0234\u00a05678",
    "+66\u200b812345678", "(081) 234-5678", "[081] 234 5678", "08-1234-5678", "0-8123-45678", "081 2345678",
]
for i, text in enumerate(INTERNATIONAL):
    FORMS.append((f"intl-mobile-{i}", f"ติดต่อ {text} ได้", MOBILE[1:]))
for i, text in enumerate(["+66 2 123 4567", "+66(0)2-123-4567", "0066 2123 4567", "(02) 123-4567", "02.123.4567",
                          "๐๒-๑๒๓-๔๕๖๗", "+66-2-123-4567 ต่อ 12"]):
    FORMS.append((f"intl-landline-{i}", f"สำนักงาน {text}", LANDLINE[1:]))

EMAILS = [
    ("ascii", "somchai.j@example.co.th", "somchai"), ("plus", "somchai+vote@gmail.com", "somchai"),
    ("fullwidth-at", "somchai＠gmail.com", "somchai"),
    ("fullwidth-all", "ｓｏｍｃｈａｉ＠ｇｍａｉｌ．ｃｏｍ", "somchai"),
    ("thai-local", "สมชาย@example.com", "สมชาย"), ("thai-domain", "info@ไทยบริการ.ไทย", "info"),
    ("idn", "contact@bücher.de", "contact"), ("spaces-around-at", "somchai @ gmail.com", "somchai"),
    ("uppercase", "SOMCHAI@GMAIL.COM", "SOMCHAI"), ("underscore", "som_chai_99@hotmail.com", "som_chai_99"),
    ("subdomain", "a.b.c@mail.dopa.go.th", "a.b.c"), ("zero-width-inside", "som\u200bchai@gmail.com", "somchai"),
    ("cyrillic", "иван@почта.рф", "иван"), ("digits", "0812345678@line.me", "0812345678"),
    ("dash", "som-chai@yahoo.co.th", "som-chai"), ("thai-text-around", "อีเมลsomchai@gmail.comครับ", "somchai"),
]
for name, address, local in EMAILS:
    FORMS.append((f"email-{name}", f"ส่งมาที่ {address} นะคะ", local))

LINE_IDS = [
    ("thai", "ไลน์ somchai_99", "somchai_99"), ("thai-colon", "ไลน์: somchai.k", "somchai.k"),
    ("thai-id", "ไอดีไลน์ somchai99", "somchai99"), ("thai-at", "ไลน์ @somchai", "somchai"),
    ("english-id", "Line ID: somchai_99", "somchai_99"), ("english-colon", "line: somchai99", "somchai99"),
    ("english-at", "add line @somchai99", "somchai99"), ("lineid", "LINE id somchai-k", "somchai-k"),
    ("thai-no-space", "ไลน์somchai99", "somchai99"), ("thai-id-word", "ไลน์ไอดี somchai99", "somchai99"),
]
for name, text, ident in LINE_IDS:
    FORMS.append((f"line-{name}", f"ติดต่อ {text} ได้ค่ะ", ident))

LONG_NUMBERS = ["บัญชี 123-4-56789-0", "เลขพัสดุ 1234567890", "account 9876 5432 1098", "ref ๑๒๓๔๕๖๗๘๙",
                "1234567890123 (not a valid id)", "12 345 678 9"]
for i, text in enumerate(LONG_NUMBERS):
    FORMS.append((f"long-number-{i}", text, re.sub(r"[^0-9]", "", search_form(text)[0])))

ORDINARY = [
    "ให้ 5 คะแนน รอคิว 15 นาที ปี 2564", "ตำบล 3706 หมู่ 12", "บริการดีมาก ประทับใจเจ้าหน้าที่ทุกท่าน 🙏",
    "วันที่ 21/11/2569 เวลา 10.30 น.", "ราคา 1,500 บาท", "ค่าธรรมเนียม 20 บาท ใช้เวลา 5 นาที", "the line was long",
    "ต่อแถวยาวมาก line ยาว", "ทำบัตรใหม่", "คิวที่ 125", "2026-11-21", "เปิด 08:30-16:30 น.",
    "ได้รับบริการดีมากค่ะ\nขอบคุณค่ะ", "email ไม่มี", "ห้อง 302 ชั้น 3", "อายุ 65 ปี",
]


def _survives(redacted: str, secret: str) -> bool:
    """The secret's characters still there in order, once normalised and separators dropped."""
    normal = search_form(redacted)[0].casefold()
    compact = re.sub(r"[^0-9a-z\u0e00-\u0e7f\u0400-\u04ff_.\-]", "", normal)
    wanted = re.sub(r"[^0-9a-z\u0e00-\u0e7f\u0400-\u04ff_.\-]", "", search_form(secret)[0].casefold())
    return wanted in compact


def test_the_corpus_is_large_enough():
    assert len(FORMS) >= 150
    assert len({case for case, _, _ in FORMS}) == len(FORMS)


@pytest.mark.parametrize(("case", "text", "secret"), FORMS, ids=[c for c, _, _ in FORMS])
def test_every_form_is_redacted(case, text, secret):
    redacted, count = redact(text)
    assert count >= 1, redacted
    assert not _survives(redacted, secret), redacted


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_kept_exactly(text):
    assert redact(text) == (text, 0)


def test_text_outside_a_redaction_keeps_its_own_characters():
    text = "ทำบัตร\u200bดีมาก โทร ๐๘๑-๒๓๔-๕๖๗๘ ขอบคุณ"
    assert redact(text) == ("ทำบัตร\u200bดีมาก โทร [redacted-phone] ขอบคุณ", 1)


@pytest.mark.parametrize(("case", "text", "secret"), FORMS[::7], ids=[c for c, _, _ in FORMS[::7]])
def test_comment_and_staff_reach_the_event_redacted(case, text, secret):
    h = make_harness()
    staff = text.replace("\n", " ").replace("\t", " ")[:120]
    response = h.post({"district_code": "3706", "score": 4, "comment": text, "staff": staff})
    assert response.status_code == 202, response.get_json()
    [event] = h.publisher.events
    assert not _survives(event.comment, secret), event.comment
    assert not _survives(event.staff or "", secret), event.staff
    assert secret not in event.to_bytes().decode()
