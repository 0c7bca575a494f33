"""The words around a name: titles before it, words that are not a name, words that say "no one".

All lists are in folded form (`fold`): lower case, no zero-width characters. Titles are tried longest
first, so นางสาว is not read as นาง + "สาว" and นายอำเภอ not as นาย + "อำเภอ".
"""

from __future__ import annotations

# Honorifics, kinship words, official titles and ranks Thais put before a staff member's name.
THAI_TITLES = (
    "คุณ", "พี่", "น้อง", "ป้า", "ลุง", "น้า", "อา", "ยาย", "ตา", "นาย", "นาง", "นางสาว", "น.ส.", "นส.", "น.ส",
    "ท่าน", "ปลัด", "ปลัดอำเภอ", "ปลัดฯ", "นายอำเภอ", "ผอ.", "ผอ", "หัวหน้า", "เจ้าหน้าที่", "จนท.", "จนท",
    "จ่า", "จ่าเอก", "จ่าโท", "จ่าตรี", "จ.ส.อ.", "ด.ต.", "ดต.", "ส.อ.", "ส.ท.", "ส.ต.", "สิบเอก", "สิบโท",
    "สิบตรี", "ว่าที่ร้อยตรี", "ว่าที่ ร.ต.", "ว่าที่ร.ต.", "ว่าที่", "ร.ต.", "ร.ท.", "ร.อ.", "ดร.", "อส.",
    "แม่", "ครู",
)
LATIN_TITLES = (
    "khun", "k.", "mr.", "mr", "mrs.", "mrs", "ms.", "ms", "miss", "p'", "p.", "pee", "phi", "nong", "n'",
    "aunt", "auntie", "uncle", "officer", "dr.", "dr",
)
# A Latin title that is a whole word only ("P Ton"): as a prefix it would eat names that begin with p or k.
LATIN_WORD_TITLES = ("p", "k", "n")
TITLES = tuple(sorted({*THAI_TITLES, *LATIN_TITLES}, key=len, reverse=True))

# Words that end a name and are dropped: particles, praise, thanks, the verbs that introduce a name.
FILLERS = tuple(sorted({
    "ค่ะ", "คะ", "ค่า", "คับ", "ครับ", "ครัช", "ฮะ", "จ้า", "จ้ะ", "จ๊ะ", "นะ", "นะคะ", "นะครับ", "ค๊ะ", "เลย",
    "ด้วย", "มาก", "มากๆ", "จริงๆ", "สุดๆ", "ดี", "ดีมาก", "ใจดี", "น่ารัก", "ยิ้มแย้ม", "ยิ้ม", "สุภาพ", "เก่ง",
    "รวดเร็ว", "เร็ว", "บริการ", "การบริการ", "ช่วยเหลือ", "แนะนำ", "อธิบาย", "พูดเพราะ", "เอาใจใส่", "ใส่ใจ",
    "ประทับใจ", "สุดยอด", "ขอบคุณ", "ขอบใจ", "ขอชม", "ชื่นชม", "ขอชื่นชม", "อยากชม", "ชม", "ที่", "ซึ่ง", "และ",
    "กับ", "ตลอด", "ชื่อ", "คนนี้", "ห้อง", "งาน", "ฝ่าย", "แผนก", "หน่วย", "อำเภอ", "ที่ว่าการอำเภอ", "หน้าอำเภอ",
    "thank", "thanks", "you", "very", "good", "great", "nice", "kind", "helpful", "so", "much", "service",
    "section", "desk", "counter", "staff", "at", "from", "of", "the", "and", "in", "is", "was", "to",
}, key=len, reverse=True))

# Words that say the praise is for no one in particular, or describe someone without a name.
NO_NAME = tuple(sorted({
    "ทุกคน", "ทุกท่าน", "ทั้งหมด", "ทุกฝ่าย", "ไม่มี", "ไม่ระบุ", "ไม่ทราบ", "ไม่รู้", "จำชื่อไม่ได้", "จำไม่ได้",
    "ผู้ชาย", "ผู้หญิง", "ใส่แว่น", "ผมสั้น", "ผมยาว", "ตัวเล็ก", "ตัวสูง", "คนนั้น", "คนที่", "ๆ", "พี่พี่",
    "น้องน้อง", "everyone", "everybody", "all", "team", "none", "no one", "nobody", "redacted",
}, key=len, reverse=True))
