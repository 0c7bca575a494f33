"""The units of a district office a citizen may praise, and the ways citizens write them.

Ids are stable (counts and exports key on them); names are Thai first, English second. Aliases are the
unit's own names, what citizens call its room or desk, and the services it gives ("ทำบัตร" is the ID-card
unit), in Thai and English. A district whose office has other units adds them with `with_units`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.praise.fold import fold


@dataclass(frozen=True)
class Unit:
    id: str
    name_th: str
    name_en: str
    aliases: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        """Every folded spelling that names this unit: its names and its aliases."""
        return tuple(dict.fromkeys(fold(s) for s in (self.name_th, self.name_en, *self.aliases) if fold(s)))


DEFAULT_UNITS: tuple[Unit, ...] = (
    Unit("civil_registration", "งานทะเบียนราษฎร", "Civil registration", (
        "ทะเบียนราษฎร", "ทะเบียนราษฎร์", "ทะเบียน", "ห้องทะเบียน", "งานทะเบียน", "ทะเบียนบ้าน", "แจ้งเกิด",
        "แจ้งตาย", "แจ้งย้าย", "ย้ายเข้า", "ย้ายออก", "ย้ายทะเบียนบ้าน", "civil registration", "registration",
        "house registration", "birth registration")),
    Unit("id_card", "งานบัตรประจำตัวประชาชน", "ID cards", (
        "บัตรประจำตัวประชาชน", "งานบัตร", "ห้องบัตร", "ทำบัตร", "บัตรประชาชน", "บัตรปชช", "บัตร ปชช", "งานบัตรประชาชน",
        "ทำบัตรประชาชน", "บัตร", "id card", "idcard", "id cards", "identity card", "smart card")),
    Unit("general_registration", "งานทะเบียนทั่วไป", "General registration", (
        "ทะเบียนทั่วไป", "จดทะเบียนสมรส", "ทะเบียนสมรส", "สมรส", "หย่า", "จดทะเบียนหย่า", "เปลี่ยนชื่อ",
        "เปลี่ยนนามสกุล", "รับรองบุตร", "บุตรบุญธรรม", "general registration", "marriage registration")),
    Unit("damrongdhama", "ศูนย์ดำรงธรรมอำเภอ", "Damrongdhama Centre", (
        "ศูนย์ดำรงธรรม", "ดำรงธรรม", "ดำรงค์ธรรม", "ศูนย์ดำรงค์ธรรม", "ร้องเรียน", "ร้องทุกข์", "damrongdhama",
        "damrongtham", "damrong dhama", "complaint centre", "complaint center", "complaints")),
    Unit("local_administration", "งานปกครองท้องที่", "Local administration", (
        "ปกครองท้องที่", "ฝ่ายปกครอง", "งานปกครอง", "ปกครอง", "local administration")),
    Unit("justice", "งานอำนวยความเป็นธรรม", "Justice and mediation", (
        "อำนวยความเป็นธรรม", "ไกล่เกลี่ย", "ไกล่เกลี่ยข้อพิพาท", "mediation", "justice")),
    Unit("licences", "งานใบอนุญาต", "Licences and permits", (
        "ใบอนุญาต", "ขออนุญาต", "อนุญาต", "ใบอนุญาตอาวุธปืน", "ป.4", "ป4", "ทะเบียนอาวุธปืน", "อาวุธปืน",
        "licence", "license", "licences", "licenses", "permit", "permits", "gun licence")),
    Unit("finance", "งานการเงินและบัญชี", "Finance and accounts", (
        "การเงินและบัญชี", "การเงินบัญชี", "การเงิน", "บัญชี", "finance", "accounts", "accounting")),
    Unit("general_admin", "งานธุรการ", "Administration and records", (
        "ธุรการ", "สารบรรณ", "งานสารบรรณ", "administration", "admin office")),
    Unit("front_desk", "จุดประชาสัมพันธ์", "Information desk", (
        "ประชาสัมพันธ์", "ปชส.", "โต๊ะประชาสัมพันธ์", "จุดบริการข้อมูล", "information", "information desk",
        "front desk", "reception")),
    Unit("civil_defence", "กองร้อยอาสารักษาดินแดน (อส.)", "Volunteer Defence Corps", (
        "อาสารักษาดินแดน", "อส.", "กองร้อย อส.", "กองร้อยอส", "volunteer defence", "volunteer defense")),
)


def with_units(extra: Iterable[Unit | Mapping] = (), base: Iterable[Unit] = DEFAULT_UNITS) -> tuple[Unit, ...]:
    """The default units plus a district's own (its directory's `units`: Unit or {id, th, en, aliases}).

    A district unit with a default unit's id replaces it (its office names the room differently)."""
    units = {unit.id: unit for unit in base}
    for item in extra:
        unit = item if isinstance(item, Unit) else Unit(
            str(item["id"]), str(item["th"]), str(item.get("en") or item["th"]),
            tuple(str(a) for a in item.get("aliases", ())))
        units[unit.id] = unit
    return tuple(units.values())
