"""Find the district a citizen means from what they typed: a DOPA code or a name, Thai or English.

Pure: built once from the registry. Matching is exact after normalising (no fuzzy guesses: a
vote must go to the district the citizen meant), so a name shared by several districts gives
the candidates to choose from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shared.districts import District, Registry

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_CODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Words people put around a name: "อำเภอ…", "อ.…", "จังหวัด…", "จ.…", "amphoe …", "… district".
_THAI_WORDS = re.compile(r"อำเภอ|จังหวัด|เขต|โหวต|(?<![ก-๙])อ\.|(?<![ก-๙])จ\.")
_ENGLISH_WORDS = re.compile(r"\b(amphoe|amphur|amphur|district|province|changwat|vote)\b")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = _THAI_WORDS.sub(" ", text)
    text = _ENGLISH_WORDS.sub(" ", text)
    return re.sub(r"[^0-9a-zก-๙]", "", text)


@dataclass(frozen=True)
class Match:
    districts: tuple[District, ...]
    code_not_found: str | None = None  # a 4-digit code that is not in the programme

    @property
    def unique(self) -> District | None:
        return self.districts[0] if len(self.districts) == 1 else None


class DistrictMatcher:
    def __init__(self, registry: Registry):
        self.registry = registry
        self._by_key: dict[str, list[District]] = {}
        for d in registry:
            for name, province in ((d.name_th, d.province_th), (d.name_en, d.province_en)):
                for key in {_key(name), _key(name + province)}:
                    self._by_key.setdefault(key, []).append(d)

    def match(self, text: str) -> Match:
        digits = unicodedata.normalize("NFC", text).translate(_THAI_DIGITS)
        codes = _CODE.findall(digits)
        if len(codes) == 1:  # "3706", "โหวต 3706", "อำเภอ 3706"
            district = self.registry.get(codes[0])
            return Match((district,)) if district else Match((), code_not_found=codes[0])
        found = self._by_key.get(_key(text), [])
        unique = {d.code: d for d in found}
        return Match(tuple(sorted(unique.values(), key=lambda d: d.code)))
