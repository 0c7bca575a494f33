"""`sangsuk directory …`: load the chiefs', deputies' and governors' directory from CSV, export it masked, or
write and load the made-up development directory (`make run`). Prints counts, never contact data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.notify.bootstrap import directory_parts
from services.notify.config import webhook_allow_private
from services.notify.directory import DirectoryFileError, development_csv, parse_directory, to_csv
from shared.config import Settings
from shared.private_files import write_private


def load(path: Path, settings: Settings) -> int:
    registry, store = directory_parts(settings)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot be read as UTF-8 text ({exc})", file=sys.stderr)
        return 2
    try:
        contacts = parse_directory(text, registry, allow_private=webhook_allow_private())
    except DirectoryFileError as exc:
        print(f"{path}: refused whole, nothing was loaded. {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(json.dumps({"file": str(path), **store.replace_directory(contacts)}))
    return 0


def main(argv: list[str], settings: Settings | None = None) -> int:
    settings = settings or Settings.from_env()
    parser = argparse.ArgumentParser(prog="sangsuk directory", description="the notify directory")
    sub = parser.add_subparsers(dest="action", required=True)
    load_cmd = sub.add_parser("load", help="check a CSV and load it (refused whole if any row is wrong)")
    load_cmd.add_argument("file", type=Path)
    sub.add_parser("export", help="print the directory as CSV with contact data masked")
    dev_cmd = sub.add_parser("dev", help="write the made-up development directory and load it")
    dev_cmd.add_argument("--out", type=Path, default=Path("var/dev/directory.csv"))
    args = parser.parse_args(argv)
    if args.action == "load":
        return load(args.file, settings)
    if args.action == "export":
        sys.stdout.write(to_csv(directory_parts(settings)[1].contacts(), masked=True))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_private(args.out, development_csv(directory_parts(settings)[0]))  # contact data: 0600
    return load(args.out, settings)
