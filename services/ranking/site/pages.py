"""What each page shows, built from ranking's in-process view: pure functions, no Flask, no I/O.

Route handlers (views.py) parse and check the request, then call one of these with the current
view; templates only lay the result out. Everything a citizen reads is decided here, so the unit
tests read it here. Never a comment: the view holds none (ranking keeps no comment text) and no
builder asks for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from services.ranking.domain import GROUPS, WINDOWS, Entry, movement, window_tally
from services.ranking.formulas import Formula, GroupPrior, WindowFigures
from services.ranking.live import View
from services.ranking.site import chart
from services.ranking.site.fmt import number, parse_moment, score
from services.ranking.site.search import Results, SearchIndex
from services.ranking.site.words import GROUP_NAMES, GROUP_TITLES, TEXT, WINDOW_NAMES
from shared.districts import District, Registry
from shared.thaidate import be_date, be_datetime, short_date

PER_PAGE = 50
HOME_TOP = 10
PREFIX = "/ranking"


@dataclass(frozen=True)
class SitePaths:
    """The site's paths (few and prefixed: `/`, `/ranking/…`, `/badge/…`), each carrying the language."""

    lang: str

    def to(self, path: str, **params: object) -> str:
        pairs = [(k, str(v)) for k, v in params.items() if v is not None]
        if self.lang != "th":
            pairs.append(("lang", self.lang))
        return path + ("?" + urlencode(pairs) if pairs else "")

    def home(self, window: str | None = None) -> str:
        return self.to("/", window=None if window in (None, "campaign") else window)

    def board(self, group: str, window: str = "campaign", page: int = 1, province: str | None = None) -> str:
        return self.to(f"{PREFIX}/board/{group}", window=None if window == "campaign" else window,
                       province=province, page=None if page == 1 else page)

    def district(self, code: str) -> str:
        return self.to(f"{PREFIX}/district/{code}")

    def province(self, code: str, window: str = "campaign") -> str:
        return self.to(f"{PREFIX}/province/{code}", window=None if window == "campaign" else window)

    def search(self) -> str:
        return f"{PREFIX}/search"

    def page(self, name: str) -> str:
        return self.to(f"{PREFIX}/{name}")

    def data_file(self, group: str, window: str, ext: str) -> str:
        return f"{PREFIX}/data/{group}.{ext}" + ("" if window == "campaign" else f"?window={window}")

    @staticmethod
    def badge(code: str) -> str:
        return f"/badge/{code}.svg"


@dataclass(frozen=True)
class Freshness:
    """When the figures were last changed, and whether the consumer behind them is running."""

    updated_at: datetime | None
    stale: bool


def common(lang: str, links: SitePaths, switch_path: str, freshness: Freshness) -> dict:
    t = TEXT[lang]
    when = be_datetime(freshness.updated_at, lang) if freshness.updated_at else None
    other = "en" if lang == "th" else "th"
    return {"lang": lang, "t": t, "links": links, "switch_url": switch_path if other == "th" else
            switch_path + ("&" if "?" in switch_path else "?") + "lang=en",
            "switch_lang": other,
            "updated": t["updated"].format(when=when) if when else t["updated_never"],
            "stale": t["stale"].format(when=when or "–") if freshness.stale else None,
            "group_names": GROUP_NAMES[lang], "group_titles": GROUP_TITLES[lang], "window_names": WINDOW_NAMES[lang]}


def freshness_of(view: View, stale: bool) -> Freshness:
    updated = view.updated_at
    if updated is None:
        stamps = [v for v in view.as_of.values() if v]
        updated = parse_moment(max(stamps)) if stamps else None
    return Freshness(updated, stale)


# ---------------------------------------------------------------- rows


def movement_cell(move: dict | None, lang: str) -> dict:
    t = TEXT[lang]
    if move is None:
        return {"text": t["no_rank"], "sr": "", "kind": "none"}
    status, n = move["status"], move["places"]
    return {"text": t[f"move_{status}"].format(n=n), "sr": t[f"move_{status}_sr"].format(n=n), "kind": status}


