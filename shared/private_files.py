"""Files under var/ that hold secrets or personal data: readable by their owner only, whatever the umask.

Kept mail holds chiefs' link tokens, development secrets are keys, the development directory is contact
data: each is written 0600 in a folder of 0700 (created so, and tightened if an earlier run left it open).
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """The folder, made if missing, 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write the file 0600 from its first byte (never briefly readable by others), replacing any earlier one."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file that existed keeps its old mode through O_CREAT
        os.write(fd, raw)
    finally:
        os.close(fd)
    return path
