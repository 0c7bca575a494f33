"""The centre's filters, Thai search and topic counts, on in-memory feedback documents."""

from __future__ import annotations

from datetime import date

import pytest

from services.notify.feedback_query import parse_query
from services.notify.feedback_search import matcher, terms
from services.notify.topic_stats import summarise, worsening
from shared.districts import default_registry
from shared.errors import ApiError

REGISTRY = default_registry()
TODAY = date(2026, 12, 1)


def doc(text: str, district: str = "3706", day: str = "2026-11-30", **extra) -> dict:
    return {"_id": text, "district": district, "day": day, "comment": text, "score": 2, "service": "id_card",
            "channel": "qr", "comment_channel": None, "topics": {}, **extra}


def test_every_bad_filter_is_named_in_one_400():
    with pytest.raises(ApiError) as caught:
        parse_query({"from": "2026-13-01", "to": "yesterday", "aspect": "queue", "polarity": "meh", "score": "9",
                     "province": "99", "district": "0000", "size_group": "huge", "channel": "fax",
                     "service": "pizza", "q": "ร" * 101}, REGISTRY, TODAY)
    assert caught.value.status == 400 and caught.value.error == "invalid_filter"
    assert set(caught.value.fields) == {"from", "to", "aspect", "polarity", "score", "province", "district",
                                        "size_group", "channel", "service", "q"}


@pytest.mark.parametrize("args, field", [({"from": "2026-12-02"}, "from"), ({"from": "2026-01-01"}, "from"),
                                         ({"score": "-1"}, "score"), ({"score": "1.5"}, "score")])
def test_a_period_backwards_or_longer_than_92_days_and_odd_scores_are_refused(args, field):
    with pytest.raises(ApiError) as caught:
        parse_query(args, REGISTRY, TODAY)
    assert field in caught.value.fields


def test_the_default_period_is_the_last_30_days():
    q = parse_query({}, REGISTRY, TODAY)
    assert (q.first, q.last, q.days) == (date(2026, 11, 2), TODAY, 30)
    assert (q.before().first, q.before().last) == (date(2026, 10, 3), date(2026, 11, 1))


def test_thai_words_match_inside_longer_words_and_across_spaces_but_not_apart():
    keep = matcher(parse_query({"q": "รอนาน"}, REGISTRY, TODAY), REGISTRY)
    assert terms("รอนาน") == ["รอนาน"]
    assert keep(doc("รอนานมาก")) and keep(doc("รอ นาน นน ห้องน้ำ"))
    assert not keep(doc("รอไม่นานเลย")) and not keep(doc(""))


def test_filters_by_area_aspect_polarity_channel_and_score():
    province = REGISTRY.get("3706").province_code
    keep = matcher(parse_query({"province": province, "aspect": "waiting", "polarity": "negative", "score": "2",
                                "channel": "line"}, REGISTRY, TODAY), REGISTRY)
    good = doc("x", topics={"waiting": "negative"}, comment_channel="line")
    assert keep(good)
    assert not keep({**good, "district": "4408"}) and not keep({**good, "topics": {"waiting": "positive"}})
    assert not keep({**good, "comment_channel": None}) and not keep({**good, "score": 3})


def test_worsening_ranks_the_rise_in_the_share_of_blame():
    before = summarise([doc(f"b{i}", d, topics={"waiting": "negative"} if i == 0 else {})
                        for d in ("3706", "4408") for i in range(4)], REGISTRY)
    now = summarise([doc(f"n{i}", "3706", topics={"waiting": "negative"}) for i in range(4)]
                    + [doc(f"m{i}", "4408", topics={"waiting": "negative"} if i < 2 else {}) for i in range(4)]
                    + [doc("few", "4712", topics={"waiting": "negative"})], REGISTRY)
    rows = worsening(now, before, REGISTRY)["waiting"]
    assert [(r["district_code"], r["rise"]) for r in rows] == [("3706", 0.75), ("4408", 0.25)]
    assert now.by_service["id_card"].comments == 9 and now.total.topics["waiting"]["negative"] == 7
