import pytest

from shared.pdpa import EMAIL_MARK, NATIONAL_ID_MARK, PHONE_MARK, is_valid_national_id, redact, voter_key


def with_check_digit(first12: str) -> str:
    total = sum(int(first12[i]) * (13 - i) for i in range(12))
    return first12 + str((11 - total % 11) % 10)


NID = with_check_digit("110170012345")


def test_check_digit():
    assert is_valid_national_id(NID)
    assert not is_valid_national_id(NID[:-1] + str((int(NID[-1]) + 1) % 10))


@pytest.mark.parametrize(("text", "expected"), [
    (f"เลขบัตร {NID} ค่ะ", f"เลขบัตร {NATIONAL_ID_MARK} ค่ะ"),
    (f"{NID[0]}-{NID[1:5]}-{NID[5:10]}-{NID[10:12]}-{NID[12]}", NATIONAL_ID_MARK),
    (f"{NID[0]} {NID[1:5]} {NID[5:10]} {NID[10:12]} {NID[12]}", NATIONAL_ID_MARK),
    ("โทร 081-234-5678 นะคะ", f"โทร {PHONE_MARK} นะคะ"),
    ("0912345678", PHONE_MARK),
    ("+66 81 234 5678", PHONE_MARK),
    ("เบอร์สำนักงาน 02-123-4567", f"เบอร์สำนักงาน {PHONE_MARK}"),
    ("ติดต่อ somchai.j@example.co.th ได้", f"ติดต่อ {EMAIL_MARK} ได้"),
])
def test_personal_data_is_replaced_by_a_marker(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text", [
    "ให้ 5 คะแนน รอคิว 15 นาที ปี 2564",
    "บริการดีมาก ประทับใจเจ้าหน้าที่ทุกท่าน 🙏",
    "ตำบล 3706 หมู่ 12",
])
def test_ordinary_text_is_kept_intact(text):
    assert redact(text) == (text, 0)


def test_a_long_number_that_is_no_id_is_still_redacted():
    assert redact("1234567890123") == ("[redacted-number]", 1)  # 13 digits, wrong check digit


def test_voter_key_is_keyed_channel_scoped_and_not_the_identity():
    a = voter_key(b"s1", "line", "U1234")
    assert a != voter_key(b"s2", "line", "U1234")
    assert a != voter_key(b"s1", "qr", "U1234")
    assert "U1234" not in a and len(a) == 64
