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


# The third round's classes (issue 22): how people write what the first rounds' patterns did not see.
# (case id, text, what must not survive); at least 150 forms, each class in Thai and English.
NEW_FORMS: list[tuple[str, str, str]] = []
AT_FORMS = {"word": " at ", "upper": " AT ", "square": " [at] ", "round": "(at)", "curly": " {at} ",
            "angle": "<at>", "square-tight": "[at]", "thai": " แอท ", "thai-tight": "แอท", "thai-bracket": " [แอท] ",
            "thai-mai": " แอ็ท ",
            "fullwidth": "＠", "small": "﹫", "fullwidth-spaced": " ＠ "}
DOT_FORMS = {"word": " dot ", "upper": " DOT ", "square": "[dot]", "round": " (dot) ", "thai": " ดอท ",
             "thai-tight": "ดอท", "thai-jud": " จุด ", "thai-jud-round": "(จุด)", "ideographic": "。",
             "fullwidth": "．", "halfwidth-ideographic": "｡", "plain": "."}
for at_name, at in AT_FORMS.items():
    for dot_name in ("word", "square", "thai", "ideographic", "plain"):
        NEW_FORMS.append((f"email-at-{at_name}-dot-{dot_name}",
                          f"ส่งเอกสารมาที่ somchai99{at}gmail{DOT_FORMS[dot_name]}com นะคะ", "somchai99"))
for dot_name, dot in DOT_FORMS.items():
    NEW_FORMS.append((f"email-dot-{dot_name}-twice", f"mail: k.somsri [at] dopa{dot}go{dot}th", "k.somsri"))
NEW_FORMS += [
    ("email-thai-all-words", "อีเมล สมชาย แอท จีเมล ดอท คอม ค่ะ", "สมชาย"),
    ("email-thai-tight-all", "somchaiแอทhotmailดอทcom", "somchai"),
    ("email-fullwidth-everything", "ｓｏｍｃｈａｉ＠ｈｏｔｍａｉｌ。ｃｏｍ", "somchai"),
]

LINE_PHRASES = [
    ("add-line", "แอดไลน์ somchai99 มาได้", "somchai99"), ("add-line-at", "แอดไลน์มาที่ @somchai99", "somchai99"),
    ("line-is", "ไลน์คือ somchai.k", "somchai.k"), ("line-name", "ไลน์ชื่อ somsri_77", "somsri_77"),
    ("tak-line", "ทักไลน์ somchai-k ได้", "somchai-k"), ("line-id-is", "ไลน์ไอดีคือ somchai99", "somchai99"),
    ("id-line-colon", "ไอดีไลน์: somchai99", "somchai99"), ("line-pen", "ไลน์เป็น ssk2569", "ssk2569"),
    ("en-add-line", "add line somchai99", "somchai99"), ("en-add-me-on-line", "add me on line: somsri77", "somsri77"),
    ("en-my-line-is", "my line is somchai_k", "somchai_k"), ("en-my-line-id-is", "My LINE ID is somsri.p", "somsri.p"),
    ("en-line-me", "line me at somchai99", "somchai99"), ("en-line-id-is", "line id is somchai99", "somchai99"),
    ("en-line-equals", "LINE=somchai99", "somchai99"), ("en-add-line-id", "add line id: @somchai99", "somchai99"),
    ("fullwidth-colon", "ไลน์：somchai99", "somchai99"), ("line-space-at", "ไลน์ @ssk-office", "ssk-office"),
]
for name, text, ident in LINE_PHRASES:
    NEW_FORMS.append((f"line-phrase-{name}", f"สอบถามเพิ่ม {text} ค่ะ", ident))
LINE_USER = "U4af4980629a5b7e2c1d0f3e8b9a6c5d4"
for name, text in [("raw", LINE_USER), ("in-text", f"userId {LINE_USER} ร้องเรียน"),
                   ("upper", LINE_USER.upper()), ("json-ish", f'"userId":"{LINE_USER}"')]:
    NEW_FORMS.append((f"line-user-id-{name}", text, LINE_USER[1:]))

