"""`sangsuk awards preview|close|withdraw|verify`, `sangsuk rerank`, `sangsuk export`: ranking's admin commands.

Offered to `sangsuk` through services/ranking/manifest.py; each command prints JSON (or a table)
and returns an exit code: 0 done, 1 a check failed (verify), 2 refused (bad input, award exists, ...).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

from services.ranking import awards, coverage, export
from services.ranking.boards import boards_for, build_boards, group_codes
from services.ranking.bootstrap import bootstrap
from services.ranking.config import RankingConfig
from services.ranking.domain import GROUPS, WINDOWS
from services.ranking.formulas import Formula, parse_params
from services.ranking.replay import Tallies, end_offsets, read_ballots_log, read_log
from services.ranking.store import RankingStore
from shared.spreadsheet import safe_cell
from shared.timeutil import bangkok_day, utcnow


def _awards_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="award_action", required=True)
    close = actions.add_parser("close", help="freeze each group's ranking with the ballots.v1 end offsets now")
    close.add_argument("name", help="the award's name, e.g. sangsuk-2026")
    close.add_argument("--window", choices=list(WINDOWS), default="campaign")
    preview = actions.add_parser("preview", help="what a close would freeze now (winners, counts), storing nothing")
    preview.add_argument("name")
    preview.add_argument("--window", choices=list(WINDOWS), default="campaign")
    withdraw = actions.add_parser("withdraw", help="mark a mistaken close withdrawn (kept, with the reason)")
    withdraw.add_argument("name")
    withdraw.add_argument("--reason", required=True, help="why, shown with the award and in its verification")
    verify = actions.add_parser("verify", help="rebuild the award's ranking from its log (ballots.v1, or votes.v1 "
                                "for an award closed over it) and check its SHA-256")
    verify.add_argument("name")
    verify.add_argument("--topic", help="read this topic instead of the one the award was built from (a copy of it)")
    verify.add_argument("--votes-topic", help="the same as --topic, for an award built from votes.v1 only")
    verify.add_argument("--file", type=Path, help="verify this file (GET /v1/awards/NAME) instead of the store's")


def _rerank_arguments(rerank: argparse.ArgumentParser) -> None:
    rerank.add_argument("--formula", required=True, choices=["bayes", "mean", "lower_bound"])
    rerank.add_argument("--param", action="append", default=[], metavar="K=V", help="a formula parameter")
    rerank.add_argument("--window", choices=list(WINDOWS), default="campaign")
    rerank.add_argument("--award", help="compare with this award (its offsets, day and size groups)")
    rerank.add_argument("--csv", type=Path, help="write every district's old and new rank here")
    rerank.add_argument("--top", type=int, default=10, help="rows printed per group")
    rerank.add_argument("--quiet", action="store_true", help="no progress bar")


def _export_arguments(exp: argparse.ArgumentParser) -> None:
    exp.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    exp.add_argument("--out", type=Path, required=True)


ARGUMENTS = {"awards": _awards_arguments, "rerank": _rerank_arguments, "export": _export_arguments}


def run(command: str, args: argparse.Namespace) -> int:
    config = RankingConfig.from_env()
    try:
        if command == "awards" and args.award_action in ("close", "preview"):
            return close(config, args.name, args.window, store=args.award_action == "close")
        if command == "awards" and args.award_action == "withdraw":
            return withdraw(config, args.name, args.reason)
        if command == "awards":
            return verify(config, args.name, args.topic, args.file, votes_topic=args.votes_topic)
        if command == "rerank":
            return rerank(config, args)
        return export_file(config, args.format, args.out)
    except (awards.AwardError, ValueError, RuntimeError) as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False), file=sys.stderr)
        return 2


def _store(config: RankingConfig) -> RankingStore:
    return bootstrap(config).store


def read_award_log(config: RankingConfig, stored: dict, topic: str | None = None, *, progress: bool = True,
                   source_cap: int | None = None) -> Tallies:
    """The log an award was built from (or `topic`, a copy of it) up to its frozen ends, read as it was built:
    ballots.v1 folded (sources counted up to the award's frozen MIN_SOURCES, so that a later change of the
    setting leaves its eligibility as closed; a what-if gives its own), or votes.v1 replayed with the award's
    frozen flag caps."""
    topic = topic or awards.topic_of(stored)
    ends = {int(p): o for p, o in stored["end_offsets"].items()}
    codes = stored["size_groups"].keys()
    if awards.built_from(stored) == awards.VOTES:
        return read_log(config.platform, topic, ends, codes, flags=awards.frozen_flags(stored), progress=progress)
    return read_ballots_log(config.platform, topic, ends, codes, progress=progress,
                            source_cap=source_cap or stored["formula"].get("min_sources", 1))


def close(config: RankingConfig, name: str, window: str, *, store: bool = True) -> int:
    """Freeze the ranking now (or, `store=False`, preview it) from scoring's decisions (ballots.v1): the summary
    names the winners, says how many votes were counted, flagged, skipped as repeats and refused, and how far
    scoring had decided votes.v1 at that moment (services/ranking/coverage.py: its offsets are read first)."""
    if not awards.AWARD_NAME.match(name):
        raise awards.AwardError("an award name is 1-64 letters, digits, '.', '_' or '-' (first a letter or digit)")
    ranking_store = _store(config)
    held = ranking_store.award(name)
    if held is not None:
        raise awards.AwardError(f"award {name!r} was closed at {held['closed_at']}; an award is closed once")
    settings = config.platform
    registry = bootstrap(config).registry
    decided = coverage.committed_offsets(settings, config.scoring_group, settings.topics.votes)
    now = utcnow()
    ends = end_offsets(settings, settings.topics.ballots)
    scoring = coverage.report(config.scoring_group, settings.topics.votes, decided,
                              end_offsets(settings, settings.topics.votes))
    tallies = read_ballots_log(settings, settings.topics.ballots, ends, registry.codes())
    body = awards.snapshot_body(name=name, closed_at=now, day=bangkok_day(now), window=window,
                                campaign=(config.campaign_start, config.campaign_end), formula=config.formula,
                                topic=settings.topics.ballots, ends=ends,
                                size_groups={d.code: d.size_group for d in registry}, tallies=tallies)
    document = awards.award_document(body)
    if store:
        if not ranking_store.insert_award(document):
            raise awards.AwardError(f"award {name!r} was closed meanwhile by another run; an award is closed once")
        ranking_store.note_award()
    print(json.dumps({"award": name, "closed": store, "sha256": document["sha256"], "closed_at": body["closed_at"],
                      "window": window, "formula": body["formula"], "ballots_topic": body["ballots_topic"],
                      "end_offsets": body["end_offsets"], **awards.summary(body, tallies, registry),
                      "scoring": scoring}, ensure_ascii=False))
    return 0


def withdraw(config: RankingConfig, name: str, reason: str) -> int:
    """Withdraw a mistaken close: the award stays (its snapshot verifies as before), marked withdrawn."""
    mark = awards.withdrawal(reason, utcnow())
    ranking_store = _store(config)
    held = ranking_store.award(name)
    if held is None:
        raise awards.AwardError(f"no award {name!r} has been closed")
    if not ranking_store.withdraw_award(name, mark):
        raise awards.AwardError(f"award {name!r} was withdrawn already at {held.get('withdrawn', {}).get('at')}")
    ranking_store.note_award()
    print(json.dumps({"award": name, "withdrawn": mark, "sha256": held["sha256"]}, ensure_ascii=False))
    return 0


def verify(config: RankingConfig, name: str, topic: str | None, file: Path | None, *,
           votes_topic: str | None = None) -> int:
    """Check the stored bytes against the stored hash, and rebuild the award from the log it names (or `topic`,
    a copy of it) with its frozen choices: 0 when both hold, 1 (with the differences) when either does not."""
    if file is not None:
        served = json.loads(file.read_text(encoding="utf-8"))
        stored_hash, stored = served["sha256"], served["snapshot"]
        stored_bytes = awards.canonical(stored)
        withdrawn = served.get("withdrawn")
    else:
        doc = _store(config).award(name)
        if doc is None:
            raise awards.AwardError(f"no award {name!r} has been closed")
        stored_hash, stored_bytes = doc["sha256"], doc["canonical"].encode("utf-8")
        stored = json.loads(stored_bytes)
        withdrawn = doc.get("withdrawn")
    if stored.get("award") != name:
        raise awards.AwardError(f"the snapshot is of award {stored.get('award')!r}, not {name!r}")
    if votes_topic and awards.built_from(stored) != awards.VOTES:
        raise awards.AwardError(f"award {name!r} was built from ballots.v1, not votes.v1: give a copy with --topic")
    snapshot_intact = hashlib.sha256(stored_bytes).hexdigest() == stored_hash == awards.digest(stored)
    topic = topic or votes_topic or awards.topic_of(stored)
    tallies = read_award_log(config, stored, topic)
    rebuilt = awards.rebuild_body(stored, tallies)
    rebuilt_hash = awards.digest(rebuilt)
    ok = snapshot_intact and rebuilt_hash == stored_hash
    print(json.dumps({"award": name, "ok": ok, "sha256": stored_hash, "rebuilt_sha256": rebuilt_hash,
                      "snapshot_hash_matches": snapshot_intact, "withdrawn": withdrawn,
                      "built_from": awards.built_from(stored), "topic": topic,
                      "votes_counted": tallies.counted, "votes_flagged": tallies.flagged,
                      "differences": awards.differences(stored, rebuilt)}, ensure_ascii=False))
    return 0 if ok else 1


def rerank(config: RankingConfig, args: argparse.Namespace) -> int:
    formula = Formula(args.formula, parse_params(args.param), config.platform.min_sources)
    settings = config.platform
    registry = bootstrap(config).registry
    if args.award:
        doc = _store(config).award(args.award)
        if doc is None:
            raise awards.AwardError(f"no award {args.award!r} has been closed")
        stored = json.loads(doc["canonical"])
        window = stored["window"]
        groups: dict[str, list[str]] = {g: [] for g in GROUPS}
        for code, group in sorted(stored["size_groups"].items()):
            groups[group].append(code)
        tallies = read_award_log(config, stored, progress=not args.quiet,
                                 source_cap=max(formula.min_sources, stored["formula"].get("min_sources", 1)))
        figures = tallies.figures(*_award_days(stored))
        before = {g: {e["district_code"]: e["rank"] for e in stored["groups"][g]} for g in GROUPS}
        baseline = f"award {args.award} ({stored['formula']['name']})"
    else:
        window = args.window
        ends = end_offsets(settings, settings.topics.ballots)
        groups = group_codes(registry)
        tallies = read_ballots_log(settings, settings.topics.ballots, ends, registry.codes(), progress=not args.quiet)
        figures = tallies.figures(bangkok_day(utcnow()), config.campaign_start, config.campaign_end)
        live = build_boards(_store(config).all_figures(), registry, config.formula)
        before = {g: {e.code: e.rank for e in live[(g, window)]} for g in GROUPS}
        baseline = f"live ({config.formula.name})"
    boards = boards_for(figures, groups, formula, windows=(window,))
    rows = []
    for group in GROUPS:
        for e in boards[(group, window)]:
            old = before[group].get(e.code)
            change = "" if e.rank is None or old is None else e.rank - old
            d = registry.get(e.code)
            rows.append([group, e.rank, e.code, d.name_th if d else "", d.name_en if d else "", e.votes, e.mean,
                         e.score, old, "" if change == "" else -change])
    # Thai name first, as the platform's readers read it (the English one beside it).
    header = ["group", "rank", "district_code", "name_th", "name_en", "votes", "mean", "score", "rank_before",
              "places_up"]
    before_at = header.index("rank_before")
    if args.csv:
        with args.csv.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([[safe_cell(v) for v in row] for row in rows])
    print(f"what-if: {formula.name} {json.dumps(formula.to_json()['params'])}, window {window}, "
          f"against {baseline}; {tallies.counted} votes read")
    for group in GROUPS:
        mine = [r for r in rows if r[0] == group]
        moved = sum(1 for r in mine if r[1] != r[before_at])
        print(f"\n{group}: {moved} of {len(mine)} districts change rank")
        print("\t".join(header[1:]))
        for row in mine[:args.top]:
            print("\t".join("" if v is None else str(v) for v in row[1:]))
    return 0


def _award_days(stored: dict):
    from datetime import date

    c = stored["campaign"]
    return (date.fromisoformat(stored["day"]), date.fromisoformat(c["from"]) if c["from"] else None,
            date.fromisoformat(c["to"]) if c["to"] else None)


def export_file(config: RankingConfig, kind: str, out: Path) -> int:
    """Scoring's figures (ranking's store) and its decisions (ballots.v1: flagged votes, services) in one file."""
    from services.ranking.ballot_tally import read_ballots

    registry = bootstrap(config).registry
    ballots = read_ballots(config.platform, config.campaign_start, config.campaign_end)
    table = export.rows(_store(config).all_figures(), registry, config.formula, ballots)
    out.write_bytes(export.to_csv(table) if kind == "csv" else export.to_xlsx(table))
    print(json.dumps({"written": str(out), "districts": len(table), "formula": config.formula.to_json(),
                      "ballots": {"counted": sum(b.counted for b in ballots.districts.values()),
                                  "flagged": sum(b.flagged for b in ballots.districts.values()),
                                  "unreadable_records": ballots.unreadable}}, ensure_ascii=False))
    return 0
