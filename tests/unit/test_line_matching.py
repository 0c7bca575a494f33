"""District matching and the conversation's pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.ingest.line.conversation import CastVote, Rules, SayOnly
from services.ingest.line.matching import DistrictMatcher
from shared.districts import default_registry

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def matcher():
    return DistrictMatcher(default_registry())


@pytest.mark.parametrize("text", ["3706", "โหวต 3706", "๓๗๐๖", "หัวตะพาน", "อำเภอหัวตะพาน", "อ.หัวตะพาน",
                                  "อำเภอหัวตะพาน จังหวัดอำนาจเจริญ", "Hua Taphan", "hua taphan district",
                                  "Amphoe Hua Taphan", "  หัวตะพาน  "])
def test_code_or_name_in_thai_or_english_finds_the_district(matcher, text):
    assert matcher.match(text).unique.code == "3706"


def test_a_shared_name_gives_candidates_and_the_province_settles_it(matcher):
    many = matcher.match("เฉลิมพระเกียรติ")
    assert len(many.districts) == 5 and many.unique is None
    one = matcher.match("เฉลิมพระเกียรติ " + many.districts[0].province_th)
    assert one.unique == many.districts[0]


@pytest.mark.parametrize("text", ["1001", "ดินแดง", "สวัสดีค่ะ", "", "12345"])
def test_bangkok_and_unknown_text_match_nothing(matcher, text):
    assert matcher.match(text).districts == ()


def test_postbacks_carry_district_and_score_and_go_stale():
    rules = Rules(default_registry())
    ts = int(NOW.timestamp())
    assert rules.on_postback(f"v1|vote|3706|4|{ts}", NOW) == CastVote(default_registry().get("3706"), 4)
    for data in [f"v1|vote|3706|4|{ts - 25 * 3600}", f"v1|vote|1001|4|{ts}", f"v1|vote|3706|9|{ts}", "junk",
                 f"v0|vote|3706|4|{ts}", "v1|vote|3706|4|x"]:
        assert isinstance(rules.on_postback(data, NOW), SayOnly), data
    assert rules.on_postback(f"v1|vote|3706|4|{ts}", NOW + timedelta(hours=23)).score == 4
