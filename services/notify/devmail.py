"""A local mail server for development and tests (aiosmtpd): every mail it receives is kept as an
.eml file in one folder, where a developer can open it (`make run`: var/run/mail/).

`python -m services.notify.devmail --dir var/run/mail --port 8025`
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller

from shared.private_files import private_dir, write_private


class MailKeeper:
    """aiosmtpd handler: writes each message to `<dir>/<time>-<n>.eml` and keeps it in memory."""

    def __init__(self, folder: Path):
        self.folder = private_dir(folder)  # kept mail holds chiefs' link tokens: owner only
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.refuse_next = 0  # tests: answer 451 (try again later) to the next N messages

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 try again later"
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
            n = len(self.messages)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{n:05d}.eml"
        write_private(self.folder / name, envelope.content)
        return "250 OK"

    def parsed(self) -> list[tuple[list[str], EmailMessage]]:
        with self.lock:
            return [(to, message_from_bytes(raw, policy=default)) for to, raw in self.messages]


def start(folder: Path, port: int, host: str = "127.0.0.1") -> tuple[Controller, MailKeeper]:
    keeper = MailKeeper(folder)
    controller = Controller(keeper, hostname=host, port=port)
    controller.start()
    return controller, keeper


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="local mail server that keeps every mail as an .eml file")
    parser.add_argument("--dir", type=Path, default=Path("var/run/mail"))
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    controller, _ = start(args.dir, args.port)
    print(f"mail server on 127.0.0.1:{args.port}, mail kept in {args.dir.resolve()}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
