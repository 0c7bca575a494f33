"""`python -m services.notify.consumer`: one member of the notify group. It reads votes.v1, keeps
notify's vote sets, decides alerts and puts messages in the outbox; it never sends (the dispatcher does),
so a slow or absent transport never holds up the stream."""

from __future__ import annotations

import sys

from services.notify.config import NotifyConfig
from shared.stream.main import run_consumer


def main() -> int:
    config = NotifyConfig.from_env()

    def build():
        from services.notify.bootstrap import bootstrap

        return bootstrap(config).consumer_loop()

    return run_consumer("notify", config.stream, build, log_level=config.platform.log_level)


if __name__ == "__main__":
    sys.exit(main())
