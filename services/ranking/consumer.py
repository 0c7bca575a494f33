"""`python -m services.ranking.consumer`: the ranking consumer (scores.v1), one OS process per group member.

Apart from the web workers, so it can be restarted and SIGKILLed on its own; it leaves its metrics
and heartbeat in RANKING_STATE_DIR for the web process.
"""

from __future__ import annotations

import sys

from services.ranking.config import RankingConfig
from shared.stream.main import run_consumer


def main() -> int:
    config = RankingConfig.from_env()

    def build():
        from services.ranking.bootstrap import bootstrap

        return bootstrap(config).consumer_loop()

    return run_consumer("ranking", config.stream, build, log_level=config.platform.log_level)


if __name__ == "__main__":
    sys.exit(main())
