"""Secrets come from the environment or from a file named by NAME_FILE (Kubernetes secret mounts); they are
compared in constant time."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from shared.config import MissingSetting


def read_secret(name: str, env: Mapping[str, str] | None = None, *, required: bool = True) -> str | None:
    env = os.environ if env is None else env
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingSetting(f"{name}_FILE", f"{path} cannot be read: {exc.strerror}") from exc
    if required:
        raise MissingSetting(name, f"set {name} or {name}_FILE")
    return None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two texts, whatever their characters: `hmac.compare_digest` on str raises
    TypeError for non-ASCII, which a client chooses (a cookie, a form field), and a 500 would follow."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
