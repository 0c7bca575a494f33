"""Published stories on the public site (issue 21), over ranking's in-memory store stand-in: the district
page and the stories page show the approved text with the chosen credit (Thai first, BE dates), the filters
work and refuse bad input precisely, the open data carries the licence, and a withdrawal removes the story
from every page and file of the next view."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.ranking.app import create_app
from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from services.ranking.site.views import Staleness
from shared.events import PublishedStoryEvent
from tests.support.ranking_fakes import MemoryRankingStore

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
TOLD = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TEXT = "เจ้าหน้าที่ช่วยกรอกเอกสารให้จนเสร็จ ประทับใจเกินคาด"
OTHER = "ได้รับบริการรวดเร็วมาก ขอบคุณทีมงานทะเบียน"
TOPIC = "stories.published.v1"
SID, SID2 = "a" * 32, "b" * 32


class Rec:
    def __init__(self, event: PublishedStoryEvent):
        self.value, self.topic, self.partition, self.offset, self.key = event.to_bytes(), TOPIC, 0, 0, event.key


def _site(store: MemoryRankingStore):
    ranking = bootstrap(RankingConfig(), store=store, clock=lambda: NOW)
    app = create_app(ranking)
    app.extensions["site"].staleness = Staleness(lambda: True, lambda: 0.0, every_s=0)
    return ranking, app


@pytest.fixture
def site():
    store = MemoryRankingStore()
    ranking, app = _site(store)
    client, live = app.test_client(), app.extensions["ranking"].live
    processor = ranking.processor()
    processor.handle([Rec(PublishedStoryEvent(SID, "3706", "published", NOW, text=TEXT, credit="ส.จ.", told_at=TOLD)),
                      Rec(PublishedStoryEvent(SID2, "4712", "published", NOW, text=OTHER,
                                              told_at=TOLD))])
    live.refresh()
    return ranking, client, processor, live


def test_the_district_page_shows_the_story_with_its_credit_thai_first(site):
    _, client, _, _ = site
    page = client.get("/ranking/district/3706").get_data(as_text=True)
    assert TEXT in page and "เล่าโดย ส.จ." in page and "1 ธ.ค. 2569" in page and OTHER not in page
    english = client.get("/ranking/district/3706?lang=en").get_data(as_text=True)
    assert TEXT in english and "Told by ส.จ." in english and "2569" in english
    other = client.get("/ranking/district/4712").get_data(as_text=True)
    assert OTHER in other and "ผู้รับบริการ (ไม่ระบุชื่อ)" in other


def test_the_stories_page_filters_by_province_and_size_group(site):
    ranking, client, _, _ = site
    both = client.get("/ranking/stories").get_data(as_text=True)
    assert TEXT in both and OTHER in both and 'aria-current="page"' in both
    province = ranking.registry.get("3706").province_code
    only = client.get(f"/ranking/stories?province={province}").get_data(as_text=True)
    assert TEXT in only and OTHER not in only
    group = ranking.registry.get("4712").size_group
    by_group = client.get(f"/ranking/stories?group={group}").get_data(as_text=True)
    assert OTHER in by_group and (TEXT in by_group) == (ranking.registry.get("3706").size_group == group)
    assert client.get("/ranking/stories?province=99").status_code == 404
    assert client.get("/ranking/stories?group=huge").status_code == 404
    assert client.get("/ranking/stories?lang=xx").status_code == 400


def test_the_open_data_carries_the_stories_and_the_licence(site):
    _, client, _, _ = site
    body = client.get("/ranking/data/stories.json").get_json()
    assert body["licence"]["name"].startswith("Creative Commons") and len(body["stories"]) == 2
    assert {s["text"] for s in body["stories"]} == {TEXT, OTHER}
    csv_text = client.get("/ranking/data/stories.csv").get_data(as_text=True)
    assert TEXT in csv_text and "story_id" in csv_text
    assert "stories.csv" in client.get("/ranking/data").get_data(as_text=True)


def test_a_withdrawn_story_is_gone_from_every_page_and_file(site):
    _, client, processor, live = site
    before = client.get("/ranking/stories")
    processor.handle([Rec(PublishedStoryEvent(SID, "3706", "withdrawn", NOW))])
    live.refresh()
    for path in ("/ranking/district/3706", "/ranking/stories", "/ranking/stories?lang=en",
                 "/ranking/data/stories.json", "/ranking/data/stories.csv", "/"):
        response = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
        assert TEXT not in response.get_data(as_text=True), path
    assert OTHER in client.get("/ranking/stories").get_data(as_text=True)
    assert json.loads(client.get("/ranking/data/stories.json").data)["stories"][0]["text"] == OTHER


def test_a_bad_record_is_refused_not_applied(site):
    _, _, processor, _ = site

    class Bad(Rec):
        def __init__(self):
            self.value, self.topic, self.partition, self.offset, self.key = b'{"schema":"x"}', TOPIC, 0, 1, b"k"

    report = processor.handle([Bad()])
    assert report.invalid == 1 and report.stories == 0
