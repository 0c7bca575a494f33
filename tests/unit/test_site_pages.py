"""The site's pages through Flask's test client over an in-memory stand-in of ranking's store: what each
page says, ETag and Cache-Control on every answer, a precise 4xx for every kind of bad input, no comment
text anywhere, and the "data as of" note when the consumer is down."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from services.ranking.app import create_app
from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from services.ranking.formulas import Formula, GroupPrior, WindowFigures
from services.ranking.processor import RankingProcessor
from services.ranking.site.views import Staleness
from shared.districts import load_registry
from shared.timeutil import bangkok_day
from tests.support.ranking_fakes import MemoryRankingStore
from tests.support.site_data import seed_campaign

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok
COMMENT = "เจ้าหน้าที่พูดจาไม่สุภาพ โทร 0812345678"
CONSUMER = {"ready": True}


class Rec:
    def __init__(self, value: bytes):
        self.value, self.topic, self.partition, self.offset = value, "scores.v1", 0, 0


def standing_with_comment(code: str) -> Rec:
    window = {"from": None, "to": None, "votes": 40, "sum": 190, "mean": 4.75,
              "histogram": {"1": 0, "2": 0, "3": 0, "4": 10, "5": 30}, "last_vote_at": None}
    return Rec(json.dumps({"schema": "scores.v1", "district_code": code, "day": "2026-11-22",
                           "as_of": "2026-11-22T04:59:00.000Z", "votes_offset": 99,
                           "windows": {"campaign": window, "last_7_days": window, "last_30_days": window},
                           "latest_comments": [{"vote_id": "v", "score": 1, "comment": COMMENT,
                                                "at": "2026-11-22T04:58:00.000Z"}]}).encode())


REGISTRY = load_registry()


@pytest.fixture(scope="module")
def client():
    return site_client(MemoryRankingStore())


def site_client(store: MemoryRankingStore):
    config = RankingConfig(public_base_url="https://vote.example.test")
    ranking = bootstrap(config, store=store, clock=lambda: NOW)
    seed_campaign(store, ranking.registry, config.formula, bangkok_day(NOW), days=8, now=NOW)
    RankingProcessor(store, ranking.registry, config.formula, clock=lambda: NOW).handle([standing_with_comment("3706")])
    app = create_app(ranking)
    app.extensions["site"].staleness = Staleness(lambda: CONSUMER["ready"], lambda: 0.0, every_s=0)
    return app.test_client()


def html(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.data[:500])
    return response.get_data(as_text=True)


def cells(page: str, cls: str) -> list[str]:
    return re.findall(rf'<td class="[^"]*\b{cls}\b[^"]*">([^<]*)</td>', page)


ALL_PAGES = ["/", "/?window=7d", "/?lang=en", "/ranking/board/small", "/ranking/board/large?window=30d&page=2",
             "/ranking/board/medium?province=37", "/ranking/district/3706", "/ranking/district/3706?lang=en",
             "/ranking/province/37", "/ranking/search?q=เมือง", "/ranking/search", "/ranking/awards",
             "/ranking/how", "/ranking/data", "/ranking/data/small.csv", "/ranking/data/large.json?window=7d",
             "/badge/3706.svg", "/badge/4408.svg?lang=en"]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_answer_has_an_etag_cache_control_and_a_304(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert COMMENT not in first.get_data(as_text=True) and "0812345678" not in first.get_data(as_text=True)
    assert first.headers["Content-Type"].endswith("; charset=utf-8"), first.headers["Content-Type"]  # Thai text


def test_home_shows_the_boards_national_figures_and_when(client):
    page = html(client, "/")
    api = client.get("/v1/leaderboards/small?per_page=10").get_json()["entries"]
    rows = re.findall(r'<tr data-code="(\d{4})"', page)
    assert rows[:10] == [e["district_code"] for e in api]
    assert len(rows) == 30  # three groups, top 10 each
    figures = client.get("/ranking/data/small.json").get_json()["entries"]
    assert figures[0]["district_code"] == api[0]["district_code"]
    assert "ข้อมูล ณ 22 พ.ย. 2569 เวลา 12:00 น." in page
    assert 'aria-current="page">ตลอดโครงการ' in page
    assert 'href="/?window=30d"' in page and 'href="/?lang=en"' in page


def test_the_english_switch_keeps_the_page_and_every_link_keeps_the_language(client):
    page = html(client, "/ranking/board/small?window=7d&lang=en")
    assert '<html lang="en">' in page and "Small districts" in page
    assert 'href="/ranking/board/small?window=7d"' in page  # the switch back to Thai
    assert re.search(r'href="/ranking/district/\d{4}\?lang=en"', page)
    assert 'href="/ranking/board/small?window=7d&amp;page=2&amp;lang=en"' in page


def test_board_pages_and_province_filter_match_the_api(client):
    page = html(client, "/ranking/board/small?page=3")
    api = client.get("/v1/leaderboards/small?page=3").get_json()
    assert re.findall(r'<tr data-code="(\d{4})"', page) == [e["district_code"] for e in api["entries"]]
    assert f"หน้า 3 จาก {api['pages']}" in page and 'rel="prev"' in page and 'rel="next"' in page
    filtered = html(client, "/ranking/board/small?province=37")
    api = client.get("/v1/leaderboards/small?province=37&per_page=1000").get_json()["entries"]
    assert re.findall(r'<tr data-code="(\d{4})"', filtered) == [e["district_code"] for e in api]
    assert '<option value="37" selected>' in filtered


def test_district_page_says_rank_score_and_links_to_vote(client):
    page = html(client, "/ranking/district/3706")
    api = client.get("/v1/districts/3706/rank").get_json()["windows"]["campaign"]
    assert f"อันดับ {api['rank']} จาก 533 อำเภอขนาดเล็ก" in page
    assert f'<dd class="score">{api["score"]:.2f}</dd>' in page
    assert 'href="https://vote.example.test/d/3706"' in page and "<svg" in page
    assert "/badge/3706.svg" in page


def test_district_page_says_truly_where_comments_go(client):
    """Every counted comment now reaches the chief's inbox (notify's feedback view) and the centre: the
    page used to say they went to the chief only, while a chief without an alert never saw one."""
    page = html(client, "/ranking/district/3706")
    assert "ส่งถึงกล่องความคิดเห็นของนายอำเภอ" in page and "สำนักงานกลาง" in page
    assert "ส่งถึงนายอำเภอเท่านั้น" not in page


def test_badge_text_matches_the_rank(client):
    api = client.get("/v1/districts/3706/rank").get_json()["windows"]["campaign"]
    svg = client.get("/badge/3706.svg").get_data(as_text=True)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts == ["อำเภอสร้างสุข", f"อันดับ {api['rank']} จาก 533 อำเภอขนาดเล็ก",
                     f"อำเภอหัวตะพาน จ.อำนาจเจริญ · คะแนน {api['score']:.2f}"]


def test_how_page_works_the_example_with_the_formula_in_force(client):
    page = html(client, "/ranking/how")
    formula = Formula("bayes")
    prior = GroupPrior(10_000, 42_000)
    few = formula.score(WindowFigures(3, 15, (0, 0, 0, 0, 3)), prior)
    many = formula.score(WindowFigures(900, 4320), prior)
    assert f"<strong>{few:.2f}</strong>" in page and f"<strong>{many:.2f}</strong>" in page
    assert 'id="formula-name">bayes<' in page and "m = 20" in page


def test_awards_page_lists_the_winners_with_the_hash_and_how_to_verify(client):
    page = html(client, "/ranking/awards")
    award = client.get("/v1/awards/2569-Q4").get_json()
    assert award["sha256"] in page and "sangsuk awards verify 2569-Q4 --file award.json" in page
    for group in ("small", "medium", "large"):
        winner = next(e for e in award["snapshot"]["groups"][group] if e["rank"] == 1)
        assert f'data-code="{winner["district_code"]}" class="winner"' in page
        name = REGISTRY.get(winner["district_code"]).name_th
        assert re.search(rf'class="winners">ผู้ชนะ: <a href="[^"]+">{name}</a>', page)  # named, not a code
    # The recipe names this site's own address, not a hard-coded production host.
    assert "curl -o award.json https://vote.example.test/v1/awards/2569-Q4" in page
    assert "amphoesangsook.com/v1/awards" not in page


def test_a_withdrawn_award_stays_listed_marked_with_its_reason_and_wins_nothing(client):
    store = MemoryRankingStore()
    withdrawn = site_client(store)
    [name] = [a["_id"] for a in store.all_awards()]
    winner = client.get(f"/v1/awards/{name}").get_json()["snapshot"]["groups"]["small"][0]["district_code"]
    assert name in html(client, f"/ranking/district/{winner}")  # the prize shows on the winner's page
    assert store.withdraw_award(name, {"at": "2026-11-22T05:00:00.000Z", "reason": "ปิดรอบผิดช่วงเวลา"})
    store.note_award()
    page = html(withdrawn, "/ranking/awards")
    assert "ถอนผลรางวัลนี้แล้วเมื่อ" in page and "เหตุผล: ปิดรอบผิดช่วงเวลา" in page
    assert 'class="winner"' not in page and 'class="winners"' not in page
    assert "This award was withdrawn on" in html(withdrawn, "/ranking/awards?lang=en")
    assert name not in html(withdrawn, f"/ranking/district/{winner}")  # no prize on the winner's page


def test_open_data_carries_the_licence_and_neutralises_formulas(client):
    body = client.get("/ranking/data/small.json").get_json()
    assert body["licence"]["name"].startswith("Creative Commons Attribution 4.0")
    assert len(body["entries"]) == 533
    csv = client.get("/ranking/data/small.csv")
    assert csv.data.startswith("\ufeffrank,district_code".encode()) and csv.mimetype == "text/csv"
    assert len(csv.get_data(as_text=True).strip().splitlines()) == 534
    eligible = {line.split(",")[10] for line in csv.get_data(as_text=True).strip().splitlines()[1:]}
    assert eligible <= {"ใช่", "ไม่ใช่"} and eligible  # yes/no in Thai, never True/False


def test_data_as_of_note_when_the_consumer_is_down(client):
    assert 'id="stale-note"' not in html(client, "/ranking/board/small")
    CONSUMER["ready"] = False
    try:
        for path in ("/", "/ranking/board/small", "/ranking/district/3706"):
            page = html(client, path)
            assert 'id="stale-note"' in page and "ข้อมูล ณ 22 พ.ย. 2569 เวลา 12:00 น." in page
    finally:
        CONSUMER["ready"] = True


BAD = [
    ("/ranking/board/huge", 404, "unknown_group"),
    ("/ranking/board/small?window=1y", 400, "unknown_window"),
    ("/?window=", 400, "unknown_window"),
    ("/ranking/board/small?page=0", 400, "invalid_paging"),
    ("/ranking/board/small?page=-1", 400, "invalid_paging"),
    ("/ranking/board/small?page=1.5", 400, "invalid_paging"),
    ("/ranking/board/small?page=%D9%A3", 400, "invalid_paging"),  # an Arabic-Indic 3
    ("/ranking/board/small?page=" + "9" * 30, 400, "invalid_paging"),
    ("/ranking/board/small?page=999", 400, "invalid_paging"),  # past the last page
    ("/ranking/board/small?province=99", 404, "unknown_province"),
    ("/ranking/board/small?province=%E0%B8%81", 404, "unknown_province"),
    ("/ranking/district/1001", 404, "unknown_district"),
    ("/ranking/district/%F0%9F%98%80", 404, "unknown_district"),
    ("/ranking/province/10", 404, "unknown_province"),
    ("/ranking/province/37?window=week", 400, "unknown_window"),
    ("/?lang=fr", 400, "unknown_lang"),
    ("/ranking/search?q=" + "%E0%B8%81" * 101, 400, "query_too_long"),
    ("/ranking/search?q=%ED%A0%80", 400, "invalid_encoding"),  # a lone surrogate, as UTF-8 bytes
    ("/ranking/search?q=%FF%FE", 400, "invalid_encoding"),  # not UTF-8 at all
    ("/ranking/board/small?province=%C0%AF", 400, "invalid_encoding"),  # an overlong "/"
    ("/ranking/search?q=a%00b", 400, "invalid_query"),
    ("/?x=" + "a" * 5000, 414, "query_too_long"),
]


@pytest.mark.parametrize("path,status,error", BAD, ids=[b[0][:50] for b in BAD])
def test_bad_input_gets_a_precise_4xx_page(client, path, status, error):
    response = client.get(path)
    assert response.status_code == status, response.data[:300]
    page = response.get_data(as_text=True)
    assert f'data-error="{error}"' in page and 'id="error-message"' in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path,status,error", [
    ("/badge/1001.svg", 404, "unknown_district"), ("/badge/3706.svg?lang=xx", 400, "unknown_lang"),
    ("/ranking/data/huge.csv", 404, "unknown_group"), ("/ranking/data/small.xml", 404, "unknown_format"),
    ("/ranking/data/small.json?window=1y", 400, "unknown_window"),
    ("/ranking/static/../app.py", 404, "not_found"), ("/ranking/static/fonts/../../app.py", 404, "not_found"),
])
def test_bad_input_to_files_gets_the_platform_json_error(client, path, status, error):
    response = client.get(path)
    assert response.status_code == status and response.get_json()["error"] == error, response.data[:300]


def test_unknown_parameters_are_ignored_and_do_not_multiply_the_cache(client):
    """Links shared on Facebook come back with fbclid and utm_*: the page is the same page."""
    plain = client.get("/ranking/district/3706")
    tagged = client.get("/ranking/district/3706?fbclid=abc&utm_source=line")
    assert tagged.status_code == 200 and tagged.headers["ETag"] == plain.headers["ETag"]


def test_static_files_and_the_font_are_served_here_with_caching(client):
    css = client.get("/ranking/static/site.css")
    assert css.status_code == 200
    assert "/ranking/static/fonts/NotoSansThaiLatin-Regular.ttf" in css.get_data(as_text=True)
    font = client.get("/ranking/static/fonts/NotoSansThaiLatin-Bold.ttf")
    assert font.status_code == 200 and font.data[:4] == b"\x00\x01\x00\x00"
    assert "max-age=604800" in font.headers["Cache-Control"]
    assert client.get("/ranking/static/site.css", headers={"If-None-Match": css.headers["ETag"]}).status_code == 304


def test_trend_shows_missing_days_as_missing_never_as_zero(client):
    """Eight days seeded: seven closes, so the last seven days (and today) are known, the 53 before are not."""
    page = html(client, "/ranking/district/4712")
    table = page[page.index('id="trend-table"'):]
    votes = re.findall(r'<tr><th scope="row">[^<]*</th><td class="num">([^<]*)</td>', table)
    assert len(votes) == 60
    assert votes[:7] != ["ไม่มีข้อมูล"] * 7 and all(v.replace(",", "").isdigit() for v in votes[:7])
    assert votes[7:] == ["ไม่มีข้อมูล"] * 53
