"""What channels declares to the platform: no process, one `sangsuk posters` command."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from pathlib import Path

from shared.config import Settings
from shared.manifest import Command, ServiceManifest


def _arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url", help="public address of the vote page (default: PUBLIC_BASE_URL)")
    parser.add_argument("--codes", help="only these district codes, comma-separated")


def _posters(args: Namespace, settings: Settings) -> int:
    from services.channels.cli import posters

    return posters(args.out, base_url=args.base_url, codes=args.codes, size_groups_csv=settings.size_groups_csv)


MANIFEST = ServiceManifest(
    name="channels",
    commands={"posters": Command("write a printable A4 poster (SVG and PDF) per district", _arguments, _posters)},
)
