"""`python -m services.scoring.audit`: rebuild every bucket and standing from the Kafka log into fresh
collections and report each difference from the live ones.

This is the check that lets DOPA trust a ranking, and the way back from a lost store (`--keep`
leaves the rebuilt collections, named in the report). It reads the votes and comments topics from
the beginning up to their end offsets at start, without joining the consumer group, so the live
service is untouched. Compare while the live consumer has caught up (lag 0), or figures still in
flight show as differences.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import defaultdict

from services.scoring.bootstrap import Scoring, bootstrap
from services.scoring.store import ScoringStore
from shared.stream import log_reader


class _Discard:
    """The rebuild publishes nothing: live consumers of scores.v1 must not see audit events."""

    def __init__(self):
        self.dead_letters = 0

    def dead_letter(self, record, reason: str) -> None:
        self.dead_letters += 1

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        pass


def rebuild(scoring: Scoring, prefix: str, batch: int = 20000, sink=None) -> dict:
    """Every vote and comment up to the current end offsets, through scoring's own processor, into
    collections under `prefix`; `sink` receives what it publishes (default: nothing leaves)."""
    settings = scoring.config.platform
    target = ScoringStore(scoring.store.db, prefix)
    target.drop()
    sink = sink if sink is not None else _Discard()
    processor = scoring.processor(sink, store=target)
    ends = log_reader.end_offsets(settings, [settings.topics.votes, settings.topics.comments])
    read = log_reader.read_log(settings, ends, processor.handle, max_records=batch, whole=False)
    return {"messages_read": read, "dead_letters": sink.dead_letters,
            "end_offsets": {f"{t}:{p}": o for (t, p), o in sorted(ends.items())}}


def figures(store: ScoringStore) -> dict[str, dict]:
    """district:day -> count, sum, histogram, summed over partitions."""
    out: dict[str, dict] = defaultdict(lambda: {"votes": 0, "sum": 0, "histogram": [0] * 5})
    for bucket in store.load_buckets({}):
        for district, t in bucket.tallies.items():
            cell = out[f"{district}:{bucket.day.isoformat()}"]
            cell["votes"] += t.votes
            cell["sum"] += t.total
            cell["histogram"] = [a + b for a, b in zip(cell["histogram"], t.hist, strict=True)]
    return {k: v for k, v in out.items() if v["votes"]}


def compare(live: ScoringStore, rebuilt: ScoringStore) -> list[dict]:
    differences = []
    a, b = figures(live), figures(rebuilt)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            differences.append({"what": "bucket", "district_day": key, "live": a.get(key), "rebuilt": b.get(key)})
    sa, sb = live.all_standings(), rebuilt.all_standings()
    for district in sorted(set(sa) | set(sb)):
        wa, wb = (s[district].windows.get("campaign") if district in s else None for s in (sa, sb))
        if wa != wb:
            differences.append({"what": "standing", "district": district, "live": wa, "rebuilt": wb})
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.scoring.audit", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the rebuilt collections (recovery)")
    args = parser.parse_args(argv)
    scoring = bootstrap()
    prefix = f"audit_{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    summary = rebuild(scoring, prefix)
    rebuilt = ScoringStore(scoring.store.db, prefix)
    differences = compare(scoring.store, rebuilt)
    if not args.keep:
        rebuilt.drop()
    report = {"rebuilt_into": prefix if args.keep else None, **summary,
              "seconds": round(time.monotonic() - started, 1), "differences": len(differences),
              "details": differences[:200]}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
