"""The programme's words in Thai and English, used by the page, the posters and the LINE bot alike."""

from __future__ import annotations

from shared.districts import District

PROGRAMME = {"th": "อำเภอสร้างสุข", "en": "Amphoe Sang Suk"}
SLOGAN = {"th": "ทุกข์น้อยลง สุขมากขึ้น", "en": "Less hardship, more happiness"}
DEPARTMENT = {"th": "กรมการปกครอง กระทรวงมหาดไทย", "en": "Department of Provincial Administration"}

# Score → words, from very dissatisfied (1) to very satisfied (5).
SCORE_WORDS = {
    "th": {1: "ไม่พอใจมาก", 2: "ไม่พอใจ", 3: "เฉย ๆ", 4: "พอใจ", 5: "พอใจมาก"},
    "en": {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"},
}


def district_label(district: District, lang: str = "th") -> str:
    """'อำเภอหัวตะพาน จังหวัดอำนาจเจริญ' / 'Hua Taphan, Amnat Charoen'."""
    if lang == "en":
        return f"{district.name_en}, {district.province_en}"
    return f"อำเภอ{district.name_th} จังหวัด{district.province_th}"


def district_short(district: District) -> str:
    """'อ.หัวตะพาน จ.อำนาจเจริญ': short enough for a chat line."""
    return f"อ.{district.name_th} จ.{district.province_th}"
