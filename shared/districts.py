"""The district registry: the 878 DOPA districts (อำเภอ) in the programme and their size groups.

Bangkok's 50 khet are run by the BMA, not DOPA, so they are not in the programme and are
unknown codes here like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import geothai

from shared.config import MissingSetting

BANGKOK_PROVINCE = "10"
SIZE_GROUPS = ("small", "medium", "large")
EXPECTED_DISTRICTS = 878


@dataclass(frozen=True)
class District:
    code: str
    name_th: str
    name_en: str
    province_code: str
    province_th: str
    province_en: str
    subdistricts: int
    size_group: str

    def to_document(self) -> dict:
        return {
            "_id": self.code,
            "name_th": self.name_th,
            "name_en": self.name_en,
            "province_code": self.province_code,
            "province_th": self.province_th,
            "province_en": self.province_en,
            "subdistricts": self.subdistricts,
            "size_group": self.size_group,
        }


def size_group_by_subdistricts(count: int) -> str:
    """Default rule while no official list is at hand: ≤ 8 small, 9–14 medium, ≥ 15 large."""
    if count <= 8:
        return "small"
    if count <= 14:
        return "medium"
    return "large"


class SizeGroupFileError(ValueError):
    """An official size-group CSV that cannot be applied; the file is refused whole."""


class Registry:
    def __init__(self, districts: Iterable[District]):
        self._by_code: dict[str, District] = {d.code: d for d in districts}

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[District]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> District | None:
        return self._by_code.get(code)

    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    def with_size_groups(self, groups: Mapping[str, str]) -> Registry:
        return Registry(replace(d, size_group=groups[d.code]) for d in self)


def parse_size_groups_csv(text: str, known_codes: frozenset[str]) -> dict[str, str]:
    """Parse `district_code,size_group`; every problem is collected so one fix round is enough."""
    problems: list[str] = []
    groups: dict[str, str] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != ["district_code", "size_group"]:
        raise SizeGroupFileError("the header must be exactly: district_code,size_group")
    for line_no, row in enumerate(reader, start=2):
        code = (row.get("district_code") or "").strip()
        group = (row.get("size_group") or "").strip().lower()
        if code not in known_codes:
            problems.append(f"line {line_no}: unknown district code {code!r}")
        elif code in groups:
            problems.append(f"line {line_no}: district {code} appears twice")
        if group not in SIZE_GROUPS:
            problems.append(f"line {line_no}: size group {group!r} is not one of small, medium, large")
        if code in known_codes and group in SIZE_GROUPS:
            groups.setdefault(code, group)
    missing = sorted(known_codes - groups.keys())
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        problems.append(f"{len(missing)} districts are missing: {shown}")
    if problems:
        raise SizeGroupFileError("size-group file refused: " + "; ".join(problems))
    return groups


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry from the pinned geothai data, sized by the subdistrict rule."""
    districts = []
    for province in geothai.provinces():
        if province.code == BANGKOK_PROVINCE:
            continue
        for d in geothai.districts(province.code):
            count = len(geothai.subdistricts(d.code))
            districts.append(
                District(
                    code=d.code,
                    name_th=d.name_th,
                    name_en=d.name_en,
                    province_code=province.code,
                    province_th=province.name_th,
                    province_en=province.name_en,
                    subdistricts=count,
                    size_group=size_group_by_subdistricts(count),
                )
            )
    registry = Registry(districts)
    if len(registry) != EXPECTED_DISTRICTS:
        raise RuntimeError(f"geothai gave {len(registry)} districts outside Bangkok, expected 878")
    return registry


def load_registry(size_groups_csv: str | Path | None = None) -> Registry:
    """The registry, with the official size groups applied when a CSV is configured."""
    registry = default_registry()
    if size_groups_csv:
        try:
            text = Path(size_groups_csv).read_text(encoding="utf-8")
        except OSError as exc:  # a process must not start with the default groups when the official ones were meant
            raise MissingSetting("SIZE_GROUPS_CSV", f"{size_groups_csv} cannot be read: {exc.strerror}") from exc
        registry = registry.with_size_groups(parse_size_groups_csv(text, registry.codes()))
    return registry
