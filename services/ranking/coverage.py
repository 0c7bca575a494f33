"""How far scoring had decided votes.v1 when an award froze ballots.v1: what the close and preview report.

An award over ballots.v1 holds the votes scoring had decided (published) by the close; votes received but not
yet decided are in neither the award nor the public board. The close says how many, so the centre knows the
award covers what the board showed at that moment, and can wait and close under a new name if they matter.

How: scoring's consumer group commits a batch's votes.v1 offsets only after the batch's ballots are acknowledged
by Kafka (docs/events.md, "Published in the same checkpoint"). The close reads the group's committed offsets
*first*, then freezes ballots.v1's ends, then reads votes.v1's ends: every vote below a committed offset has its
ballot inside the frozen range, so `votes.v1 end - committed`, summed over partitions, is an upper bound on the
votes received before the close that the award does not hold (a batch decided but not yet committed is counted
as undecided: never fewer). Reading the group's offsets needs Describe on the group (ranking's KafkaUser has it);
when they cannot be read the report says so (`votes_undecided` null) and the close still goes on.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.config import Settings


def committed_offsets(settings: Settings, group: str, topic: str) -> dict[int, int] | str:
    """The offsets `group` has committed on `topic` per partition, or why they could not be read."""
    from kafka import KafkaAdminClient

    from shared.kafka import client_security

    try:
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="sangsuk-awards",
                                 **client_security(settings))
    except Exception as exc:  # the close reports it; the award does not depend on it
        return f"cannot reach Kafka: {type(exc).__name__}"
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    except Exception as exc:
        return f"cannot read group {group}'s offsets: {type(exc).__name__}"
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0}


def report(group: str, votes_topic: str, committed: Mapping[int, int] | str,
           votes_ends: Mapping[int, int]) -> dict:
    """What the close prints under `scoring`: the group, votes.v1's ends, what scoring had committed, and at most
    how many votes received before the close the award (and the board) did not yet hold."""
    out = {"group": group, "votes_topic": votes_topic,
           "votes_end_offsets": {str(p): o for p, o in sorted(votes_ends.items())}}
    if isinstance(committed, str):
        return {**out, "decided_offsets": None, "votes_undecided": None,
                "note": f"{committed}; how far scoring had decided is unknown"}
    undecided = sum(max(0, end - committed.get(p, 0)) for p, end in votes_ends.items())
    if not committed and undecided:
        return {**out, "decided_offsets": {}, "votes_undecided": undecided,
                "note": f"group {group} has committed nothing on {votes_topic}: scoring has not decided a vote "
                        "yet, or SCORING_GROUP_ID does not name its group"}
    note = ("scoring had decided every vote received before the close: the award holds what the board showed"
            if undecided == 0 else
            f"at most {undecided} votes received before the close were not yet decided by scoring: they are "
            "neither in this award nor on the board yet; wait for scoring and close under a new name to "
            "include them")
    return {**out, "decided_offsets": {str(p): o for p, o in sorted(committed.items())},
            "votes_undecided": undecided, "note": note}
