"""`make bench-topics`: how many comments per second the topic tagger tags (issue 20: 10,000 in under 10 s).

A benchmark, not a test. The 10,000 comments are the labelled set's texts (tests/data/topics_labelled.jsonl),
each joined with another at random (seeded) so lengths vary like real comments of one to three sentences.
Reports the one-off build (dictionary load) apart from tagging, and tagging through `sangsuk topics tag`'s
JSON-lines path (parse, tag, serialise) as well as the bare tagger; the median of ROUNDS runs.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.topics import TAGGER_VERSION, default_tagger  # noqa: E402
from shared.topics.cli import LABELLED, tag_stream  # noqa: E402
from shared.topics.evaluation import load  # noqa: E402

COMMENTS = 10_000
ROUNDS = 3


def comments(n: int = COMMENTS) -> list[str]:
    texts = [row.text for row in load(LABELLED)]
    rng = random.Random(20)
    return [f"{rng.choice(texts)} {rng.choice(texts)}" if rng.random() < 0.5 else rng.choice(texts)
            for _ in range(n)]


def main() -> int:
    texts = comments()
    started = time.perf_counter()
    tagger = default_tagger()
    built = time.perf_counter() - started
    bare, piped = [], []
    lines = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for text in texts:
            tagger.tag(text)
        bare.append(time.perf_counter() - t0)
        out = io.StringIO()
        t0 = time.perf_counter()
        tag_stream(io.StringIO(lines), out)
        piped.append(time.perf_counter() - t0)
    chars = sum(len(t) for t in texts) / len(texts)
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"tagger {TAGGER_VERSION}; {len(texts)} comments, {chars:.0f} characters on average; "
          f"load average {load_avg:.2f} on {os.cpu_count()} CPUs")
    print(f"build (dictionary, lexicon): {built:.2f} s, once per process")
    for name, runs in (("tagger.tag", bare), ("topics tag (JSON lines)", piped)):
        median = statistics.median(runs)
        print(f"{name:<24} {median:6.2f} s for {len(texts)}  {len(texts) / median:8.0f} comments/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
