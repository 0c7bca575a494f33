"""The benchmarks are not run by the suite, but a merge that breaks one must still be seen here."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "bench").glob("*_bench.py"))


def test_there_are_benchmarks() -> None:
    assert {"ingest_bench", "scoring_bench", "ranking_bench"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_imports_and_has_a_main(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"
