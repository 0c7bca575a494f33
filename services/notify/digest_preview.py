"""`sangsuk digest preview --district CODE`: writes the digest a district's chief would get (the mail as an
.eml file, the LINE messages as JSON) without sending anything, and prints where, with the board's rank.

The files hold the chief's address and staff names (personal data): written 0600 in a 0700 folder under
var/ (shared/private_files.py). The week is the last seven Bangkok days up to today, as the centre's
"send now" sends it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from services.notify.bootstrap import Notify, bootstrap
from services.notify.transports import Outgoing
from services.notify.transports.line import line_messages
from services.notify.transports.mail import build_email
from shared.private_files import private_dir, write_private
from shared.timeutil import bangkok_day


def preview(notify: Notify, code: str, out: Path) -> dict:
    """Builds the digest of `code` and writes it under `out/<code>/`; returns the summary printed."""
    now = notify.clock()
    contact, message = notify.digest().compose(code, bangkok_day(now) + timedelta(days=1), now)
    folder = private_dir(out / code)
    outgoing = Outgoing(f"preview-{code}", message.subject, message.text, message.html, message.buttons,
                        message.payload)
    written = {}
    if contact is not None:
        mail = build_email(outgoing, contact, notify.config.smtp_from or "digest@amphoesangsook.invalid")
        written["mail"] = str(write_private(folder / "digest.eml", mail.as_bytes()))
    written["text"] = str(write_private(folder / "digest.txt", message.text))
    written["html"] = str(write_private(folder / "digest.html", message.html))
    line = [m.to_dict() for m in line_messages(outgoing)]
    written["line"] = str(write_private(folder / "line.json", json.dumps(line, ensure_ascii=False, indent=1)))
    payload = asdict(message)["payload"]
    return {"district": code, "sent": False, "in_directory": contact is not None, "files": written,
            "window": payload["window"], "rank": payload["rank"], "of": payload["of"], "votes": payload["votes"]}


def main(argv: list[str], notify: Notify | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sangsuk digest", description="the chief's weekly digest")
    sub = parser.add_subparsers(dest="action", required=True)
    cmd = sub.add_parser("preview", help="write one district's digest (mail and LINE) without sending it")
    cmd.add_argument("--district", required=True, help="4-digit district code")
    cmd.add_argument("--out", type=Path, default=Path("var/digest-preview"))
    args = parser.parse_args(argv)
    notify = notify or bootstrap()
    if args.district not in notify.registry:
        print(f"district {args.district!r} is not in the programme", file=sys.stderr)
        return 2
    print(json.dumps(preview(notify, args.district, args.out), ensure_ascii=False))
    return 0
