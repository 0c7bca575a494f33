"""The centre's filters over the feedback view, read from a query string and checked whole.

Why checked here, once: the JSON API and the HTML page take the same filters, and every bad one must be
a precise 400 naming the field, never a 500 or a silently empty answer. The period is capped
(`MAX_DAYS`) and the search text too (`MAX_QUERY`, `MAX_TERMS`), so what a request costs never grows
with what it sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from shared.districts import Registry
from shared.errors import ApiError
from shared.topics import ASPECTS, POLARITIES
from shared.vote_rules import CHANNELS, MAX_SCORE, MIN_SCORE, SERVICES

MAX_DAYS = 92  # a quarter: the longest period one request reads
DEFAULT_DAYS = 30
MAX_QUERY = 100  # characters of search text
MAX_TERMS = 8
SIZE_GROUPS = ("small", "medium", "large")
FILTERS = ("q", "from", "to", "province", "size_group", "district", "service", "aspect", "polarity", "score",
           "channel")


@dataclass(frozen=True)
class FeedbackQuery:
    first: date
    last: date
    q: str = ""
    province: str | None = None
    size_group: str | None = None
    district: str | None = None
    service: str | None = None
    aspect: str | None = None
    polarity: str | None = None
    score: int | None = None
    channel: str | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> FeedbackQuery:
        """The same filters over the period of the same length just before this one (for 'worsens most')."""
        from dataclasses import replace

        return replace(self, first=self.first - timedelta(days=self.days), last=self.first - timedelta(days=1))


def _day(text: str, name: str, problems: dict[str, list[str]]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[name] = ["a date as YYYY-MM-DD (Gregorian)"]
        return None


def _choice(args: Mapping[str, str], name: str, allowed, problems: dict[str, list[str]]) -> str | None:
    value = (args.get(name) or "").strip() or None
    if value is not None and value not in allowed:
        problems[name] = [f"one of {', '.join(sorted(allowed))}" if len(allowed) <= 12 else "not a known value"]
    return value


def parse_query(args: Mapping[str, str], registry: Registry, today: date) -> FeedbackQuery:
    """The filters in `args`, or ApiError 400 `invalid_filter` listing every field that is wrong."""
    problems: dict[str, list[str]] = {}
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        problems["q"] = [f"at most {MAX_QUERY} characters"]
    last = _day(args["to"], "to", problems) if args.get("to") else today
    first = _day(args["from"], "from", problems) if args.get("from") else None
    if last and first is None and "from" not in problems:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first and last and not problems.get("from") and not problems.get("to"):
        if first > last:
            problems["from"] = ["not after 'to'"]
        elif (last - first).days + 1 > MAX_DAYS:
            problems["from"] = [f"a period of at most {MAX_DAYS} days"]
    provinces = {d.province_code for d in registry}
    province = _choice(args, "province", provinces, problems)
    district = _choice(args, "district", set(registry.codes()), problems)
    score_text = (args.get("score") or "").strip()
    score = int(score_text) if score_text.isdigit() and MIN_SCORE <= int(score_text) <= MAX_SCORE else None
    if score_text and score is None:
        problems["score"] = [f"a whole number {MIN_SCORE}-{MAX_SCORE}"]
    query = FeedbackQuery(
        first=first or today, last=last or today, q=q, province=province, district=district, score=score,
        size_group=_choice(args, "size_group", SIZE_GROUPS, problems),
        service=_choice(args, "service", tuple(SERVICES), problems),
        aspect=_choice(args, "aspect", ASPECTS, problems), polarity=_choice(args, "polarity", POLARITIES, problems),
        channel=_choice(args, "channel", CHANNELS, problems))
    if problems:
        raise ApiError(400, "invalid_filter", "fix the query parameters", fields=problems)
    return query
