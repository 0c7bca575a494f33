"""RankingStore on the real document server: newer-only figures, write-once snapshots and awards."""

from __future__ import annotations

from services.ranking.domain import order_key
from services.ranking.store import RankingStore
from shared import mongo


def test_a_stale_standing_never_overwrites_a_newer_one(settings):
    store = RankingStore(mongo.database(settings))
    newer = order_key(10, "2026-11-21", "2026-11-21T03:00:00.000Z")
    older = order_key(9, "2026-11-21", "2026-11-21T03:00:05.000Z")
    assert store.put_if_newer("3706", newer, {"day": "2026-11-21", "windows": {"campaign": {"votes": 10}}})
    assert not store.put_if_newer("3706", older, {"day": "2026-11-21", "windows": {"campaign": {"votes": 9}}})
    assert not store.put_if_newer("3706", newer, {"day": "2026-11-21", "windows": {"campaign": {"votes": 10}}})
    assert store.all_figures()["3706"]["windows"]["campaign"]["votes"] == 10
    newest = order_key(10, "2026-11-22", "2026-11-21T17:00:01.000Z")
    assert store.put_if_newer("3706", newest, {"day": "2026-11-22", "windows": {"campaign": {"votes": 10}}})
    assert store.keys() == {"3706": newest}


def test_snapshots_and_awards_are_written_once(settings):
    store = RankingStore(mongo.database(settings))
    snap = {"_id": "2026-11-21:small:campaign", "day": "2026-11-21", "group": "small", "window": "campaign",
            "ranks": {"3706": 1}}
    assert store.insert_snapshot(snap)
    assert not store.insert_snapshot({**snap, "ranks": {"3706": 2}})
    assert store.snapshot(snap["_id"])["ranks"] == {"3706": 1}
    assert store.snapshot_ids([snap["_id"], "2026-11-20:small:campaign"]) == {snap["_id"]}
    award = {"_id": "a", "sha256": "0" * 64, "canonical": "{}", "closed_at": "x"}
    assert store.insert_award(award)
    assert not store.insert_award({**award, "canonical": '{"x":1}'})
    assert store.award("a")["canonical"] == "{}"


def test_change_counter_moves(settings):
    from shared.timeutil import utcnow

    store = RankingStore(mongo.database(settings))
    assert store.read_state()["version"] == 0
    store.bump(utcnow())
    store.note_snapshot("2026-11-21")
    state = store.read_state()
    assert state["version"] == 2 and state["snapshot_day"] == "2026-11-21"


def test_changes_are_logged_under_their_version_and_old_ones_purged(settings, monkeypatch):
    from services.ranking import store as store_module
    from shared.timeutil import utcnow

    monkeypatch.setattr(store_module, "CHANGES_KEPT", 2)
    store = RankingStore(mongo.database(settings))
    figure = {"k": order_key(3, "2026-11-21", "2026-11-21T03:00:00.000Z"), "day": "2026-11-21",
              "as_of": "2026-11-21T03:00:00.000Z", "votes_offset": 3,
              "windows": {"campaign": {"votes": 3, "histogram": {"5": 3}, "last_vote_at": None}}}
    assert store.record_change({"3706": figure}, utcnow()) == 1
    assert store.change(1) == {"figures": {"3706": figure}}
    assert store.bump(utcnow()) == 2 and store.change(2) == {"reload": True}
    assert store.note_snapshot("2026-11-21") == 3 and store.change(3) == {"reload": True}
    assert store.change(1) is None, "the change CHANGES_KEPT versions older is deleted by the newest"
    assert store.change(4) is None and store.read_state()["version"] == 3
    store.state.delete_one({"_id": "state"})  # a counter reset while its log stayed: versions are reused
    assert store.record_change({"3706": figure}, utcnow()) == 1 and store.change(1) == {"figures": {"3706": figure}}
    assert store.record_change({}, utcnow()) == 2 and store.change(2) == {"figures": {}}
