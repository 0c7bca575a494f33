"""Baseline for the benchmarks: a Flask app on the same gunicorn settings that answers at once.

No validation, no store, no Kafka: the cost of HTTP + Flask + gunicorn alone (a 202 for
bench-ingest, a prebuilt leaderboard page for bench-ranking).
"""

import json
import uuid

from flask import Flask, Response, jsonify

app = Flask("bare")


@app.post("/v1/votes")
def accept():
    return jsonify({"vote_id": str(uuid.uuid4())}), 202


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


# bench-ranking: a leaderboard page's worth of JSON, built once; the route only returns it.
_PAGE = json.dumps({"group": "small", "window": "campaign", "entries": [
    {"rank": i, "district_code": f"{1000 + i}", "name_th": "อำเภอทดสอบ", "name_en": "Test", "province_th": "ทดสอบ",
     "votes": 100 + i, "mean": 4.1234, "score": 4.0123, "eligible": True, "votes_needed": 0,
     "movement": {"status": "same", "places": 0, "previous_rank": i}} for i in range(1, 51)]},
    ensure_ascii=False, separators=(",", ":")).encode()


@app.get("/v1/leaderboards/<group>")
def leaderboard(group: str):
    return Response(_PAGE, content_type="application/json; charset=utf-8")


# bench-site: an HTML page the size of the site's home page, built once; the route only returns it.
_SITE_PAGE = ("<!doctype html><html lang=th><body><table>" + "".join(
    f"<tr data-code='{1000 + i}'><td>{i}</td><td>–</td><th><a href='/ranking/district/{1000 + i}'>อำเภอทดสอบ</a></th>"
    f"<td><a href='/ranking/province/10'>จังหวัดทดสอบ</a></td><td>4.51</td><td>4.55</td><td>439</td><td>✓</td></tr>"
    for i in range(1, 91)) + "</table></body></html>").encode()


@app.get("/site")
def site_page():
    return Response(_SITE_PAGE, content_type="text/html; charset=utf-8")
