"""The vote page's words. Thai is the default; English is a switch (?lang=en)."""

from __future__ import annotations

LANGS = ("th", "en")

TEXT: dict[str, dict[str, str]] = {
    "th": {
        "title": "ให้คะแนนความสุข",
        "intro": "คุณได้รับบริการที่ว่าการอำเภอวันนี้เป็นอย่างไร ให้คะแนน “ความสุข” 1–5",
        "score_legend": "คะแนนความสุข (จำเป็น)",
        "optional": "ไม่บังคับ",
        "service": "บริการที่มาใช้",
        "service_none": "— เลือกบริการ —",
        "staff": "เจ้าหน้าที่หรือหน่วยงานที่อยากชม",
        "staff_hint": "เช่น ชื่อเจ้าหน้าที่ หรือ งานทะเบียน",
        "comment": "คำติชม ข้อเสนอแนะ หรือเรื่องเล่าความประทับใจ",
        "comment_hint": "โปรดอย่าใส่เลขบัตรประชาชนหรือเบอร์โทรศัพท์ ระบบจะลบออกให้",
        "count": "{n} / {max} ตัวอักษร",
        "submit": "ส่งคะแนน",
        "sending": "กำลังส่ง…",
        "switch": "English",
        "thanks_title": "ขอบคุณที่ร่วมให้คะแนน",
        "thanks_body": "คะแนนของคุณช่วยให้ที่ว่าการอำเภอบริการประชาชนได้ดียิ่งขึ้น",
        "thanks_ranking": "ดูอันดับความสุขของอำเภอต่าง ๆ ได้ที่ อำเภอสร้างสุข.com",
        "already_title": "วันนี้คุณให้คะแนนอำเภอนี้แล้ว",
        "already_body": "ขอบคุณมาก ระบบนับหนึ่งคะแนนต่อหนึ่งอำเภอต่อวัน พรุ่งนี้ให้คะแนนได้อีกครั้ง",
        "errors_title": "กรุณาตรวจสอบข้อมูลที่ทำเครื่องหมายไว้",
        "busy_title": "ระบบขัดข้องชั่วคราว",
        "busy_body": "คะแนนยังไม่ได้บันทึก กรุณากดส่งอีกครั้งในอีกสักครู่ ข้อมูลที่กรอกไว้ยังอยู่",
        "slow_title": "มีการส่งคะแนนจากเครือข่ายนี้มากเกินไป",
        "slow_body": "กรุณารอประมาณหนึ่งนาทีแล้วกดส่งอีกครั้ง ข้อมูลที่กรอกไว้ยังอยู่",
        "expired_title": "หน้านี้เปิดไว้นานเกินไป",
        "expired_body": "เพื่อความปลอดภัย กรุณากดส่งอีกครั้ง ข้อมูลที่กรอกไว้ยังอยู่",
        "cookies_body": "กรุณาเปิดใช้งานคุกกี้ในเบราว์เซอร์ แล้วกดส่งอีกครั้ง",
        "not_found_title": "ไม่พบอำเภอนี้",
        "not_found_body": "รหัสอำเภอ “{code}” ไม่อยู่ในโครงการอำเภอสร้างสุข กรุณาสแกน QR Code ที่ที่ว่าการอำเภออีกครั้ง "
                          "(เขตในกรุงเทพมหานครไม่อยู่ในโครงการ)",
        "line_route": "หรือแอดไลน์ {account} แล้วพิมพ์ “{message}”",
        "privacy": "ระบบไม่เก็บชื่อหรือข้อมูลที่ระบุตัวตนของคุณ (พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
    },
    "en": {
        "title": "Rate your happiness",
        "intro": "How was the service at the district office today? Give a happiness score from 1 to 5.",
        "score_legend": "Happiness score (required)",
        "optional": "optional",
        "service": "Service you came for",
        "service_none": "— choose a service —",
        "staff": "Staff member or unit to praise",
        "staff_hint": "e.g. a staff member's name, or Registration",
        "comment": "Praise, criticism, suggestions or a story",
        "comment_hint": "Please do not include ID card or phone numbers; they are removed.",
        "count": "{n} / {max} characters",
        "submit": "Send my score",
        "sending": "Sending…",
        "switch": "ภาษาไทย",
        "thanks_title": "Thank you for your score",
        "thanks_body": "Your score helps the district office serve people better.",
        "thanks_ranking": "See how districts rank at amphoesangsook.com",
        "already_title": "You have already rated this district today",
        "already_body": "Thank you. One score per district per day counts; you can rate again tomorrow.",
        "errors_title": "Please check the marked fields",
        "busy_title": "The service is briefly unavailable",
        "busy_body": "Your score was NOT saved yet. Please send it again in a moment; what you typed is kept.",
        "slow_title": "Too many scores from this network",
        "slow_body": "Please wait about a minute and send again; what you typed is kept.",
        "expired_title": "This page was open for too long",
        "expired_body": "For your security, please send again; what you typed is kept.",
        "cookies_body": "Please allow cookies in your browser, then send again.",
        "not_found_title": "District not found",
        "not_found_body": "District code “{code}” is not in the Amphoe Sang Suk programme. Please scan the QR code at "
                          "the district office again (Bangkok's districts are not in the programme).",
        "line_route": "Or add {account} on LINE and send “{message}”",
        "privacy": "We keep no name or anything that identifies you (Thailand's PDPA B.E. 2562).",
    },
}

# Validation messages shown next to a field, by what went wrong.
FIELD_ERRORS: dict[str, dict[str, str]] = {
    "th": {
        "score": "กรุณาเลือกคะแนนความสุข 1 ถึง 5",
        "service": "กรุณาเลือกบริการจากรายการ",
        "staff": "ชื่อเจ้าหน้าที่หรือหน่วยงานต้องเป็นข้อความบรรทัดเดียว ไม่เกิน {max} ตัวอักษร",
        "comment_long": "ความคิดเห็นยาว {length} ตัวอักษร เกินกว่า {max} ตัวอักษร กรุณาย่อให้สั้นลง",
        "comment": "ความคิดเห็นมีอักขระที่ใช้ไม่ได้ กรุณาพิมพ์ข้อความธรรมดา",
        "district_code": "ไม่พบรหัสอำเภอนี้",
    },
    "en": {
        "score": "Please choose a happiness score from 1 to 5",
        "service": "Please choose a service from the list",
        "staff": "The staff member or unit must be one line of at most {max} characters",
        "comment_long": "The comment is {length} characters long, over the {max} maximum; please shorten it",
        "comment": "The comment contains characters that cannot be used; please type plain text",
        "district_code": "Unknown district code",
    },
}


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else "th"
