"""`python -m services.scoring.consumer`: the scoring consumer, one OS process per group member.

It runs apart from the web workers so that it can be scaled, restarted and SIGKILLed on its own,
and gunicorn's worker count never changes the number of consumers. It leaves its metrics
(Prometheus multiprocess files) and a heartbeat in SCORING_STATE_DIR for the web process.
"""

from __future__ import annotations

import sys

from services.scoring.config import ScoringConfig
from shared.stream.main import run_consumer


def main() -> int:
    config = ScoringConfig.from_env()

    def build():
        from services.scoring.bootstrap import bootstrap

        return bootstrap(config).consumer_loop()

    return run_consumer("scoring", config.stream, build, log_level=config.platform.log_level)


if __name__ == "__main__":
    sys.exit(main())