PHONE_SPLITS = [
    ("emoji", "081📞234📞5678"), ("emoji-keycap", "0️⃣8️⃣1️⃣ 2️⃣3️⃣4️⃣ 5️⃣6️⃣7️⃣8️⃣"), ("emoji-heart", "081❤️234❤️5678"),
    ("emoji-spaced", "081 🙏 234 🙏 5678"), ("wide-gap", "081          234          5678"),
    ("wide-ideographic", "081\u3000\u3000\u3000\u3000\u3000\u3000234\u3000\u30005678"),
    ("tabs", "081\t\t\t\t\t\t234\t\t5678"), ("tor", "081-234 ต่อ 5678"), ("tor-tight", "081234ต่อ5678"),
    ("ext", "081 234 ext. 5678"),
    ("thai-words", "ศูนย์แปดหนึ่ง สองสามสี่ ห้าหกเจ็ดแปด"), ("thai-words-tight", "ศูนย์แปดหนึ่งสองสามสี่ห้าหกเจ็ดแปด"),
    ("thai-words-dashes", "ศูนย์-แปด-หนึ่ง-สอง-สาม-สี่-ห้า-หก-เจ็ด-แปด"),
    ("english-words", "zero eight one two three four five six seven eight"),
    ("english-words-dash", "zero-eight-one-two-three-four-five-six-seven-eight"),
    ("mixed-words", "0 แปด 1 สอง 3 สี่ 5 หก 7 แปด"), ("words-and-digits", "081 สองสามสี่ 5678"),
    ("emoji-and-words", "ศูนย์แปดหนึ่ง📱สองสามสี่📱ห้าหกเจ็ดแปด"),
]
for name, text in PHONE_SPLITS:
    NEW_FORMS.append((f"phone-split-{name}", f"โทรหาได้ที่ {text} ค่ะ", re.sub(r"\D", "", text) or text))
NEW_FORMS += [(f"phone-words-secret-{i}", f"เบอร์ {text}", secret) for i, (text, secret) in enumerate([
    ("ศูนย์แปดหนึ่ง สองสามสี่ ห้าหกเจ็ดแปด", "สองสามสี่ห้าหกเจ็ดแปด"),
    ("zero eight one two three four five six seven eight", "twothreefourfivesixseveneight")])]

for i, (first, second) in enumerate([(1, 5), (5, 10), (10, 12), (3, 11)]):
    for letter in ("a", "x", "ก"):
        split = NID[:first] + letter + NID[first:second] + letter + NID[second:]
        NEW_FORMS.append((f"nid-letter-{letter}-{i}", f"เลขบัตร {split} ค่ะ", NID))

ACCOUNTS = [("kbank", "บัญชีกสิกร 123-4-56789-0"), ("scb", "โอนเข้า SCB 987-654321-0"),
            ("ktb-spaces", "ธ.กรุงไทย 678 0 12345 6"), ("gsb-12", "ออมสิน เลขบัญชี 0201 2345 6789"),
            ("en", "account no. 123 4 56789 0"), ("en-acct", "acct 1234567890"), ("thai-digits", "บช. ๑๒๓-๔-๕๖๗๘๙-๐"),
            ("words", "บัญชี หนึ่งสองสาม สี่ ห้าหกเจ็ดแปดเก้า ศูนย์"), ("promptpay", "พร้อมเพย์ 1234567890"),
            ("emoji", "บัญชี 123💰4💰56789💰0")]
for name, text in ACCOUNTS:
    NEW_FORMS.append((f"bank-{name}", f"คืนเงินเข้า {text} ด้วยค่ะ", re.sub(r"\D", "", search_form(text)[0])
                      or "หนึ่งสองสาม"))

PROFILES = [("fb", "https://www.facebook.com/somchai.jaidee"), ("fb-m", "m.facebook.com/somchai.jaidee"),
            ("fb-short", "fb.com/somchai.jaidee"), ("fb-me", "fb.me/somchai.jaidee"),
            ("fb-profile-php", "https://facebook.com/profile.php?id=100012345678"),
            ("ig", "instagram.com/somchai.jaidee"), ("ig-https", "https://www.instagram.com/somchai.jaidee/"),
            ("tiktok", "tiktok.com/@somchai.jaidee"), ("x", "https://x.com/somchai_jaidee"),
            ("twitter", "twitter.com/somchai_jaidee"), ("youtube", "youtube.com/@somchaijaidee"),
            ("line-me", "https://line.me/ti/p/~somchai.jaidee"), ("line-me-r", "line.me/R/ti/p/@somchaijaidee"),
            ("upper", "HTTPS://FACEBOOK.COM/SOMCHAI.JAIDEE"), ("fullwidth", "ｆａｃｅｂｏｏｋ．ｃｏｍ／somchai.jaidee"),
            ("threads", "threads.net/@somchai.jaidee")]
