"""Praise across districts for the centre (pure): the most praised units and people, by size group and
province, over a window of Bangkok days: the evidence for a staff award. Staff names are officials'
personal data: this table goes to the central office only (behind its key), never to a public route.

Rows are one (district, unit) or (district, person): a person belongs to one district; units are compared
across districts by their stable ids (shared.praise.DEFAULT_UNITS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from services.notify.praise_counts import count_praise
from shared.districts import Registry
from shared.praise import PraiseDirectory

COLUMNS = ["kind", "district_code", "district_th", "province_code", "province_th", "size_group", "key", "name",
           "votes"]


def centre_rows(docs: Iterable[Mapping], registry: Registry, directory_for: Callable[[str], PraiseDirectory], *,
                size_group: str | None = None, province: str | None = None) -> list[list]:
    """Counted praise per district (units, then people), most votes first; filtered by group and province."""
    by_district: dict[str, list[Mapping]] = {}
    for doc in docs:
        code = doc.get("district")
        if doc.get("praise_counted") and code in registry:
            by_district.setdefault(code, []).append(doc)
    rows: list[list] = []
    for code, its_docs in by_district.items():
        district = registry.get(code)
        if (size_group and district.size_group != size_group) or (province and district.province_code != province):
            continue
        counts = count_praise(its_docs, directory_for(code))
        place = [code, district.name_th, district.province_code, district.province_th, district.size_group]
        rows += [["unit", *place, u.key, u.name, u.votes] for u in counts.units]
        rows += [["person", *place, p.key, p.name, p.votes] for p in counts.people]
    return sorted(rows, key=lambda r: (r[0] != "unit", -r[-1], r[1], r[6]))
