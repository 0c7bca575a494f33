"""Document store adapter: one client per process; code that runs unchanged on MongoDB and FerretDB.

FerretDB v1 rules we keep everywhere: no $avg (keep sums and counts), no multi-document
transactions, no change streams, no TTL indexes (a periodic job expires documents), and a
unique-key clash inside an upsert is not reported as error 11000 (a plain insert is).
"""

from __future__ import annotations

import threading

from pymongo import MongoClient, monitoring
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from shared.config import Settings
from shared.districts import Registry
from shared.metrics import STORE_OPERATIONS

_clients: dict[str, MongoClient] = {}
_lock = threading.Lock()

DUPLICATE_KEY = 11000


class _OperationCounter(monitoring.CommandListener):
    """Counts every command sent to the store by name (insert, update, find, findAndModify…):
    the round trips a request costs, visible on /metrics and in the benchmarks."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        STORE_OPERATIONS.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def client(uri: str) -> MongoClient:
    """A process-wide client per URI, created lazily (after gunicorn forks)."""
    with _lock:
        if uri not in _clients:
            _clients[uri] = MongoClient(
                uri, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000, socketTimeoutMS=10000,
                retryWrites=True, tz_aware=True, appname="sangsuk", event_listeners=[_OperationCounter()],
            )
        return _clients[uri]


def database(settings: Settings) -> Database:
    return client(settings.mongo_uri)[settings.mongo_db]


def store_reachable(settings: Settings) -> bool:
    try:
        client(settings.mongo_uri).admin.command("ping")
        return True
    except Exception:
        return False


def load_registry_into_store(db: Database, registry: Registry) -> int:
    """Write the districts that are new or changed; removes none, since votes may still refer to a
    retired code. Returns how many were written.

    Compared first rather than upserted blindly: `sangsuk init` runs at every start, and on FerretDB
    878 upserts cost each a transaction and a collection scan, which timed out a second `make run`.
    """
    stored = {doc["_id"]: doc for doc in db.districts.find({})}
    wanted = [d.to_document() for d in registry]
    new = [doc for doc in wanted if doc["_id"] not in stored]
    changed = [doc for doc in wanted if doc["_id"] in stored and stored[doc["_id"]] != doc]
    if new:
        db.districts.insert_many(new, ordered=False)
    for doc in changed:
        db.districts.replace_one({"_id": doc["_id"]}, doc)
    return len(new) + len(changed)


def insert_ignoring_clashes(collection: Collection, docs: list[dict]) -> set[int]:
    """Insert all (unordered, one round trip); returns the indexes of documents whose `_id` was taken already.

    Claims (ingest) and voters' districts (scoring) are held this way: a clash is the answer, not an error."""
    if not docs:
        return set()
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {e["index"] for e in errors}
    return set()
