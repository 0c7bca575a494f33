"""Awards on the real broker and store: preview, close and verify over scoring's ballots.v1 (scoring runs as a
real process), refuse a second close, fail after tampering, withdraw a mistaken close (kept, marked, and the
verification says so); an award closed over votes.v1 before awards followed ballots still verifies; the award's
figures are the public board's (scoring's standings), even where a recount of votes.v1 would differ."""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import replace

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from services.ranking import export
from services.ranking.store import RankingStore
from shared import mongo
from shared.config import Settings
from shared.districts import load_registry
from shared.events import VoteEvent
from tests.support.ranking import copy_log, ranking_env, sangsuk, wait_scoring_decided
from tests.support.scoring import ConsumerProcess, now_utc, producer, scoring_env, send_votes

REGISTRY = load_registry()
SMALL = sorted(d.code for d in REGISTRY if d.size_group == "small")[:4]
LARGE = sorted(d.code for d in REGISTRY if d.size_group == "large")[:3]


def votes_for(rng: random.Random, plan: dict[str, list[int]]) -> list[VoteEvent]:
    now = now_utc()
    out = []
    for code, scores in plan.items():
        for i, score in enumerate(scores):
            out.append(VoteEvent(f"{code}-{i}-{rng.random()}", code, score, "", None, None, "kiosk", None, now, now))
    return out


def scoring(settings: Settings, **extra: str) -> ConsumerProcess:
    """Scoring's consumer as a real process: it decides the votes and publishes ballots.v1."""
    return ConsumerProcess(scoring_env(settings, tempfile.mkdtemp(prefix="scoring-state-"), **extra))


