"""What ranking declares to the platform (shared/manifest.py; docs/skeleton.md)."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace

from shared.config import Settings
from shared.manifest import Command, ServiceManifest, web


def _indexes(db) -> None:
    from services.ranking.store import RankingStore

    RankingStore(db).ensure_indexes()


def _command(name: str):
    def add_arguments(parser: ArgumentParser) -> None:
        from services.ranking import cli

        cli.ARGUMENTS[name](parser)

    def run(args: Namespace, settings: Settings) -> int:
        from services.ranking import cli

        return cli.run(name, args)

    return add_arguments, run


MANIFEST = ServiceManifest(
    name="ranking",
    processes={"web": web("services.ranking.wsgi:app"), "consumer": ("-m", "services.ranking.consumer")},
    port=8083,
    # The public website (docs/site.md) and the award snapshots it links to for verification; the rest
    # of ranking's API (leaderboards JSON, exports) stays internal.
    public_paths=("= /", "/ranking/", "/badge/", "/v1/awards/"),
    state_dir_env="RANKING_STATE_DIR",
    prepare_store=_indexes,  # ranking writes no topic: it reads scores.v1 (scoring's) and votes.v1 (ingest's)
    metrics_prefix="ranking_",
    commands={
        "awards": Command("close an award (a frozen, hashed ranking) or verify one from votes.v1", *_command("awards")),
        "rerank": Command("what-if: rank again from votes.v1 with another formula or parameters", *_command("rerank")),
        "export": Command("all 878 districts with figures, scores and ranks, as CSV or XLSX", *_command("export")),
    },
)
