"""`sangsuk`: the platform's admin commands (init, dev-secrets, districts, and those the services offer).

It asks the services' manifests (shared/manifest.py) for their topics, indexes and commands.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
from pathlib import Path

from shared.config import Settings
from shared.districts import SizeGroupFileError, load_registry
from shared.manifest import manifests
from shared.private_files import private_dir, write_private
from shared.vote_rules import CHANNELS

log = logging.getLogger("sangsuk")


def init(settings: Settings) -> None:
    """Every service's topics and indexes, and the district registry: idempotent, run at every deploy."""
    from shared import kafka, mongo

    services = manifests()
    created = kafka.ensure_topics(settings, [spec for m in services for spec in m.topics(settings)])
    db = mongo.database(settings)
    for manifest in services:
        if manifest.prepare_store is not None:
            manifest.prepare_store(db)
    registry = load_registry(settings.size_groups_csv)
    written = mongo.load_registry_into_store(db, registry)
    print(json.dumps({"topics_created": created, "districts": len(registry), "districts_written": written},
                     ensure_ascii=False))


def dev_secrets(out: Path) -> None:
    """Generate development secrets once; never overwrite, so keys stay stable across runs.

    The folder is 0700 and each file 0600 (shared/private_files.py); a run that finds them more open
    (an earlier version's folder) tightens them."""
    private_dir(out)
    token = lambda: secrets.token_urlsafe(32) + "\n"  # noqa: E731
    files = {
        "channel-keys.json": lambda: json.dumps({ch: f"ssk_{ch}_{secrets.token_urlsafe(24)}" for ch in CHANNELS},
                                                indent=2) + "\n",
        "voter-hmac.key": lambda: secrets.token_hex(32) + "\n",
        # notify: signed page links, the centre's API key; the LINE stand-in's channel (make run:
        # deploy/local/services.py)
        "notify-link.key": token, "central-office.key": token, "line-channel-secret": token,
        "line-access-token": token,
    }
    for name, make in files.items():
        path = out / name
        if path.exists():
            path.chmod(0o600)
        else:
            write_private(path, make())
    print(str(out / "channel-keys.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sangsuk", description="Amphoe Sang Suk admin commands")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create topics and indexes, load the district registry")
    secrets_cmd = sub.add_parser("dev-secrets", help="generate development channel keys and HMAC secret")
    secrets_cmd.add_argument("--out", type=Path, default=Path("var/secrets"))
    districts_cmd = sub.add_parser("districts", help="list the registry (with SIZE_GROUPS_CSV applied)")
    districts_cmd.add_argument("--csv", help="check an official size-group CSV and use it")
    offered = {name: command for m in manifests() for name, command in m.commands.items()}
    for name, command in offered.items():
        command.add_arguments(sub.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    if args.command == "init":
        init(settings)
    elif args.command == "dev-secrets":
        dev_secrets(args.out)
    elif args.command == "districts":
        try:
            registry = load_registry(args.csv or settings.size_groups_csv)
        except SizeGroupFileError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        for d in registry:
            print(f"{d.code}\t{d.size_group}\t{d.name_th}\t{d.name_en}\t{d.province_th}")
    elif args.command in offered:
        return offered[args.command].run(args, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
