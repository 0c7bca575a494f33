"""The centre's story API, on the centre's blueprint (behind the central-office key): the queue with
filters, one story (original and edit side by side), the decisions, the audit file, and a district's
stories for the chief's inbox to show later."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from pymongo.errors import PyMongoError

from services.notify.centre import bp
from services.notify.schemas import load_body
from services.notify.stories.audit import to_csv, to_xlsx
from services.notify.stories.decisions import StoryNotFound
from services.notify.stories.moderation import ACTIONS, STATUSES, Refused, Story
from services.notify.stories.publisher import PublishFailed
from services.notify.stories.schemas import SCHEMAS
from shared.errors import ApiError
from shared.events import SHORTLISTS
from shared.timeutil import iso_utc
from shared.web import parse_json_body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ctx():
    return current_app.extensions["notify"]


def story_json(story: Story) -> dict:
    return {"story_id": story.story_id, "district_code": story.district_code, "status": story.status,
            "original": story.text, "edited": story.edited, "approved_text": story.approved_text,
            "consent": {"publish": story.publish, "credit_name": story.credit_name,
                        "version": story.consent_version, "channel": story.channel},
            "told_at": story.told_at and iso_utc(story.told_at), "reason": story.reason,
            "shortlist": list(story.shortlist), "public": story.public}


def filters(registry, args) -> tuple[dict, dict[str, list[str]]]:
    """The queue's filters from query arguments, and what is wrong with them (for a 400 or the page)."""
    status, district = args.get("status") or None, (args.get("district") or "").strip() or None
    province, shortlist = args.get("province") or None, args.get("shortlist") or None
    problems: dict[str, list[str]] = {}
    if status and status not in STATUSES:
        problems["status"] = [f"one of {', '.join(STATUSES)}"]
    if shortlist and shortlist not in SHORTLISTS:
        problems["shortlist"] = [f"one of {', '.join(SHORTLISTS)}"]
    if district and district not in registry:
        problems["district"] = ["not a district code of the programme"]
    districts = {d.code for d in registry if d.province_code == province} if province else None
    if province and not districts:
        problems["province"] = ["not a province code of the programme"]
    if district:
        districts = {district} & districts if districts is not None else {district}
    return {"status": status, "districts": districts, "shortlist": shortlist}, problems


@bp.get("/v1/stories")
def list_stories():
    ctx = _ctx()
    chosen, problems = filters(ctx.notify.registry, request.args)
    if problems:
        raise ApiError(400, "invalid_filter", "fix the query parameters", fields=problems)
    stories = ctx.stories.store.list(**chosen)
    return jsonify({"stories": [story_json(s) for s in stories], "count": len(stories)})


@bp.get("/v1/stories/<story_id>")
def get_story(story_id: str):
    story = _ctx().stories.store.get(story_id[:64])
    if story is None:
        raise ApiError(404, "unknown_story", "no story with this id")
    return jsonify(story_json(story))


@bp.get("/v1/districts/<code>/stories")
def district_stories(code: str):
    """A district's stories (redacted, approved or not): what the chief's inbox will show."""
    if code not in _ctx().notify.registry:
        raise ApiError(404, "unknown_district", "not a district code of the programme")
    return jsonify({"stories": [story_json(s) for s in _ctx().stories.store.for_district(code)]})


def decide(story_id: str, action: str, body: dict) -> Story:
    """One decision through the moderation rules; the statuses are chosen here (the API and the page)."""
    moderation = _ctx().stories
    try:
        if action == "edit":
            return moderation.edit(story_id, body["text"], body["by"])
        if action == "reject":
            return moderation.reject(story_id, body["reason"], body["by"])
        if action == "shortlist":
            return moderation.shortlist(story_id, body["list"], body["by"])
        return moderation.approve(story_id, body["by"])
    except StoryNotFound as exc:
        raise ApiError(404, "unknown_story", "no story with this id") from exc
    except Refused as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    except PublishFailed as exc:
        raise ApiError(503, "unavailable", "the decision could not be published; try again",
                       headers={"Retry-After": "5"}) from exc
    except PyMongoError as exc:  # logged but not applied: deciding again converges (so does the rebuild)
        raise ApiError(503, "unavailable", "the moderation store did not answer; try again",
                       headers={"Retry-After": "5"}) from exc


@bp.post("/v1/stories/<story_id>/<action>")
def act_on_story(story_id: str, action: str):
    if action not in ACTIONS:
        raise ApiError(404, "not_found", f"actions are {', '.join(ACTIONS)}")
    body = load_body(SCHEMAS[action], parse_json_body(what="the decision"), '{"by", ...}')
    return jsonify(story_json(decide(story_id[:64], action, body)))


@bp.get("/v1/stories-audit")
def story_audit():
    """The audit trail (centre only): ?format=csv (default) or xlsx."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ApiError(400, "invalid_filter", "format is csv or xlsx")
    return audit_file(fmt)


def audit_file(fmt: str) -> Response:
    """The audit trail as a download (the API and the centre's page)."""
    entries = _ctx().stories.store.audit_trail()
    body, mimetype = (to_csv(entries), "text/csv") if fmt == "csv" else (to_xlsx(entries), XLSX)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=stories-audit.{fmt}",
                             "Cache-Control": "no-store"})