for name, url in PROFILES:
    secret = "jaidee" if "jaidee" in url.lower() else "100012345678"
    NEW_FORMS.append((f"profile-{name}", f"ดูโพสต์ที่ {url} ได้", secret))

PLATES = [("context", "รถทะเบียน กข 1234", "กข1234"), ("context-province", "ทะเบียน 1กข 1234 กรุงเทพมหานคร", "1กข1234"),
          ("leading-digit", "ชน 2กค 5678 แล้วหนี", "2กค5678"), ("hyphen", "รถ กท-1234 จอดขวาง", "กท1234"),
          ("plate-en", "plate: ขข 99", "ขข99"), ("pai", "ป้าย ฌข 456", "ฌข456"),
          ("single-consonant", "ทะเบียน ก 12", "ก12"),
          ("thai-digits", "ทะเบียนรถ กข ๑๒๓๔", "กข1234"), ("fullwidth", "ทะเบียน กข １２３４", "กข1234"),
          ("leading-digit-space", "รถเก๋ง 3 ขค 7777", "3ขค7777")]
for name, text, secret in PLATES:
    NEW_FORMS.append((f"plate-{name}", f"{text} ค่ะ", secret))

ADDRESSES = [("house-no", "บ้านเลขที่ 123/45 หมู่ 6", "12345"), ("house-no-tight", "บ้านเลขที่123/45ม.6", "12345"),
             ("thi-yu", "ที่อยู่ 99/1 ซอยสุขใจ", "991"), ("house-en", "house no. 77/12 moo 3", "7712"),
             ("address-en", "address: 45/6 หมู่ 2", "456"), ("slash-moo", "อยู่ 88/9 หมู่ 4 ต.ในเมือง", "889"),
             ("slash-soi", "12/34 ซ.ลาดพร้าว 5", "1234"), ("slash-road", "5/67 ถนนมิตรภาพ", "567"),
             ("thai-digits", "บ้านเลขที่ ๑๒๓/๔๕ หมู่ ๖", "12345"), ("ban-lek", "บ้าน เลข 321 หมู่ 9", "321")]
for name, text, secret in ADDRESSES:
    NEW_FORMS.append((f"address-{name}", f"มาส่งที่ {text} ด้วยค่ะ", secret))

ORDINARY_NEW = [
    "we met at the office. it was fine", "the queue at 9.30 was long", "ไปที่จุดบริการ ต่อคิว 3 ครั้ง", "รถติดมาก",
    "จอดรถยาก ที่จอด 20 คัน", "ต่อบัตรใช้เวลา 10 นาที", "line up at counter 2", "สามารถทำได้เร็ว",
    "ห้าดาวเลยค่ะ", "ให้สองดาว", "บ้านอยู่ไกล", "ขอบคุณเจ้าหน้าที่ 3 ท่าน", "add more chairs please",
    "กด 1 แล้วรอ", "คน 20 คน", "dot the i", "ชั้น 2 ห้อง 5", "เปิด 8.30 ปิด 16.30",
]


def test_the_new_classes_corpus_is_large_enough():
    assert len(NEW_FORMS) >= 150
    assert len({case for case, _, _ in NEW_FORMS}) == len(NEW_FORMS)
    assert not {case for case, _, _ in NEW_FORMS} & {case for case, _, _ in FORMS}


@pytest.mark.parametrize(("case", "text", "secret"), NEW_FORMS, ids=[c for c, _, _ in NEW_FORMS])
def test_every_new_form_is_redacted(case, text, secret):
    redacted, count = redact(text)
    assert count >= 1, redacted
    assert not _survives(redacted, secret), redacted


@pytest.mark.parametrize("text", ORDINARY_NEW)
def test_ordinary_text_with_the_new_trigger_words_is_kept(text):
    assert redact(text) == (text, 0)
