"""The consent question's words, versioned: the version goes into every consent record (stories.v1).

Change the words, change the version: a record must say exactly what the citizen agreed to.
"""

from __future__ import annotations

CONSENT_VERSION = "2026-12-v1"

CONSENT: dict[str, dict[str, str]] = {
    "th": {
        "story_title": "เล่าเรื่องความประทับใจ (ไม่บังคับ)",
        "story_intro": "ได้รับบริการเกินความคาดหมาย? เล่าให้เราฟังได้ เรื่องเล่าจะถูกตรวจและลบข้อมูลส่วนบุคคลก่อนเผยแพร่",
        "story_label": "เรื่องเล่าของคุณ",
        "story_hint": "โปรดอย่าใส่ชื่อ เลขบัตร หรือเบอร์โทรของผู้อื่น ระบบจะลบออกให้",
        "publish_legend": "อนุญาตให้เผยแพร่เรื่องเล่านี้บนเว็บไซต์อำเภอสร้างสุขหรือไม่",
        "publish_yes": "อนุญาต ให้เผยแพร่ได้หลังเจ้าหน้าที่ตรวจแล้ว",
        "publish_no": "ไม่อนุญาต ใช้ภายในเพื่อปรับปรุงบริการเท่านั้น",
        "credit_legend": "หากเผยแพร่ ให้แสดงชื่อผู้เล่าอย่างไร",
        "credit_anonymous": "ไม่ระบุชื่อ",
        "credit_first_name": "ชื่อต้น",
        "credit_initials": "อักษรย่อ",
        "name_label": "ชื่อของคุณ (เฉพาะเมื่อเลือกชื่อต้นหรืออักษรย่อ ระบบเก็บเฉพาะส่วนที่แสดง)",
        "consent_note": "ถอนความยินยอมได้ทุกเมื่อด้วยรหัสที่จะแสดงหลังส่ง (พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562)",
        "story_submit": "ส่งเรื่องเล่า",
        "told_title": "ขอบคุณสำหรับเรื่องเล่า",
        "told_code": "รหัสถอนความยินยอมของคุณ: {code}",
        "told_keep": "เก็บรหัสนี้ไว้ หากต้องการถอนเรื่องเล่า ให้กรอกรหัสที่หน้า “ถอนเรื่องเล่า” หรือพิมพ์ “ถอน {code}” ในไลน์",
        "withdraw_title": "ถอนเรื่องเล่า",
        "withdraw_intro": "กรอกรหัสที่ได้รับหลังเล่าเรื่อง เรื่องเล่าจะถูกนำออกจากทุกหน้าสาธารณะภายในหนึ่งนาที",
        "withdraw_label": "รหัสถอนความยินยอม (8 ตัวอักษร)",
        "withdraw_submit": "ถอนเรื่องเล่า",
        "withdrawn_title": "ถอนเรื่องเล่าแล้ว",
        "withdrawn_body": "เรื่องเล่าของคุณจะไม่ถูกเผยแพร่ และจะถูกนำออกจากทุกหน้าสาธารณะภายในหนึ่งนาที",
        "bad_code": "ไม่พบรหัสนี้ กรุณาตรวจสอบรหัสอีกครั้ง",
        "story_empty": "กรุณาเล่าเรื่องก่อนกดส่ง",
        "story_long": "เรื่องเล่ายาวเกิน {max} ตัวอักษร กรุณาย่อให้สั้นลง",
        "choose_publish": "กรุณาเลือกว่าจะอนุญาตให้เผยแพร่หรือไม่",
        "name_needed": "กรุณากรอกชื่อ (ไม่เกิน {max} ตัวอักษร) หรือเลือก “ไม่ระบุชื่อ”",
        "already_told": "คุณเล่าเรื่องสำหรับคะแนนนี้แล้ว",
        "vote_expired": "หน้านี้เปิดไว้นานเกินไป เรื่องเล่าต้องส่งภายใน 2 ชั่วโมงหลังให้คะแนน",
    },
    "en": {
        "story_title": "Tell a story of service (optional)",
        "story_intro": "Served beyond what you expected? Tell us. Stories are checked and personal data removed "
                       "before anything is published.",
        "story_label": "Your story",
        "story_hint": "Please leave out other people's names, ID or phone numbers; they are removed.",
        "publish_legend": "May we publish this story on the Amphoe Sang Suk website?",
        "publish_yes": "Yes, after the centre has checked it",
        "publish_no": "No, use it only to improve the service",
        "credit_legend": "If published, how should you be credited?",
        "credit_anonymous": "Anonymous",
        "credit_first_name": "First name",
        "credit_initials": "Initials",
        "name_label": "Your name (only for first name or initials; we keep only what is shown)",
        "consent_note": "You can withdraw your consent at any time with the code shown after sending "
                        "(Thailand's PDPA B.E. 2562).",
        "story_submit": "Send my story",
        "told_title": "Thank you for your story",
        "told_code": "Your withdrawal code: {code}",
        "told_keep": "Keep this code. To withdraw the story, enter it on the “Withdraw a story” page or send "
                     "“withdraw {code}” on LINE.",
        "withdraw_title": "Withdraw a story",
        "withdraw_intro": "Enter the code you were given after telling your story. It leaves every public page "
                          "within a minute.",
        "withdraw_label": "Withdrawal code (8 characters)",
        "withdraw_submit": "Withdraw my story",
        "withdrawn_title": "Your story is withdrawn",
        "withdrawn_body": "It will not be published, and leaves every public page within a minute.",
        "bad_code": "This code was not found; please check it.",
        "story_empty": "Please write your story before sending.",
        "story_long": "The story is over {max} characters; please shorten it.",
        "choose_publish": "Please choose whether we may publish it.",
        "name_needed": "Please type your name (at most {max} characters), or choose “Anonymous”.",
        "already_told": "You have already told a story for this vote.",
        "vote_expired": "This page was open too long: a story must be sent within 2 hours of the vote.",
    },
}