def row(e: Entry, d: District, view: View, group: str, window: str, lang: str, links: SitePaths) -> dict:
    t = TEXT[lang]
    move = movement(e.rank, view.previous.get((group, window)), e.code)
    return {
        "code": e.code, "rank": e.rank if e.rank is not None else t["no_rank"], "ranked": e.rank is not None,
        "move": movement_cell(move, lang),
        "district": d.name_th if lang == "th" else d.name_en, "district_url": links.district(e.code),
        "province": d.province_th if lang == "th" else d.province_en,
        "province_url": links.province(d.province_code, window),
        "score": score(e.score), "mean": score(e.mean), "votes": number(e.votes),
        "eligible": e.eligible, **eligibility_cells(e, t),
    }


def eligibility_cells(e: Entry, t: dict) -> dict:
    """Why a district is not ranked: the votes it lacks first, then the distinct senders (docs/ranking.md)."""
    if e.eligible:
        return {"eligible_text": t["eligible_yes"], "eligible_sr": t["eligible_yes_sr"]}
    kind, n = ("eligible", e.votes_needed) if e.votes_needed else ("sources", e.sources_needed)
    return {"eligible_text": t[f"{kind}_no"].format(n=number(n)), "eligible_sr": t[f"{kind}_no_sr"].format(n=number(n))}


def needs_text(e: Entry, t: dict) -> str | None:
    """The district page's line for an unranked window: what it still needs."""
    if e.eligible:
        return None
    return t["needs_votes"].format(n=number(e.votes_needed)) if e.votes_needed \
        else t["needs_sources"].format(n=number(e.sources_needed))


def window_tabs(lang: str, current: str, url_for_window) -> list[dict]:
    return [{"window": w, "label": WINDOW_NAMES[lang][w], "url": url_for_window(w), "current": w == current}
            for w in WINDOWS]


# ---------------------------------------------------------------- pages


def national(view: View) -> dict:
    votes = total = with_votes = 0
    for figures in view.figures.values():
        tally = window_tally(figures, "campaign")
        votes += tally.votes
        total += tally.total
        with_votes += tally.votes > 0
    return {"votes": number(votes), "districts_with_votes": number(with_votes),
            "districts": number(sum(len(view.boards[(g, "campaign")]) for g in GROUPS)),
            "mean": score(round(total / votes, 2) if votes else None)}


def home(view: View, registry: Registry, lang: str, window: str, fresh: Freshness) -> dict:
    links = SitePaths(lang)
    boards = []
    for group in GROUPS:
        entries = view.boards[(group, window)]
        boards.append({"group": group, "title": GROUP_TITLES[lang][group], "count": number(len(entries)),
                       "rows": [row(e, registry.get(e.code), view, group, window, lang, links)
                                for e in entries[:HOME_TOP]],
                       "all_url": links.board(group, window),
                       "see_all": TEXT[lang]["see_all"].format(n=number(len(entries)))})
    return {**common(lang, links, SitePaths("th").home(window), fresh),
            "page": "home", "window": window, "national": national(view), "boards": boards,
            "tabs": window_tabs(lang, window, links.home)}


class PageOutOfRange(ValueError):
    def __init__(self, page: int, pages: int):
        super().__init__(f"page {page} is past the last page ({pages})")
        self.page, self.pages = page, pages


