"""The one place offsets are committed: flush the sink, and only then commit.

A crash before the commit replays the batch from the last committed offset; the processor makes
the replay exact. Committing first could lose output; flushing first at worst repeats it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared.stream.ports import ConsumerPort, Record, TopicPartition
from shared.stream.sink import Sink

log = logging.getLogger(__name__)


class Checkpoint:
    def __init__(self, consumer: ConsumerPort, sink: Sink, *, flush_timeout_s: float):
        self.consumer = consumer
        self.sink = sink
        self.flush_timeout_s = flush_timeout_s

    def commit(self, records: Sequence[Record]) -> None:
        """Flush, then commit the next offset of every partition of `records` we still own."""
        self.sink.flush(self.flush_timeout_s)
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, -1), r.offset + 1)
        assigned = self.consumer.assignment()
        mine = {tp: o for tp, o in offsets.items() if tp in assigned}
        if mine and not self.consumer.commit(mine):
            # The group rebalanced under us; the new owner replays from the last commit, exactly.
            log.warning("offset commit refused after a rebalance", extra={"partitions": len(mine)})

    def flush(self) -> None:
        """Output without offsets (a tick's): acknowledged before the loop goes on."""
        self.sink.flush(self.flush_timeout_s)

    def abandon(self) -> None:
        """A failed attempt: nothing of it is committed, and its sends are not waited for."""
        self.sink.abandon()
