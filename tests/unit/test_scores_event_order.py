"""scores.v1 carries `votes_offset` (what orders a district's standings), compatibly."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from services.scoring.domain import Bucket, partition_positions
from shared.events import ScoresEvent, parse_scores_event

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
STANDING = ScoresEvent("3706", "2026-11-21", NOW, {}, ())


def test_partition_position_is_the_highest_watermark_of_written_buckets():
    buckets = [Bucket(0, date(2026, 11, 20), 40, exists=True), Bucket(0, date(2026, 11, 21), 75, exists=True),
               Bucket(1, date(2026, 11, 21), 9, exists=True), Bucket(2, date(2026, 11, 21), 99)]  # not yet written
    assert partition_positions(buckets) == {0: 75, 1: 9}


def test_votes_offset_round_trips_and_an_event_without_it_still_parses():
    raw = replace(STANDING, votes_offset=75).to_bytes()
    assert json.loads(raw)["votes_offset"] == 75
    assert parse_scores_event(raw).votes_offset == 75
    older = STANDING.to_bytes()
    assert "votes_offset" not in json.loads(older)
    assert parse_scores_event(older).votes_offset is None
