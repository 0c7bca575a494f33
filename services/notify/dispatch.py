"""`python -m services.notify.dispatch`: sends what the outbox holds, one thread per transport.

It runs under the stream runtime's process entry (metrics directory, logging, signals, clean
shutdown), though it reads the outbox rather than Kafka. Several may run: a lease per message
keeps two from attempting one message at once.
"""

from __future__ import annotations

import sys

from services.notify.config import NotifyConfig
from shared.stream.main import run_consumer


def main() -> int:
    config = NotifyConfig.from_env()

    def build():
        from services.notify.bootstrap import bootstrap

        return bootstrap(config).dispatcher()

    return run_consumer("notify-dispatcher", config.stream, build, log_level=config.platform.log_level)


if __name__ == "__main__":
    sys.exit(main())
