"""The group commit of claims (services/ingest/takes.py) over the in-memory claim store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from services.ingest.takes import GroupTakes
from shared.claims import NewClaim
from tests.support.fakes import MemoryClaims

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


class GatedClaims(MemoryClaims):
    """Counts take() calls (each a round trip), can hold the first one back and can fail on demand."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[list[str], datetime]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail_with: Exception | None = None

    def take(self, claims, now):
        self.entered.set()
        self.gate.wait(5)
        self.calls.append(([c.id for c in claims], now))
        if self.fail_with is not None:
            raise self.fail_with
        return super().take(claims, now)


def offer(*ids: str, vote: str = "v") -> list[NewClaim]:
    return [NewClaim(i, f"{vote}-{i}", NOW + timedelta(days=1)) for i in ids]


def run_while_first_write_is_held(store: GatedClaims, takes: GroupTakes, requests: list[tuple[list[NewClaim],
                                                                                                datetime]]):
    """The first request's write is held in the store while the others arrive; returns each one's result."""
    results: list[object] = [None] * len(requests)

    def call(i: int) -> None:
        try:
            results[i] = takes.take(*requests[i])
        except Exception as exc:
            results[i] = exc

    store.gate.clear()
    first = threading.Thread(target=call, args=(0,))
    first.start()
    assert store.entered.wait(5)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, len(requests))]
    for t in others:
        t.start()
    deadline = time.monotonic() + 5
    while len(takes._queue) < len(requests) - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(takes._queue) == len(requests) - 1, "the later requests should be queued behind the first write"
    store.gate.set()
    for t in (first, *others):
        t.join(5)
    return results


def test_a_lone_request_is_written_at_once_with_its_own_time():
    store = GatedClaims()
    assert GroupTakes(store).take(offer("a", "b"), NOW) == set()
    assert store.calls == [(["a", "b"], NOW)]


def test_requests_arriving_during_a_write_share_the_next_one():
    store = GatedClaims()
    takes = GroupTakes(store)
    later = NOW + timedelta(milliseconds=3)
    requests = [(offer("a"), NOW)] + [(offer(f"k{i}", f"d{i}"), later) for i in range(6)]
    results = run_while_first_write_is_held(store, takes, requests)
    assert results == [set()] * 7
    assert len(store.calls) == 2, store.calls  # the first alone, then the six queued ones together
    assert sorted(store.calls[1][0]) == sorted(f"{p}{i}" for i in range(6) for p in "kd")
    assert store.calls[1][1] == later
    assert set(store.docs) == {"a", *(f"{p}{i}" for i in range(6) for p in "kd")}


def test_each_request_learns_its_own_clashes():
    store = GatedClaims()
    store.claim(offer("held1", "held2"), NOW)
    store.calls.clear()
    takes = GroupTakes(store)
    requests = [(offer("x"), NOW), (offer("fresh1", "held1"), NOW), (offer("held2", "fresh2"), NOW),
                (offer("same"), NOW), (offer("same", vote="w"), NOW)]  # two retries of one key in one group
    results = run_while_first_write_is_held(store, takes, requests)
    assert results[:3] == [set(), {1}, {0}]
    assert sorted(map(len, results[3:])) == [0, 1], "one of two offers of the same claim wins, the other clashes"
    assert len(store.calls) == 2


def test_a_store_error_fails_every_request_of_its_group_and_the_lead_passes_on():
    store = GatedClaims()
    takes = GroupTakes(store)
    store.fail_with = RuntimeError("store away")
    results = run_while_first_write_is_held(store, takes, [(offer("a"), NOW), (offer("b"), NOW),
                                                           (offer("c"), NOW)])
    assert all(isinstance(r, RuntimeError) for r in results)
    store.fail_with = None
    assert takes.take(offer("d"), NOW) == set()  # nobody is left holding the lead
    assert not takes._leading and not takes._queue


def test_a_group_never_splits_a_request_and_stays_under_its_size():
    store = GatedClaims()
    takes = GroupTakes(store, max_claims=4)
    requests = [(offer("first"), NOW), (offer("a1", "a2", "a3"), NOW), (offer("b1", "b2"), NOW),
                (offer(*[f"c{i}" for i in range(6)]), NOW)]  # larger than a group: written alone
    results = run_while_first_write_is_held(store, takes, requests)
    assert results == [set()] * 4
    assert sorted(len(ids) for ids, _ in store.calls[1:]) == [2, 3, 6], store.calls  # 3 + 2 > 4: apart
    assert all(set(ids) in ({"a1", "a2", "a3"}, {"b1", "b2"}, {f"c{i}" for i in range(6)})
               for ids, _ in store.calls[1:])


def test_many_threads_lose_and_double_nothing():
    store = MemoryClaims()
    takes = GroupTakes(store)
    won: list[str] = []
    lock = threading.Lock()

    def request(n: int) -> None:
        ids = [f"key{n % 50}", f"day{n}"]  # 4 requests per key: exactly one wins each
        clashed = takes.take(offer(*ids, vote=f"r{n}"), NOW)
        with lock:
            won.extend(ids[i] for i in range(2) if i not in clashed)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(won) == sorted([f"key{k}" for k in range(50)] + [f"day{n}" for n in range(200)])


def test_nothing_to_take_makes_no_round_trip():
    store = GatedClaims()
    assert GroupTakes(store).take([], NOW) == set()
    assert store.calls == []
