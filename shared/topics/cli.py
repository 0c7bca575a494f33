"""`sangsuk topics tag` (JSON lines in, JSON lines out) and `sangsuk topics eval` (the figures).

Offered through services/notify/manifest.py (which adds `retag`: the feedback view keeps the tags).
Reads one line at a time, so a stream of any length takes constant memory; a line that
is not a JSON object with a string "id" and "text" stops the run with its line number on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

MAX_LINE = 64 * 1024  # characters: a comment is capped far below this at intake (shared/vote_rules.py)
LABELLED = Path(__file__).resolve().parents[2] / "tests" / "data" / "topics_labelled.jsonl"


class BadLine(ValueError):
    pass


def add_arguments(parser: argparse.ArgumentParser):
    """`tag` and `eval`; returns the subcommands so the offering service adds its own (notify: `retag`)."""
    actions = parser.add_subparsers(dest="topics_action", required=True)
    actions.add_parser("tag", help='JSON lines {"id","text"} on stdin -> {"id","topics"} on stdout, same order')
    ev = actions.add_parser("eval", help="micro-F1 and per-aspect precision/recall on the labelled comments")
    ev.add_argument("--file", type=Path, default=LABELLED)
    ev.add_argument("--split", choices=["dev", "heldout", "both"], default="both")
    return actions


def _parse(line: str, number: int) -> tuple[object, str]:
    if len(line) > MAX_LINE:
        raise BadLine(f"line {number}: longer than {MAX_LINE} characters")
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise BadLine(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise BadLine(f"line {number}: not a JSON object")
    if "id" not in row or not isinstance(row["id"], str | int) or isinstance(row["id"], bool):
        raise BadLine(f'line {number}: "id" must be a string or an integer')
    if not isinstance(row.get("text"), str):
        raise BadLine(f'line {number}: "text" must be a string')
    return row["id"], row["text"]


def tag_stream(stdin: TextIO, stdout: TextIO) -> None:
    """Tag line by line, flushing per line so a pipe sees results as they come. Blank lines are skipped."""
    from shared.topics import default_tagger

    tagger = default_tagger()
    for number, line in enumerate(_lines(stdin), start=1):
        if not line.strip():
            continue
        comment_id, text = _parse(line, number)
        stdout.write(json.dumps({"id": comment_id, "topics": tagger.tag(text)}, ensure_ascii=False) + "\n")
        stdout.flush()


def _lines(stdin: TextIO):
    """Lines, each read with a bound, so one endless line cannot fill the memory."""
    number = 0
    while True:
        line = stdin.readline(MAX_LINE + 2)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            raise BadLine(f"line {number}: longer than {MAX_LINE} characters")
        yield line


def evaluate(path: Path, split: str, out: TextIO) -> None:
    from shared.topics import TAGGER_VERSION, default_tagger
    from shared.topics.evaluation import load, report, score, split_of

    rows = load(path)
    tagger = default_tagger()
    out.write(f"tagger {TAGGER_VERSION}, {path.name}: {len(rows)} comments\n")
    for name in (["dev", "heldout"] if split == "both" else [split]):
        part = [r for r in rows if split_of(r.id) == name]
        out.write(report(name, score(part, tagger.tag)) + "\n")


def run(args: argparse.Namespace) -> int:
    try:
        if args.topics_action == "tag":
            # JSON lines are UTF-8 whatever the locale says
            sys.stdin.reconfigure(encoding="utf-8")
            sys.stdout.reconfigure(encoding="utf-8")
            tag_stream(sys.stdin, sys.stdout)
        else:
            evaluate(args.file, args.split, sys.stdout)
    except BadLine as exc:
        print(f"sangsuk topics: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush does not fail
        return 1
    except (OSError, UnicodeDecodeError) as exc:
        print(f"sangsuk topics: {exc}", file=sys.stderr)
        return 2
    return 0
