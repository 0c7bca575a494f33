"""The public board's rank of a district, asked of ranking: the digest states no rank of its own making.

Ranking owns the formula, the minimum votes and the windows (docs/ranking.md); notify reads its
`GET /v1/districts/<code>/rank` over HTTP, so the chief's mail and the website cannot disagree.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Protocol

log = logging.getLogger(__name__)


class RankSource(Protocol):
    def district(self, code: str) -> dict | None: ...


class RankingClient:
    """Ranking's internal API (RANKING_URL); None when it does not answer (the digest then says so)."""

    def __init__(self, base_url: str, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def district(self, code: str) -> dict | None:
        if not (code.isascii() and code.isdigit() and len(code) == 4):
            return None
        url = f"{self.base_url}/v1/districts/{code}/rank"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
            log.warning("ranking did not answer", extra={"district": code, "reason": str(exc)[:200]})
            return None
