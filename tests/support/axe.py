#!/usr/bin/env python3
"""axe-core (Deque's accessibility engine) for the browser tests, from the npm registry, pinned by hash.

`make axe` (and the browser tests themselves) fetch the pinned tarball once into var/cache/, check
it against the registry's published sha512 integrity, and keep `axe.min.js`; the tests inject it
into Chromium pages. No npm install, no global package, no CDN at test time. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.10.3"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
CACHE = Path(__file__).resolve().parents[2] / "var" / "cache" / f"axe-core-{VERSION}"
SCRIPT = CACHE / "axe.min.js"


class IntegrityError(RuntimeError):
    pass


def verify(data: bytes, integrity: str = INTEGRITY) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if digest != expected:
        raise IntegrityError(f"axe-core {VERSION}: the tarball's {algorithm} is {digest}, the pinned one {expected}")


def ensure_axe() -> Path:
    """The path of axe.min.js, fetched and verified on first use."""
    if SCRIPT.exists():
        return SCRIPT
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data = response.read()
    verify(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/axe.min.js")
        if member is None:
            raise IntegrityError("axe-core tarball has no package/axe.min.js")
        script = member.read()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = SCRIPT.with_suffix(".tmp")
    tmp.write_bytes(script)
    tmp.replace(SCRIPT)
    return SCRIPT


if __name__ == "__main__":
    print(ensure_axe())
    sys.exit(0)
