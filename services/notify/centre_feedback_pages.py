"""The centre's view of what citizens said, in a browser (/centre/comments): search with every filter,
topic counts, the districts where an aspect worsens most, and the service-improvement report to download.
Behind the same signed session as /centre (centre_pages.py); the same checks and figures as the JSON API
(centre_feedback_api.py), shown Thai first with Buddhist-Era dates."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, make_response, render_template, request

from services.notify.centre_feedback_api import MAX_OFFSET, query_from_request, report_file, topic_summary
from services.notify.centre_pages import _ctx, _login_page, _signed_in
from services.notify.feedback_query import FeedbackQuery, parse_query
from services.notify.feedback_search import search
from services.notify.pages import security_headers
from services.notify.topic_stats import ASPECT_TH, POLARITY_TH
from shared.errors import ApiError
from shared.thaidate import be_date
from shared.timeutil import bangkok_day
from shared.topics import ASPECTS
from shared.vote_rules import CHANNELS, SERVICES

bp = Blueprint("centre_feedback_pages", __name__, template_folder="templates")
bp.after_request(security_headers)
PAGE = 30
SIZE_TH = {"small": "ขนาดเล็ก", "medium": "ขนาดกลาง", "large": "ขนาดใหญ่"}
CHANNEL_TH = {"qr": "คิวอาร์โค้ด", "line": "LINE", "kiosk": "ตู้คีออสก์", "web": "เว็บไซต์", "facebook": "Facebook",
              "import": "นำเข้าจากแบบสอบถาม"}
SERVICE_TH = {key: names[0] for key, names in SERVICES.items()}


def _choices() -> dict:
    registry = _ctx().notify.registry
    return {"provinces": sorted({(d.province_code, d.province_th) for d in registry}, key=lambda p: p[1]),
            "size_groups": list(SIZE_TH.items()), "services": list(SERVICE_TH.items()),
            "aspects": [(a, ASPECT_TH[a]) for a in ASPECTS], "polarities": list(POLARITY_TH.items()),
            "channels": [(c, CHANNEL_TH[c]) for c in CHANNELS]}


@bp.get("/centre/comments")
def comments():
    if not _signed_in():
        return _login_page()
    notify = _ctx().notify
    offset_text = request.args.get("offset", "0")
    offset = int(offset_text) if offset_text.isdigit() and int(offset_text) <= MAX_OFFSET else 0
    problems: dict[str, list[str]] = {}
    try:
        query = query_from_request()
    except ApiError as exc:
        problems = exc.fields
        query = parse_query({}, notify.registry, bangkok_day(notify.clock()))
    found, more = ([], False) if problems else search(notify.feedback, notify.registry, query, PAGE, offset)
    summary = None if problems else topic_summary(query)
    response = make_response(render_template(
        "centre_comments.html", query=query, found=found, more=more, offset=offset, page=PAGE, problems=problems,
        summary=summary, chosen=request.args, period_th=(be_date(query.first), be_date(query.last)),
        aspect_th=ASPECT_TH, polarity_th=POLARITY_TH, service_th=SERVICE_TH, channel_th=CHANNEL_TH,
        size_th=SIZE_TH, report_query=_report_query(query), breakdowns=_breakdowns(summary),
        next_query=urlencode({**request.args.to_dict(), "offset": offset + PAGE}), **_choices()),
        400 if problems else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _lines(groups: dict, label) -> list[dict]:
    """Each group as one line for a phone: its comments and the aspect most blamed (the JSON API has all)."""
    out = []
    for key, group in groups.items():
        blamed = max(ASPECTS, key=lambda a: (group["topics"][a]["negative"], -ASPECTS.index(a)))
        count = group["topics"][blamed]["negative"]
        out.append({"label": label(key, group), "comments": group["comments"],
                    "blamed": ASPECT_TH[blamed] if count else None, "blamed_count": count})
    return out


def _breakdowns(summary: dict | None) -> list[tuple[str, list[dict]]]:
    if summary is None:
        return []
    provinces = sorted(summary["by_province"].items(), key=lambda kv: -kv[1]["comments"])[:10]
    return [("ตามกลุ่มขนาดอำเภอ", _lines(summary["by_size_group"], lambda k, g: SIZE_TH.get(k, k))),
            ("ตามบริการ", _lines(summary["by_service"], lambda k, g: SERVICE_TH.get(k, "ไม่ระบุบริการ"))),
            ("จังหวัดที่มีความคิดเห็นมากที่สุด 10 จังหวัด", _lines(dict(provinces), lambda k, g: g["province_th"])),
            ("แนวโน้มรายสัปดาห์", _lines({w["week_start"]: w for w in summary["trend"]},
                                          lambda k, g: "สัปดาห์เริ่ม " + be_date(date.fromisoformat(k))))]


def _report_query(query: FeedbackQuery) -> str:
    area = {"from": query.first.isoformat(), "to": query.last.isoformat(), "province": query.province,
            "size_group": query.size_group, "district": query.district}
    return urlencode({k: v for k, v in area.items() if v})


@bp.get("/centre/report.<kind>")
def report(kind: str):
    if not _signed_in():
        return _login_page(401)
    if kind not in ("csv", "xlsx"):
        raise ApiError(404, "unknown_report", "the report is report.csv or report.xlsx")
    return report_file(query_from_request(), kind)
