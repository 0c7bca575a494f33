"""Where ingest's CPU goes per path, sampled with py-spy while the bench's load runs (issue 24).

py-spy samples the gunicorn workers from outside the process, so the service runs unchanged; only
the thread holding the GIL is sampled (`--gil`), so a sample is Python's CPU, not a thread waiting
on a socket. The raw stacks are summed two ways: by the function a
sample was in (self), and by every function on the stack (inclusive); the inclusive list keeps
our own code and the libraries' entry points, which say what a vote pays for (validation,
redaction, hashing, JSON, metrics, the Kafka send, the store, WSGI, logging).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def available() -> bool:
    return PY_SPY.exists() or shutil.which("py-spy") is not None


def _where(file: str) -> str:
    """A short place: our modules by path from the repository, libraries by package."""
    for marker in ("services/", "shared/", "bench/"):
        if file.startswith(marker) or f"/{marker}" in file:
            return marker + file.split(marker, 1)[1]
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0]
    return Path(file).name


def summarise(raw: str, top: int = 12) -> dict:
    """{"samples", "self": [(frame, %)], "inclusive": [(frame, %)]} from py-spy's raw (folded) output."""
    self_counts: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        names = []
        for frame in stack.split(";"):
            m = FRAME.match(frame.strip())
            names.append(f"{m['func']} ({_where(m['file'])})" if m else frame.strip())
        self_counts[names[-1]] += count
        for name in set(names):
            incl[name] += count
    if not total:
        return {"samples": 0, "self": [], "inclusive": []}

    def pct(counter: Counter[str], keep: Callable[[str], bool]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common() if keep(name)][:top]

    ours = ("services/", "shared/")
    return {"samples": total, "self": pct(self_counts, lambda _: True),
            "inclusive": pct(incl, lambda name: any(o in name for o in ours))}


def profile_while(pid: int, load: Callable[[], object], duration_s: float = 8.0) -> dict:
    """Sample `pid` and its subprocesses (gunicorn's workers) for `duration_s` while `load` runs."""
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as out:
        path = out.name
    spy = subprocess.Popen([str(PY_SPY if PY_SPY.exists() else "py-spy"), "record", "--pid", str(pid),
                            "--subprocesses", "--nonblocking", "--gil", "--rate", "200",
                            "--duration", str(int(duration_s)), "--format", "raw", "-o", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load()
    finally:
        spy.wait(timeout=duration_s + 60)
    text = Path(path).read_text(errors="replace")
    Path(path).unlink(missing_ok=True)
    return summarise(text)


def print_profiles(profiles: dict[str, dict]) -> None:
    for path, prof in profiles.items():
        print(f"\nprofile: {path} ({prof['samples']} samples of the ingest workers; % of samples)")
        print("  inclusive (our code):")
        for name, p in prof["inclusive"]:
            print(f"    {p:5.1f}  {name}")
        print("  self:")
        for name, p in prof["self"]:
            print(f"    {p:5.1f}  {name}")