def new_topic_like(settings: Settings, source: str, name: str) -> str:
    """A fresh topic with as many partitions as `source` (a copy keeps every record's partition and offset)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    partitions = len(consumer.partitions_for_topic(source))
    consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.close()
    return name


def test_close_verify_refuse_and_detect_tampering(settings, tmp_path):
    rng = random.Random(7)
    plan = {SMALL[0]: [5, 5, 4], SMALL[1]: [4, 4, 4, 4], SMALL[2]: [2], LARGE[0]: [5, 5], LARGE[1]: [3, 4]}
    p = producer(settings)
    sent = send_votes(p, settings.topics.votes, votes_for(rng, plan))
    send_votes(p, settings.topics.votes, sent[:2])  # an ingest retry: the same vote_ids again
    flagged = replace(votes_for(rng, {LARGE[1]: [1]})[0], flagged=True, flag_reason="address_burst")
    send_votes(p, settings.topics.votes, [flagged])  # flagged by ingest: left out of the ranking, and counted as such
    p.close()
    env = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=2")
    decider = scoring(settings).start()
    try:
        _close_verify_refuse_and_detect_tampering(settings, tmp_path, env, rng, sent)
    finally:
        decider.stop()


def _close_verify_refuse_and_detect_tampering(settings, tmp_path, env, rng, sent):
    wait_scoring_decided(settings)

    # A preview says what a close would freeze, with names and counts, and stores nothing.
    preview = sangsuk(env, "awards", "preview", "sangsuk-test")
    assert preview.code == 0, preview.err
    assert preview.out["closed"] is False and RankingStore(mongo.database(settings)).award("sangsuk-test") is None
    [small_winner] = preview.out["winners"]["small"]
    first = REGISTRY.get(SMALL[0])
    assert (small_winner["district_code"], small_winner["name_th"], small_winner["province_th"]) == (
        SMALL[0], first.name_th, first.province_th)
    assert preview.out["districts_excluded"]["small"] == 533 - 2  # only SMALL[0] and SMALL[1] have 2+ votes
    assert preview.out["scoring"]["votes_undecided"] == 0, preview.out["scoring"]
    assert sum(preview.out["scoring"]["votes_end_offsets"].values()) == 15

    closed = sangsuk(env, "awards", "close", "sangsuk-test")
    assert closed.code == 0, closed.err
    assert closed.out["closed"] is True
    # Scoring's decisions: the ingest retries have no ballot (a copy of a vote_id is no vote), the flagged vote
    # is counted apart, nothing is a repeat of a voter's day.
    assert (closed.out["built_from"], closed.out["votes_counted"], closed.out["duplicates_skipped"],
            closed.out["votes_flagged"], closed.out["votes_refused"]) == ("ballots", 12, 0, 1, 0)
    assert [w["district_code"] for w in closed.out["winners"]["small"]] == [SMALL[0]]  # 4.6667 over 4.0
    assert [w["district_code"] for w in closed.out["winners"]["large"]] == [LARGE[0]]
    assert closed.out["winners"] == preview.out["winners"] and closed.out["sha256"] != preview.out["sha256"]
    assert closed.out["ballots_topic"] == settings.topics.ballots and sum(closed.out["end_offsets"].values()) >= 1

    served = RankingStore(mongo.database(settings)).award("sangsuk-test")
    snapshot = json.loads(served["canonical"])
    assert snapshot["ballots_topic"] == settings.topics.ballots and "votes_topic" not in snapshot
    assert snapshot["end_offsets"] == closed.out["end_offsets"] and "flags" not in snapshot
    small = snapshot["groups"]["small"]
    top_two = [(e["district_code"], e["rank"], e["mean"]) for e in small[:2]]
    assert top_two == [(SMALL[0], 1, 4.6667), (SMALL[1], 2, 4.0)]
    assert snapshot["formula"] == {"name": "mean", "params": {"min_votes": 2}}
    assert len(snapshot["size_groups"]) == 878

    again = sangsuk(env, "awards", "close", "sangsuk-test")
    assert again.code == 2 and "closed once" in again.err

    # Votes after the close do not touch the award: verify reads up to the frozen offsets.
    p = producer(settings)
    send_votes(p, settings.topics.votes, votes_for(rng, {SMALL[2]: [5, 5, 5, 5, 5]}))
    p.close()
    wait_scoring_decided(settings)  # their ballots are in ballots.v1, past the frozen ends
    verified = sangsuk(env, "awards", "verify", "sangsuk-test")
    assert verified.code == 0, (verified.out, verified.err)
    assert verified.out["ok"] and verified.out["rebuilt_sha256"] == served["sha256"]

    # What GET /v1/awards/NAME serves can be verified without our store; an edited copy cannot.
    served_file = tmp_path / "award.json"
    served_file.write_text(json.dumps({"name": "sangsuk-test", "sha256": served["sha256"], "snapshot": snapshot}))
    assert sangsuk(env, "awards", "verify", "sangsuk-test", "--file", str(served_file)).code == 0
    edited_copy = json.loads(served["canonical"])
    edited_copy["formula"]["params"]["min_votes"] = 1
    served_file.write_text(json.dumps({"name": "sangsuk-test", "sha256": served["sha256"], "snapshot": edited_copy}))
    assert sangsuk(env, "awards", "verify", "sangsuk-test", "--file", str(served_file)).code == 1

    # A copy of the ballots log with one ballot inside the closed range altered: verify fails and names the
    # district.
    copy_topic = new_topic_like(settings, settings.topics.ballots, settings.topics.ballots + ".copy")
    target = sent[2].vote_id  # SMALL[0]'s 4

    def alter(raw: bytes) -> bytes:
        data = json.loads(raw)
        for ballot in data["ballots"]:
            if ballot["vote_id"] == target:
                ballot["score"] = 1
        return json.dumps(data).encode()

    copy_log(settings, settings.topics.ballots, copy_topic, alter)
    tampered = sangsuk(env, "awards", "verify", "sangsuk-test", "--topic", copy_topic)
    assert tampered.code == 1 and not tampered.out["ok"] and tampered.out["topic"] == copy_topic
    assert SMALL[0] in {d.get("district_code") for d in tampered.out["differences"]}
    untouched = new_topic_like(settings, settings.topics.ballots, copy_topic + ".same")
    copy_log(settings, settings.topics.ballots, untouched)
    assert sangsuk(env, "awards", "verify", "sangsuk-test", "--topic", untouched).code == 0
    # --votes-topic names a votes.v1 copy: refused for an award built from ballots.v1, with the reason.
    wrong = sangsuk(env, "awards", "verify", "sangsuk-test", "--votes-topic", untouched)
    assert wrong.code == 2 and "--topic" in wrong.err

    # The snapshot edited in the store (a rank changed, hash left as it was): verify fails.
    db = mongo.database(settings)
    edited = json.loads(served["canonical"])
    edited["groups"]["small"][0]["rank"] = 2
    db.ranking_awards.update_one({"_id": "sangsuk-test"}, {"$set": {"canonical": json.dumps(edited)}})
    broken = sangsuk(env, "awards", "verify", "sangsuk-test")
    assert broken.code == 1 and broken.out["snapshot_hash_matches"] is False


def test_a_mistaken_close_is_withdrawn_kept_and_the_verification_says_so(settings, tmp_path):
    p = producer(settings)
    send_votes(p, settings.topics.votes, votes_for(random.Random(9), {SMALL[0]: [5, 4], SMALL[1]: [3, 3]}))
    p.close()
    env = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=2")
    closed = sangsuk(env, "awards", "close", "closed-too-early")
    assert closed.code == 0, closed.err
    assert sangsuk(env, "awards", "withdraw", "closed-too-early", "--reason", "  ").code == 2  # a reason is required
    assert sangsuk(env, "awards", "withdraw", "nope", "--reason", "x").code == 2
    withdrawn = sangsuk(env, "awards", "withdraw", "closed-too-early", "--reason", "ปิดรอบก่อนสิ้นสุดการโหวต")
    assert withdrawn.code == 0, withdrawn.err
    assert withdrawn.out["withdrawn"]["reason"] == "ปิดรอบก่อนสิ้นสุดการโหวต"
    again = sangsuk(env, "awards", "withdraw", "closed-too-early", "--reason", "again")
    assert again.code == 2 and "withdrawn already" in again.err
    # Kept: the snapshot and hash as closed, so it still verifies, and the verification shows the withdrawal.
    verified = sangsuk(env, "awards", "verify", "closed-too-early")
    assert verified.code == 0 and verified.out["ok"], verified.out
    assert verified.out["withdrawn"] == withdrawn.out["withdrawn"]
    doc = RankingStore(mongo.database(settings)).award("closed-too-early")
    assert doc["sha256"] == closed.out["sha256"] and doc["withdrawn"] == withdrawn.out["withdrawn"]
    served = tmp_path / "award.json"  # what GET /v1/awards/NAME serves, withdrawal included
    served.write_text(json.dumps({"name": "closed-too-early", "sha256": doc["sha256"], "withdrawn": doc["withdrawn"],
                                  "snapshot": json.loads(doc["canonical"])}, ensure_ascii=False))
    from_file = sangsuk(env, "awards", "verify", "closed-too-early", "--file", str(served))
    assert from_file.code == 0 and from_file.out["withdrawn"]["reason"] == "ปิดรอบก่อนสิ้นสุดการโหวต"
    # The same name is not closed again: the corrected award takes a new one.
    assert sangsuk(env, "awards", "close", "closed-too-early").code == 2
    assert sangsuk(env, "awards", "close", "closed-too-early-2").code == 0


def test_verify_of_an_unknown_award_is_refused(settings):
    run = sangsuk(ranking_env(settings), "awards", "verify", "nope")
    assert run.code == 2 and "no award" in run.err


def test_rerank_against_an_award_and_export_from_the_cli(settings, tmp_path):
    rng = random.Random(8)
    # Mean ranks SMALL[1] (3 votes, all 5) first; a lower bound prefers SMALL[0]'s 40 votes averaging 4.75.
    plan = {SMALL[0]: [5] * 30 + [4] * 10, SMALL[1]: [5, 5, 5]}
    p = producer(settings)
    send_votes(p, settings.topics.votes, votes_for(rng, plan))
    p.close()
    env = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=1")
    with scoring(settings):
        wait_scoring_decided(settings)
    assert sangsuk(env, "awards", "close", "what-if").code == 0
    out = tmp_path / "rerank.csv"
    run = sangsuk(env, "rerank", "--formula", "lower_bound", "--param", "min_votes=1", "--award", "what-if",
                  "--csv", str(out), "--quiet")
    assert run.code == 0, run.err
    assert "small: 2 of 533 districts change rank" in run.out
    import csv

    rows = {r["district_code"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert len(rows) == 878
    assert (rows[SMALL[0]]["rank"], rows[SMALL[0]]["rank_before"], rows[SMALL[0]]["places_up"]) == ("1", "2", "1")
    assert (rows[SMALL[1]]["rank"], rows[SMALL[1]]["rank_before"], rows[SMALL[1]]["places_up"]) == ("2", "1", "-1")
    first = REGISTRY.get(SMALL[0])
    assert rows[SMALL[0]]["name_th"] == first.name_th and list(rows[SMALL[0]])[3:5] == ["name_th", "name_en"]
    assert f"1\t{SMALL[0]}\t{first.name_th}\t{first.name_en}\t" in run.out  # printed Thai first
    # Without an award: scoring's ballots up to now, against the live board.
    live = sangsuk(env, "rerank", "--formula", "lower_bound", "--param", "min_votes=1", "--quiet")
    assert live.code == 0 and "against live (mean); 43 votes read" in live.out, (live.out, live.err)
    bad = sangsuk(env, "rerank", "--formula", "bayes", "--param", "z=2", "--award", "what-if")
    assert bad.code == 2 and "takes no parameter z" in bad.err

    exported = tmp_path / "districts.xlsx"
    run = sangsuk(env, "export", "--format", "xlsx", "--out", str(exported))
    assert run.code == 0 and run.out["districts"] == 878
    from openpyxl import load_workbook

    sheet = load_workbook(exported).active
    assert sheet.max_row == 879
    at = [export.key_of(c.value) for c in sheet[1]].index("campaign_eligible")
    eligible = [row[at] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert eligible and set(eligible) <= {"ใช่", "ไม่ใช่"}  # not True/False


def test_an_award_closed_over_votes_before_awards_followed_ballots_still_verifies(settings, tmp_path):
    """Stored as the close before this change stored it (votes.v1's ends, the log replayed with the platform's
    flag caps, `votes_topic` in the body): verify chooses the votes.v1 replay by what the body says."""
    from dataclasses import replace as with_

    from services.ranking import awards
    from services.ranking.formulas import Formula
    from services.ranking.replay import end_offsets, read_log
    from shared.timeutil import bangkok_day

    p = producer(settings)
    sent = send_votes(p, settings.topics.votes, votes_for(random.Random(11), {SMALL[0]: [5, 4], SMALL[1]: [3, 3, 2]}))
    p.close()
    env = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=1")
    platform = with_(settings, min_sources=1)  # the env's MIN_SOURCES, as the CLI reads it
    ends = end_offsets(platform, platform.topics.votes)
    now = now_utc()
    body = awards.snapshot_body(name="old-kind", closed_at=now, day=bangkok_day(now), window="campaign",
                                campaign=(None, None), formula=Formula("mean", {"min_votes": 1}, 1),
                                topic=platform.topics.votes, source=awards.VOTES, ends=ends,
                                size_groups={d.code: d.size_group for d in REGISTRY},
                                tallies=read_log(platform, platform.topics.votes, ends, REGISTRY.codes(),
                                                 progress=False), flags=platform.flags)
    assert body["votes_topic"] == settings.topics.votes and "ballots_topic" not in body and "flags" in body
    assert RankingStore(mongo.database(settings)).insert_award(awards.award_document(body))

    verified = sangsuk(env, "awards", "verify", "old-kind")
    assert verified.code == 0 and verified.out["ok"], verified.out
    assert (verified.out["built_from"], verified.out["topic"]) == ("votes", settings.topics.votes)
    assert verified.out["votes_counted"] == 5
    # A copy of votes.v1 with one vote altered: both ways of naming a copy read it, and verify fails.
    copy_topic = new_topic_like(settings, settings.topics.votes, settings.topics.votes + ".copy")

    def alter(raw: bytes) -> bytes:
        data = json.loads(raw)
        if data["vote_id"] == sent[0].vote_id:
            data["score"] = 1
        return json.dumps(data).encode()

    copy_log(settings, settings.topics.votes, copy_topic, alter)
    for option in ("--votes-topic", "--topic"):
        tampered = sangsuk(env, "awards", "verify", "old-kind", option, copy_topic)
        assert tampered.code == 1 and SMALL[0] in {d.get("district_code") for d in tampered.out["differences"]}
    # Edited in the store: the stored bytes no longer hash to the stored SHA-256.
    db = mongo.database(settings)
    edited = {**body, "window": "7d"}
    db.ranking_awards.update_one({"_id": "old-kind"}, {"$set": {"canonical": json.dumps(edited)}})
    broken = sangsuk(env, "awards", "verify", "old-kind")
    assert broken.code == 1 and broken.out["snapshot_hash_matches"] is False


def test_the_award_states_the_boards_figures_where_a_recount_of_votes_would_not(settings):
    """Scoring flagged a LINE voter's second district of the day (its caps: one district a day); a recount of
    votes.v1 with other caps (the platform's defaults: raised since, or the cross-partition race docs/scoring.md
    names) would count it, and with it that district's second source. The award follows scoring's ballots, so
    its entries are the public board's (built from scoring's standings), ballot copies taken once."""
    from dataclasses import replace as with_
    from datetime import timedelta

    from services.ranking.awards import entry_json
    from services.ranking.boards import build_boards
    from services.ranking.config import formula_from_env
    from services.ranking.replay import end_offsets, read_log
    from shared.flags import FlagSettings
    from tests.support.ranking import scoring_boards

    a, b = SMALL[0], SMALL[1]
    voter, kiosk = "a" * 64, "f" * 64
    now = now_utc()
    first, second = now - timedelta(seconds=20), now - timedelta(seconds=10)
    env = ranking_env(settings, RANKING_FORMULA="mean", RANKING_PARAMS="min_votes=1", MIN_SOURCES="2")
    with scoring(settings, FLAG_VOTER_DAILY_CAP="1", MIN_SOURCES="2"):
        p = producer(settings)
        send_votes(p, settings.topics.votes, [
            VoteEvent("line-a", a, 5, "", None, None, "line", voter, first, first, source_key=voter),
            VoteEvent("kiosk-a", a, 4, "", None, None, "kiosk", None, first, first, source_key=kiosk),
            VoteEvent("kiosk-b", b, 4, "", None, None, "kiosk", None, first, first, source_key=kiosk)])
        wait_scoring_decided(settings)  # the voter's first district is decided before the second arrives
        send_votes(p, settings.topics.votes, [
            VoteEvent("line-b", b, 5, "", None, None, "line", voter, second, second, source_key=voter)])
        p.close()
        wait_scoring_decided(settings)
    # Every ballot published once more (a scoring batch replayed after a crash publishes its ballots again).
    copy_log(settings, settings.topics.ballots, settings.topics.ballots)

    closed = sangsuk(env, "awards", "close", "one-truth")
    assert closed.code == 0, closed.err
    assert (closed.out["votes_counted"], closed.out["votes_flagged"], closed.out["ballots_redelivered"],
            closed.out["counted_without_source"], closed.out["scoring"]["votes_undecided"]) == (3, 1, 4, 0, 0)
    snapshot = json.loads(RankingStore(mongo.database(settings)).award("one-truth")["canonical"])
    formula = formula_from_env({"RANKING_FORMULA": "mean", "RANKING_PARAMS": "min_votes=1"}, 2)
    board = scoring_boards(mongo.database(settings), REGISTRY, formula)
    for group in ("small", "medium", "large"):
        assert snapshot["groups"][group] == [entry_json(e) for e in board[(group, "campaign")]], group
    entries = {e["district_code"]: e for e in snapshot["groups"]["small"]}
    assert (entries[a]["rank"], entries[a]["votes"], entries[a]["eligible"]) == (1, 2, True)
    assert (entries[b]["votes"], entries[b]["eligible"]) == (1, False)  # one counted vote, one source

    # The recount of votes.v1 with the platform's default caps counts the second district: other figures.
    platform = with_(settings, min_sources=2)
    ends = end_offsets(platform, platform.topics.votes)
    recount = read_log(platform, platform.topics.votes, ends, REGISTRY.codes(), flags=FlagSettings(), progress=False)
    recounted = {e.code: e for e in build_boards(recount.figures(now.date(), None, None), REGISTRY,
                                                 formula)[("small", "campaign")]}
    assert (recounted[b].votes, recounted[b].eligible) == (2, True)
    assert sangsuk(env, "awards", "verify", "one-truth").out["ok"]
    # MIN_SOURCES lowered since the close: the verify counts sources up to the award's frozen 2, and still holds.
    lowered = sangsuk({**env, "MIN_SOURCES": "1"}, "awards", "verify", "one-truth")
    assert lowered.code == 0 and lowered.out["ok"], lowered.out
