"""Finding a district or province by its Thai or English name, however it is typed.

Tolerant of what people type: the prefixes อำเภอ / อ. / จังหวัด / จ. (and District, Amphoe,
Province, Changwat), spaces anywhere (Thai is written without them; "Hua Taphan" = "huataphan"),
case, and invisible characters pasted from chat apps (zero-width spaces, joiners, BOM).
A name shared by several districts (five เฉลิมพระเกียรติ) or a stem shared by many (79 เมือง…)
lists them all with their provinces. The two ways a district is written on paper find it too: with
its province ("หัวตะพาน จ.อำนาจเจริญ", "Hua Taphan, Amnat Charoen") and as the 4-digit DOPA code printed
on every poster ("4712", Thai digits too). Pure: the index is built once from the registry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shared.districts import District, Registry

MAX_QUERY = 100  # characters: the longest district or province name is under 40
MAX_RESULTS = 100  # the 79 เมือง… districts fit
# Longest first, so "อำเภอ" is removed whole, not as "อ" + "ำเภอ".
_PREFIXES = ("อำเภอ", "จังหวัด", "อ.", "จ.", "amphoe", "amphur", "changwat", "district", "province", "khet")
_SUFFIXES = ("district", "province")
_INVISIBLE = {"Cf"}  # format characters: zero-width space/joiners, BOM, bidi marks
# A province (or district) word after the first name: "หัวตะพาน จ.อำนาจเจริญ", "Hua Taphan, Amnat Charoen Province".
_INNER_WORDS = re.compile(r"[\s,]+(?:จังหวัด|จ\.|อำเภอ|อ\.|changwat|province|amphoe|district)?\s*", re.IGNORECASE)
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_CODE = re.compile(r"^[0-9]{4}$")


class QueryError(ValueError):
    """A query the site refuses (too long, control characters): the page says which."""

    def __init__(self, error: str, message_th: str, message_en: str):
        super().__init__(message_en)
        self.error = error
        self.message = {"th": message_th, "en": message_en}


def normalise(text: str) -> str:
    """The comparable form of a name or a query: NFC, casefolded, no prefix, no spaces or invisible marks."""
    # NFKC folds full-width Latin and compatibility forms, but splits SARA AM (ำ) into NIKHAHIT + SARA AA,
    # which is also how some keyboards type it: both become the one letter again.
    text = unicodedata.normalize("NFKC", text).replace("\u0e4d\u0e32", "\u0e33")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE).casefold().strip()
    changed = True
    while changed:  # "จ. อ.เมือง" and "อำเภอ อำเภอ…" alike
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix):
                text, changed = text[len(prefix):].lstrip(" ."), True
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)].rstrip(), True
    return re.sub(r"[\s\-'’.]+", "", text)


def check_query(raw: str) -> str:
    """The query as typed, or QueryError for one the site will not search."""
    if len(raw) > MAX_QUERY:
        raise QueryError("query_too_long",
                         f"คำค้นยาว {len(raw):,} ตัวอักษร เกิน {MAX_QUERY} ตัวอักษร กรุณาพิมพ์เพียงชื่ออำเภอหรือจังหวัด",
                         f"the query is {len(raw):,} characters long, over {MAX_QUERY}; type just a district "
                         "or province name")
    if "\ufffd" in raw or any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\t\n\r" for ch in raw):
        raise QueryError("invalid_query", "คำค้นมีอักขระที่ใช้ไม่ได้ กรุณาพิมพ์ชื่ออำเภอหรือจังหวัดด้วยตัวอักษรธรรมดา",
                         "the query contains control or undecodable characters; type a district or province "
                         "name in plain letters")
    return raw


@dataclass(frozen=True)
class Province:
    code: str
    name_th: str
    name_en: str
    districts: int


@dataclass(frozen=True)
class Results:
    query: str
    key: str
    districts: tuple[District, ...]
    provinces: tuple[Province, ...]
    exact: bool  # the districts listed are exact name matches (an ambiguous name), not a stem
    truncated: bool

    @property
    def single(self) -> District | Province | None:
        """The one place an exact query names (the site sends the reader straight to it)."""
        if not self.exact:
            return None
        places = [*self.districts, *self.provinces]
        return places[0] if len(places) == 1 else None


class SearchIndex:
    def __init__(self, registry: Registry):
        districts = sorted(registry, key=lambda d: (d.province_th, d.name_th, d.code))
        self._districts = [(normalise(d.name_th), normalise(d.name_en), d) for d in districts]
        self._by_code = {d.code: d for d in districts}
        self._with_province: dict[str, list[District]] = {}  # "หัวตะพานอำนาจเจริญ", "huataphanamnatcharoen"
        for d in districts:
            th, en = normalise(d.name_th) + normalise(d.province_th), normalise(d.name_en) + normalise(d.province_en)
            for key in {th, en}:
                self._with_province.setdefault(key, []).append(d)
        by_province: dict[str, list[District]] = {}
        for d in districts:
            by_province.setdefault(d.province_code, []).append(d)
        self.provinces = {code: Province(code, ds[0].province_th, ds[0].province_en, len(ds))
                          for code, ds in sorted(by_province.items())}
        self._provinces = [(normalise(p.name_th), normalise(p.name_en), p)
                           for p in sorted(self.provinces.values(), key=lambda p: p.name_th)]

    def search(self, query: str) -> Results:
        key = normalise(check_query(query))
        if not key:
            return Results(query, key, (), (), False, False)
        if _CODE.match(digits := key.translate(_THAI_DIGITS)):
            found_code = self._by_code.get(digits)
            return Results(query, digits, (found_code,) if found_code else (), (), True, False)
        exact_d = [d for th, en, d in self._districts if key in (th, en)]
        exact_p = [p for th, en, p in self._provinces if key in (th, en)]
        if exact_d or exact_p:
            return Results(query, key, tuple(exact_d), tuple(exact_p), True, False)
        with_province = self._with_province.get(normalise(_INNER_WORDS.sub(" ", query.strip())))
        if with_province:
            return Results(query, key, tuple(with_province), (), True, False)
        starts = [d for th, en, d in self._districts if th.startswith(key) or en.startswith(key)]
        inside = [d for th, en, d in self._districts if (key in th or key in en) and d not in starts]
        found = starts + inside
        provinces = [p for th, en, p in self._provinces if key in th or key in en]
        return Results(query, key, tuple(found[:MAX_RESULTS]), tuple(provinces), False, len(found) > MAX_RESULTS)
