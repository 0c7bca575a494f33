"""`make bench-pdpa`: redaction's cost per character of hostile text, from 100 to 10,000 characters.

A benchmark, not a test. Each generator writes text built to make a backtracking search try every start
position (long digit runs with separators, word runs before and after "@", repeated phrases that
introduce a LINE ID, site domains, plate and address shapes, number words, a mix of them all). For each
length the median over rounds of CPU time per call is divided by the length: a flat column means
linear cost; one that grows tenfold per row would be quadratic. Also the 500-vote batch figure the
issue quoted: 500 comments of 1,000 hostile characters.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.pdpa import redact  # noqa: E402

LENGTHS = (100, 1_000, 10_000)
ROUNDS = 7

GENERATORS: dict[str, Callable[[int], str]] = {
    "digits-spaced": lambda n: ("1 " * n)[:n],
    "digits-letter": lambda n: ("1a" * n)[:n],
    "word-run": lambda n: ("a" * n),
    "thai-run": lambda n: ("ก" * n),
    "at-signs": lambda n: ("a@" * n)[:n],
    "at-dot": lambda n: ("a@a." * n)[:n],
    "dots": lambda n: ("a." * n)[:n],
    "at-words": lambda n: ("a at a dot " * n)[:n],
    "line-phrase": lambda n: ("ไลน์ " * n)[:n],
    "line-english": lambda n: ("add line " * n)[:n],
    "domains": lambda n: ("facebook.com/" * n)[:n],
    "url-prefix": lambda n: ("a-" * n)[:n] + "facebook.com/x",
    "plates": lambda n: ("ทะเบียน กข " * n)[:n],
    "addresses": lambda n: ("บ้านเลขที่ 1/" * n)[:n],
    "number-words": lambda n: ("หนึ่ง " * n)[:n],
    "emoji-digits": lambda n: ("1📞" * n)[:n],
    "separators": lambda n: ("1" + " " * 13) * (n // 14) + "1",
    "mix": lambda n: ("โทร 081 234 5678 a@b.co ไลน์ x_1 fb.com/y ทะเบียน กข 12 บ้านเลขที่ 3/4 หมู่ 5 " * n)[:n],
}


def cpu_per_call(text: str) -> float:
    runs = []
    calls = max(1, 20_000 // len(text))
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(calls):
            redact(text)
        runs.append((time.process_time() - started) / calls)
    return statistics.median(runs)


def main() -> None:
    print(f"{'generator':<16}" + "".join(f"{n:>12,} ch" for n in LENGTHS) + "   (µs of CPU per character)  ratio")
    worst = 0.0
    for name, generate in GENERATORS.items():
        per_char = [cpu_per_call(generate(n)) / n * 1e6 for n in LENGTHS]
        ratio = per_char[-1] / per_char[0]
        worst = max(worst, per_char[-1] / min(per_char))
        print(f"{name:<16}" + "".join(f"{v:>15.3f}" for v in per_char) + f"   {ratio:5.2f}")
    batch = [GENERATORS["mix"](1_000)] * 500
    started = time.process_time()
    for text in batch:
        redact(text)
    print(f"\n500 comments of 1,000 hostile characters: {time.process_time() - started:.2f} s of CPU")
    print(f"largest per-character cost at 10,000 over the smallest at any length: {worst:.2f}")


if __name__ == "__main__":
    main()
