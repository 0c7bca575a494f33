"""The export's tally of scoring's decisions: once per vote_id, votes only, in the campaign window."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from services.ranking.ballot_tally import BallotTally
from shared.events import ballots_record


def ballot(vote_id: str, decision: str = "counted", *, kind: str = "vote", day: str = "2026-11-21",
           score: int = 4, service: str | None = "id_card") -> dict:
    return {"schema": "ballots.v1", "vote_id": vote_id, "district_code": "3706", "kind": kind,
            "decision": decision, "day": day, "score": score, "comment": "", "submitted_at": f"{day}T03:00:00Z",
            "channel": "qr", "service": service if kind == "vote" else None, "staff": None,
            "received_at": f"{day}T03:00:00Z" if kind == "vote" else None, "comment_at": None,
            "flag_reason": "address_burst" if decision == "flagged" else None,
            "votes_offset": 1 if kind == "vote" else -1}


def record(*ballots: dict) -> SimpleNamespace:
    return SimpleNamespace(topic="ballots.v1", partition=0, offset=0, key=b"3706",
                           value=ballots_record("3706", ballots))


def test_a_replayed_ballot_a_comment_ballot_and_a_day_outside_the_campaign_add_nothing():
    tally = BallotTally(start=date(2026, 11, 1), end=date(2026, 11, 30))
    batch = [record(ballot("v1", score=5), ballot("v2", score=2, service=None), ballot("v3", "flagged"),
                    ballot("v4", "repeat"), ballot("v1", kind="comment"), ballot("v5", day="2026-12-01"))]
    tally.handle(batch)
    tally.handle(batch)  # at least once: the same record again
    tally.handle([SimpleNamespace(topic="ballots.v1", partition=0, offset=1, key=None, value=b"{not json")])
    d = tally.of("3706")
    assert (d.counted, d.flagged, d.repeat, tally.unreadable) == (2, 1, 1, 1)
    assert (d.service_votes["id_card"], d.service_mean("id_card"), d.service_votes["unspecified"]) == (1, 5.0, 1)
    assert d.service_mean("complaints") is None
    assert tally.of("9999").counted == 0
