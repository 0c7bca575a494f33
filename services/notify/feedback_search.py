"""The centre's comment search over the feedback view: Thai-aware text match and the filters, newest first.

Thai is written without spaces between words, so a query is cut into newmm tokens by the tagger's own
segmenter (`Tagger.words`) and each token must occur in the comment normalised the same way, its spaces
left out (Thai puts spaces between phrases, not words): "รอนาน" finds "รอนานมาก" and "รอ นาน นน"; the order
of the words does not matter. Only redacted comments are read
(ingest redacts before anything is stored) and praise texts, which may name officials, are not returned.

Cost: the view is read one indexed day at a time (FeedbackStore), newest day first, and a search stops as
soon as its page is full; the worst case reads the period asked (at most MAX_DAYS days).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

from services.notify.feedback_query import MAX_TERMS, FeedbackQuery
from services.notify.feedback_store import FeedbackStore
from shared.districts import Registry
from shared.thaidate import be_date
from shared.topics import default_tagger
from shared.topics.tagger import normalised

MAX_PAGE = 200


def terms(q: str) -> list[str]:
    """The query's words as the tagger cuts them, each once, at most MAX_TERMS."""
    return list(dict.fromkeys(default_tagger().words(q)))[:MAX_TERMS] if q else []


def matcher(query: FeedbackQuery, registry: Registry) -> Callable[[dict], bool]:
    """A test of one feedback document against every filter of `query` (a comment is required)."""
    words = terms(query.q)

    def keep(doc: dict) -> bool:
        if not doc.get("comment"):
            return False
        district = registry.get(doc["district"])
        if district is None or (query.province and district.province_code != query.province) or (
                query.size_group and district.size_group != query.size_group) or (
                query.district and doc["district"] != query.district):
            return False
        if (query.service and doc.get("service") != query.service) or (
                query.score and doc.get("score") != query.score) or (
                query.channel and (doc.get("comment_channel") or doc.get("channel")) != query.channel):
            return False
        topics = doc.get("topics") or {}
        if query.aspect and (query.aspect not in topics or (query.polarity and topics[query.aspect] != query.polarity)):
            return False
        if query.polarity and not query.aspect and query.polarity not in topics.values():
            return False
        text = "".join(normalised(doc["comment"]).split()) if words else ""  # Thai spaces are not word breaks
        return all(w in text for w in words)

    return keep


def documents(store: FeedbackStore, query: FeedbackQuery, newest_first: bool = True) -> Iterator[dict]:
    """The period's documents one indexed day at a time (a district's own days when one is chosen)."""
    day, step = (query.last, -1) if newest_first else (query.first, 1)
    for _ in range(query.days):
        if query.district:
            docs = store.district_day(query.district, day)
        else:
            docs = sorted(store.across_districts(day, day), key=lambda d: d["at"], reverse=True)
        yield from docs
        day += timedelta(days=step)


def item(doc: dict, registry: Registry) -> dict:
    """One comment as the centre sees it: redacted text, where and when, its tags and their version."""
    district = registry.get(doc["district"])
    return {"id": doc["_id"], "district_code": doc["district"], "district_th": district.name_th,
            "province_th": district.province_th, "size_group": district.size_group, "day": doc["day"],
            "day_th": be_date(doc_day(doc)), "score": doc["score"], "service": doc.get("service"),
            "channel": doc.get("comment_channel") or doc.get("channel"), "comment": doc["comment"],
            "topics": doc.get("topics") or {}, "tagger_version": doc.get("tagger_version")}


def doc_day(doc: dict) -> date:
    return date.fromisoformat(doc["day"])


def search(store: FeedbackStore, registry: Registry, query: FeedbackQuery, limit: int = 50,
           offset: int = 0) -> tuple[list[dict], bool]:
    """A page of matching comments, newest first, and whether more follow; stops reading once the page is full."""
    keep = matcher(query, registry)
    found: list[dict] = []
    for doc in documents(store, query):
        if keep(doc):
            found.append(doc)
            if len(found) > offset + limit:
                break
    page = found[offset:offset + limit]
    return [item(d, registry) for d in page], len(found) > offset + limit
