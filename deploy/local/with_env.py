#!/usr/bin/env python3
"""Run a program with exactly the environment kept in a JSON file: how supervisord gives a service the
environment `make run` had (supervisord's own `environment=` setting cannot quote JSON or commas).

Usage: with_env.py ENV_JSON PROGRAM [ARG…]; the program replaces this process (same pid).
"""

import json
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    env = json.loads(Path(sys.argv[1]).read_text())
    os.execvpe(sys.argv[2], sys.argv[2:], env)
