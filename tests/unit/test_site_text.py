"""The site's words and numbers: Buddhist-Era dates in Bangkok time, Thai number formatting, and search
that forgives prefixes, spacing, case and invisible characters, listing the provinces of a shared name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.ranking.site.fmt import number, parse_moment, score
from services.ranking.site.search import MAX_QUERY, QueryError, SearchIndex, normalise
from shared.districts import load_registry
from shared.thaidate import be_date, be_datetime, short_date

INDEX = SearchIndex(load_registry())


def test_buddhist_era_dates_in_thai_and_english():
    assert be_date(date(2026, 11, 22)) == "22 พ.ย. 2569"
    assert be_date(date(2027, 1, 1), "en") == "1 Jan 2570 B.E."
    assert short_date(date(2026, 3, 5)) == "5 มี.ค."


def test_times_are_bangkok_times_whatever_the_stored_zone():
    # 17:30 UTC on 22 November is 00:30 on the 23rd in Bangkok: the date turns too.
    assert be_datetime(datetime(2026, 11, 22, 17, 30, tzinfo=UTC)) == "23 พ.ย. 2569 เวลา 00:30 น."
    assert be_datetime(datetime(2026, 11, 22, 17, 30)) == "23 พ.ย. 2569 เวลา 00:30 น."  # naive = UTC (the store)
    assert be_datetime(datetime(2026, 11, 22, 2, 5, tzinfo=UTC), "en") == "22 Nov 2569 B.E., 09:05 (Bangkok)"
    assert parse_moment("2026-11-22T02:05:00.000Z") == datetime(2026, 11, 22, 2, 5, tzinfo=UTC)
    assert parse_moment("not a time") is None and parse_moment(None) is None


def test_numbers_for_thai_readers():
    assert number(1234567) == "1,234,567"
    assert number(0) == "0"
    assert number(None) == "–"
    assert score(4.5678) == "4.57" and score(4.0) == "4.00" and score(None) == "–"


@pytest.mark.parametrize("typed", ["หัวตะพาน", "อำเภอหัวตะพาน", "อ.หัวตะพาน", "อ. หัวตะพาน", " หัว ตะ พาน ",
                                   "Hua Taphan", "hua taphan district", "HUATAPHAN", "Amphoe Hua Taphan",
                                   "หัว\u200bตะพาน", "\ufeffหัวตะพาน", "อ\u0e4d\u0e32เภอหัวตะพาน"])
def test_a_district_however_it_is_typed(typed):
    results = INDEX.search(typed)
    assert results.exact and [d.code for d in results.districts] == ["3706"]
    assert results.single.code == "3706"


@pytest.mark.parametrize("typed,code", [
    ("หัวตะพาน จ.อำนาจเจริญ", "3706"), ("อ.หัวตะพาน จ.อำนาจเจริญ", "3706"), ("อำเภอหัวตะพาน จังหวัดอำนาจเจริญ", "3706"),
    ("หัวตะพาน อำนาจเจริญ", "3706"), ("Hua Taphan, Amnat Charoen", "3706"), ("Hua Taphan Amnat Charoen Province", "3706"),
    ("เฉลิมพระเกียรติ จ.นครศรีธรรมราช", "8023"),  # a shared name, told apart by its province
    ("4712", "4712"), ("๔๗๑๒", "4712"), (" 3706 ", "3706")])  # the code printed on every poster, Thai digits too
def test_a_district_with_its_province_or_by_its_code(typed, code):
    results = INDEX.search(typed)
    assert results.exact and [d.code for d in results.districts] == [code] and results.single.code == code


def test_a_code_that_is_no_district_finds_nothing():
    results = INDEX.search("9999")
    assert results.districts == () and results.provinces == () and results.single is None


@pytest.mark.parametrize("typed", ["น่าน", "จ.น่าน", "จ. น่าน", "จังหวัดน่าน", "Nan", "nan province"])
def test_a_province_however_it_is_typed(typed):
    results = INDEX.search(typed)
    assert [p.code for p in results.provinces] == ["55"] and results.single.code == "55"


def test_an_ambiguous_name_lists_every_province():
    results = INDEX.search("อ.เฉลิมพระเกียรติ")
    assert results.exact and results.single is None
    assert sorted(d.province_th for d in results.districts) == ["นครราชสีมา", "นครศรีธรรมราช", "น่าน", "บุรีรัมย์",
                                                               "สระบุรี"]
    assert {d.code for d in INDEX.search("Chaloem Phra Kiat").districts} == {d.code for d in results.districts}


def test_mueang_lists_all_its_districts_with_their_provinces():
    results = INDEX.search("อ.เมือง")
    mueang = [d for d in results.districts if d.name_th.startswith("เมือง")]
    assert len(mueang) == 79 and not results.exact and results.single is None
    assert results.districts[: len(mueang)] == tuple(mueang)  # names that start with it first
    assert len({d.province_code for d in mueang}) == 75  # Ayutthaya's capital district is not a เมือง…
    assert len(INDEX.search("mueang").districts) >= 79


def test_nothing_found_and_nothing_typed():
    assert INDEX.search("ลอนดอน").districts == () and INDEX.search("ลอนดอน").provinces == ()
    assert INDEX.search("อำเภอ").key == "" and INDEX.search("   ").districts == ()


@pytest.mark.parametrize("typed,error", [("ก" * (MAX_QUERY + 1), "query_too_long"), ("หัว\x00ตะพาน", "invalid_query"),
                                         ("\ud800", "invalid_query"), ("\ufffd", "invalid_query"),
                                         ("a\x1bb", "invalid_query")])
def test_queries_refused_with_a_reason(typed, error):
    with pytest.raises(QueryError) as raised:
        INDEX.search(typed)
    assert raised.value.error == error and raised.value.message["th"] and raised.value.message["en"]


def test_normalise_keeps_thai_marks_and_drops_only_prefixes():
    assert normalise("อำเภอ เมืองน่าน") == "เมืองน่าน"
    assert normalise("จ.อ.เมือง") == "เมือง"
    assert normalise("Mae Tha") == "maetha"
