"""`sangsuk posters`: the command's checks and output, apart from the admin CLI's parsing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from services.channels.config import ChannelsConfig
from services.channels.posters import write_posters
from shared.districts import load_registry


def posters(out: Path, *, base_url: str | None, codes: str | None, size_groups_csv: str | None) -> int:
    config = ChannelsConfig.from_env()
    base = (base_url or config.public_base_url).rstrip("/")
    if not base.startswith(("https://", "http://")):
        # A poster printed with a wrong address sends a whole district nowhere: no silent default.
        print("set PUBLIC_BASE_URL or pass --base-url (e.g. https://amphoesangsook.com)", file=sys.stderr)
        return 2
    registry = load_registry(size_groups_csv)
    wanted = [c.strip() for c in codes.split(",") if c.strip()] if codes else None
    unknown = [c for c in wanted or [] if c not in registry]
    if unknown:
        print(f"unknown district codes: {', '.join(unknown)}", file=sys.stderr)
        return 2
    districts = [registry.get(c) for c in wanted] if wanted else list(registry)
    result = write_posters(districts, out, base_url=base, line_account=config.line_account_id)
    print(json.dumps(result, ensure_ascii=False))
    return 0
