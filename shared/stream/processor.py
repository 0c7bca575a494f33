"""The interface a consumer service implements: what one batch of records means to it.

The runtime (loop.py) calls `handle` with each polled batch and commits the batch's offsets only
after `handle` returned and the sink's output was acknowledged; any failure redoes the whole batch.
So `handle` must be safe to repeat (idempotent effect), and it may keep a cache that `forget` drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from shared.stream.ports import Assignment, Record

R = TypeVar("R", covariant=True)


class Processor(Protocol[R]):
    def handle(self, records: Sequence[Record]) -> R:
        """Apply one batch (records of several partitions, in offset order per partition) and return a
        report of what it did. Output events and dead letters go to the `Sink` the processor was built
        with. Raise to have the batch redone: after a backoff, from the same records."""

    def forget(self) -> None:
        """Drop cached state: called on every rebalance (another member may have written our
        partitions) and after every failed attempt (the cache may hold half-applied state)."""

    def tick(self, now: datetime, assigned: Assignment) -> R | None:
        """Time-driven work (e.g. the Bangkok-midnight refresh). Called after every poll, so at least
        every poll timeout: decide cheaply whether anything is due and return None when nothing was.
        Its output is flushed like a batch's; there are no offsets to commit."""