def board(view: View, registry: Registry, provinces: dict, lang: str, group: str, window: str, page: int,
          province: str | None, fresh: Freshness) -> dict:
    links = SitePaths(lang)
    t = TEXT[lang]
    entries = view.boards[(group, window)]
    in_group = sorted({registry.get(e.code).province_code for e in entries},
                      key=lambda p: provinces[p].name_th if lang == "th" else provinces[p].name_en)
    if province is not None:
        entries = [e for e in entries if registry.get(e.code).province_code == province]
    pages = max(1, -(-len(entries) // PER_PAGE))
    if page > pages:
        raise PageOutOfRange(page, pages)
    chosen = entries[(page - 1) * PER_PAGE: page * PER_PAGE]
    plain = SitePaths("th")
    return {**common(lang, links, plain.board(group, window, page, province), fresh),
            "page": "board", "group": group, "window": window, "province": province,
            "title": t["board_title"].format(group=GROUP_TITLES[lang][group]),
            "caption": t["board_caption"].format(group=GROUP_TITLES[lang][group], window=WINDOW_NAMES[lang][window],
                                                 page=number(page), pages=number(pages)),
            "count": t["entries"].format(n=number(len(entries))),
            "rows": [row(e, registry.get(e.code), view, group, window, lang, links) for e in chosen],
            "tabs": window_tabs(lang, window, lambda w: links.board(group, w, 1, province)),
            "province_options": [{"code": p, "name": provinces[p].name_th if lang == "th" else provinces[p].name_en,
                                  "selected": p == province} for p in in_group],
            "paging": paging(page, pages, lambda n: links.board(group, window, n, province), lang),
            "form_action": f"{PREFIX}/board/{group}"}


def paging(page: int, pages: int, url, lang: str) -> dict:
    """Previous, next, the first, the last and two either side of the current page."""
    t = TEXT[lang]
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    items, last = [], 0
    for n in shown:
        if n - last > 1:
            items.append({"gap": True})
        items.append({"gap": False, "n": number(n), "url": url(n), "current": n == page,
                      "label": t["page_n"].format(n=number(n))})
        last = n
    return {"pages": pages, "items": items if pages > 1 else [],
            "prev": url(page - 1) if page > 1 else None, "next": url(page + 1) if page < pages else None}


def district_figures(view: View, district: District, lang: str) -> list[dict]:
    t = TEXT[lang]
    group = district.size_group
    size = number(len(view.boards[(group, "campaign")]))
    out = []
    for window in WINDOWS:
        e = view.index[(group, window)][district.code]
        move = movement(e.rank, view.previous.get((group, window)), e.code)
        out.append({"window": window, "label": WINDOW_NAMES[lang][window], "ranked": e.rank is not None,
                    "rank_text": t["rank_in_group"].format(rank=number(e.rank), total=size,
                                                           group=GROUP_NAMES[lang][group]) if e.rank is not None
                    else t["not_ranked"],
                    "needs": needs_text(e, t),
                    "score": score(e.score), "mean": score(e.mean), "votes": number(e.votes),
                    "move": movement_cell(move, lang)})
    return out


def histogram(figures: dict | None, window: str, lang: str) -> dict:
    tally = window_tally(figures, window)
    top = max((*tally.histogram, 1))
    return {"title": TEXT[lang]["histogram"].format(window=WINDOW_NAMES[lang][window]),
            "bars": [{"score": s, "count": number(n), "pct": round(100 * n / top)}
                     for s, n in zip(range(1, 6), tally.histogram, strict=True)],
            "votes": number(tally.votes)}


def trend(view: View, district: District, lang: str) -> dict:
    t = TEXT[lang]
    live = window_tally(view.figures.get(district.code), "campaign")
    points = chart.daily_trend(view.closes.get(district.code, {}), view.close_days, (live.votes, live.total),
                               view.day)
    name = district.name_th if lang == "th" else district.name_en
    svg = chart.trend_svg(points, title=t["trend_title"].format(name=name), desc=t["trend_desc"], lang=lang)
    first, last = points[0].day, points[-1].day
    rows = [{"day": be_date(p.day, lang) + (" " + t["today_partial"] if p.day == view.day else ""),
             "votes": number(p.votes) if p.known else t["missing"],
             "mean": score(p.mean) if p.known and p.mean is not None else ("–" if p.known else t["missing"])}
            for p in reversed(points)]
    return {"svg": svg, "rows": rows, "range": f"{short_date(first, lang)} – {be_date(last, lang)}",
            "points": points}


def awards_of(view: View, code: str, lang: str) -> list[dict]:
    won = []
    for award in view.awards:
        if award.get("withdrawn"):  # a mistaken close is no prize
            continue
        for group, podium in award["podium"].items():
            for e in podium:
                if e["district_code"] == code:
                    won.append({"name": award["name"], "group": GROUP_TITLES[lang][group],
                                "place": TEXT[lang]["place"].format(rank=e["rank"]),
                                "day": be_date(date.fromisoformat(award["day"]), lang), "rank": e["rank"]})
    return won


def district(view: View, district: District, lang: str, fresh: Freshness, vote_url: str, qr_svg: str | None) -> dict:
    links = SitePaths(lang)
    t = TEXT[lang]
    name = district.name_th if lang == "th" else district.name_en
    province = district.province_th if lang == "th" else district.province_en
    badge_code = f'<a href="{vote_url}"><img src="{{base}}{links.badge(district.code)}" alt="{t["badge_title"]}"></a>'
    return {**common(lang, links, SitePaths("th").district(district.code), fresh),
            "page": "district", "code": district.code,
            "title": t["district_title"].format(name=name),
            "province_line": t["province_line"].format(province=province),
            "province_url": links.province(district.province_code), "group": district.size_group,
            "group_title": GROUP_TITLES[lang][district.size_group],
            "board_url": links.board(district.size_group), "windows": district_figures(view, district, lang),
            "histogram": histogram(view.figures.get(district.code), "campaign", lang),
            "trend": trend(view, district, lang), "awards": awards_of(view, district.code, lang),
            "vote_url": vote_url, "qr_svg": qr_svg, "qr_alt": t["qr_alt"].format(name=name),
            "badge_url": links.badge(district.code) + ("?lang=en" if lang == "en" else ""),
            "badge_snippet": badge_code}


def province(view: View, registry: Registry, provinces: dict, lang: str, code: str, window: str,
             fresh: Freshness) -> dict:
    links = SitePaths(lang)
    t = TEXT[lang]
    p = provinces[code]
    rows = []
    for d in sorted((d for d in registry if d.province_code == code), key=lambda d: d.name_th):
        e = view.index[(d.size_group, window)][d.code]
        rows.append({**row(e, d, view, d.size_group, window, lang, links), "group": GROUP_TITLES[lang][d.size_group],
                     "group_url": links.board(d.size_group, window, 1, code)})
    name = p.name_th if lang == "th" else p.name_en
    return {**common(lang, links, SitePaths("th").province(code, window), fresh),
            "page": "province", "code": code, "window": window, "title": t["province_title"].format(name=name),
            "intro": t["province_intro"].format(name=name), "rows": rows,
            "tabs": window_tabs(lang, window, lambda w: links.province(code, w))}


def search(results: Results | None, lang: str, fresh: Freshness) -> dict:
    links = SitePaths(lang)
    t = TEXT[lang]
    base = {**common(lang, links, SitePaths("th").to(links.search(), q=results.query if results else None), fresh),
            "page": "search", "query": results.query if results else ""}
    if results is None or not results.key:
        return {**base, "heading": t["search_title"], "message": t["search_empty"], "districts": [], "provinces": []}
    districts = [{"name": d.name_th if lang == "th" else d.name_en, "url": links.district(d.code),
                  "province": d.province_th if lang == "th" else d.province_en,
                  "province_url": links.province(d.province_code), "group": GROUP_TITLES[lang][d.size_group]}
                 for d in results.districts]
    provinces = [{"name": p.name_th if lang == "th" else p.name_en, "url": links.province(p.code),
                  "count": t["entries"].format(n=number(p.districts))} for p in results.provinces]
    message = None
    if not districts and not provinces:
        message = t["search_none"].format(q=results.query)
    elif results.exact and len(districts) > 1:
        message = t["search_ambiguous"]
    elif results.truncated:
        message = t["search_many"].format(n=number(len(districts)))
    return {**base, "heading": t["search_results"].format(q=results.query), "message": message,
            "districts": districts, "provinces": provinces}


def awards(view: View, registry: Registry, lang: str, fresh: Freshness, base: str | None = None) -> dict:
    """Each award with its winners named, the podium per group, and how to verify it: the recipe's address is
    the site's own public address (PUBLIC_BASE_URL), never a hard-coded host. A withdrawn award stays listed,
    marked with when and why, and names no winners."""
    links = SitePaths(lang)
    t = TEXT[lang]
    out = []
    for a in view.awards:
        groups = []
        for group in GROUPS:
            podium = []
            for e in a["podium"].get(group, []):
                d = registry.get(e["district_code"])
                podium.append({"rank": e["rank"], "code": e["district_code"],
                               "name": (d.name_th if lang == "th" else d.name_en) if d else e["district_code"],
                               "province": (d.province_th if lang == "th" else d.province_en) if d else "",
                               "url": links.district(e["district_code"]), "score": score(e["score"]),
                               "mean": score(e["mean"]), "votes": number(e["votes"]), "winner": e["rank"] == 1})
            groups.append({"title": GROUP_TITLES[lang][group], "podium": podium,
                           "winners": [p for p in podium if p["winner"]],
                           "entrants": number(a["entrants"].get(group, 0))})
        closed = parse_moment(a["closed_at"])
        withdrawn = None
        if a.get("withdrawn"):
            at = parse_moment(a["withdrawn"]["at"])
            withdrawn = t["award_withdrawn"].format(when=be_datetime(at, lang) if at else a["withdrawn"]["at"],
                                                    reason=a["withdrawn"]["reason"])
        out.append({"name": a["name"], "sha256": a["sha256"], "groups": groups, "withdrawn": withdrawn,
                    "closed": t["award_closed"].format(when=be_datetime(closed, lang) if closed else a["closed_at"]),
                    "about": t["award_window"].format(window=WINDOW_NAMES[lang].get(a["window"], a["window"]),
                                                      formula=formula_label(a["formula"])),
                    "json_url": f"/v1/awards/{a['name']}", "site": base or t["award_site"]})
    return {**common(lang, links, SitePaths("th").page("awards"), fresh), "page": "awards", "awards": out}


def formula_label(formula: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in sorted(formula["params"].items()))
    return f"{formula['name']} ({params})"


def how(view: View, lang: str, fresh: Freshness) -> dict:
    """The formula in force, its parameters, and a worked example computed by the formula itself."""
    links = SitePaths(lang)
    f: Formula = view.formula
    prior = GroupPrior(votes=10_000, total=42_000)  # a group whose votes average 4.2
    few, many = WindowFigures(3, 15, (0, 0, 0, 0, 3)), WindowFigures(900, 4_320, (0, 0, 36, 108, 756))
    example = {"prior_mean": score(4.2),
               "few": {"votes": 3, "mean": score(few.mean), "score": score(f.score(few, prior))},
               "many": {"votes": number(900), "mean": score(many.mean), "score": score(f.score(many, prior))},
               "few_score_exact": f.score(few, prior), "many_score_exact": f.score(many, prior)}
    return {**common(lang, links, SitePaths("th").page("how"), fresh), "page": "how", "formula": f.name,
            "params": {k: number(v, 2 if isinstance(v, float) and v != int(v) else 0) for k, v in f.params.items()},
            "min_votes": number(f.min_votes), "min_sources": number(f.min_sources),
            "f_min_sources": f.min_sources > 1, "example": example}


def data(lang: str, fresh: Freshness) -> dict:
    links = SitePaths(lang)
    files = [{"group": GROUP_TITLES[lang][g], "window": WINDOW_NAMES[lang][w],
              "csv": links.data_file(g, w, "csv"), "json": links.data_file(g, w, "json")}
             for g in GROUPS for w in WINDOWS]
    return {**common(lang, links, SitePaths("th").page("data"), fresh), "page": "data", "files": files,
            "stories_files": {"csv": f"{PREFIX}/data/stories.csv", "json": f"{PREFIX}/data/stories.json"}}


def stories(view: View, registry: Registry, provinces: dict, lang: str, province: str | None, group: str | None,
            fresh: Freshness) -> dict:
    """The stories page: the published stories, filtered by province and size group (GET form, no script)."""
    from services.ranking.site.stories import WORDS, cards

    links = SitePaths(lang)
    names = sorted(provinces.items(), key=lambda p: p[1].name_th if lang == "th" else p[1].name_en)
    return {**common(lang, links, SitePaths("th").to(f"{PREFIX}/stories", province=province, group=group), fresh),
            "page": "stories", "sw": WORDS[lang],
            "cards": cards(view, registry, lang, province=province, group=group),
            "provinces": [(code, p.name_th if lang == "th" else p.name_en) for code, p in names],
            "groups": [(g, GROUP_TITLES[lang][g]) for g in GROUPS], "chosen": {"province": province, "group": group},
            "action": f"{PREFIX}/stories", "files": {"csv": f"{PREFIX}/data/stories.csv",
                                                      "json": f"{PREFIX}/data/stories.json"}}


def error(lang: str, status: int, error_code: str, message: str, fresh: Freshness) -> dict:
    links = SitePaths(lang)
    return {**common(lang, links, "/", fresh), "page": "error", "status": status, "error": error_code,
            "message": message}


def search_index(registry: Registry) -> SearchIndex:
    return SearchIndex(registry)
