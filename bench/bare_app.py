"""Baseline for bench-ingest: a Flask app on the same gunicorn settings that answers 202 at once.

No validation, no store, no Kafka: the cost of HTTP + Flask + gunicorn alone.
"""

import uuid

from flask import Flask, jsonify

app = Flask("bare")


@app.post("/v1/votes")
def accept():
    return jsonify({"vote_id": str(uuid.uuid4())}), 202


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})
