"""The directory: the chief of each district and the governor of each province, and how to reach them.

Loaded from CSV (header below), refused whole with every problem listed. Contact data is personal
data: never logged (log the directory key, `chief:3706`, never an address) and masked in exports.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from services.notify.targets import host_problem, literal_address
from shared.districts import Registry
from shared.spreadsheet import restore_cell, safe_cell

CHIEF, GOVERNOR = "chief", "governor"
TRANSPORTS = ("line", "email", "webhook")
HEADER = ["role", "code", "name", "title", "line_user_id", "email", "webhook_url", "webhook_secret", "channels",
          "digest"]
MAX_ROWS = 2000

_LINE_USER = re.compile(r"^U[0-9a-f]{32}$")
# Pragmatic address check: one @, no spaces or angle brackets, a dotted domain of LDH labels (IDN as punycode).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)"
                    r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_YES = {"yes", "y", "true", "1", "ใช่"}
_NO = {"no", "n", "false", "0", "ไม่", ""}


class DirectoryFileError(ValueError):
    """The file is refused whole; `problems` lists every one, with its line."""

    def __init__(self, problems: list[str]):
        super().__init__(f"directory refused, {len(problems)} problem(s): " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Contact:
    role: str
    code: str
    name: str
    title: str
    line_user_id: str | None
    email: str | None
    webhook_url: str | None
    webhook_secret: str | None
    channels: tuple[str, ...]
    digest: bool

    @property
    def key(self) -> str:
        return f"{self.role}:{self.code}"

    def address(self, transport: str) -> str | None:
        return {"line": self.line_user_id, "email": self.email, "webhook": self.webhook_url}[transport]

    def to_document(self) -> dict:
        doc = asdict(self)
        doc["channels"] = list(self.channels)
        return {"_id": self.key, **doc}

    @classmethod
    def from_document(cls, doc: dict) -> Contact:
        data = {k: v for k, v in doc.items() if k != "_id"}
        data["channels"] = tuple(data["channels"])
        return cls(**data)

    def masked(self) -> dict:
        """For exports and the centre's view: enough to recognise an address, never the address."""
        return {"role": self.role, "code": self.code, "name": self.name, "title": self.title,
                "line_user_id": mask_line(self.line_user_id), "email": mask_email(self.email),
                "webhook_url": mask_url(self.webhook_url), "webhook_secret": "whsec_…" if self.webhook_secret else None,
                "channels": list(self.channels), "digest": self.digest}


def mask_email(email: str | None) -> str | None:
    if not email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_line(user_id: str | None) -> str | None:
    return f"{user_id[:3]}…{user_id[-2:]}" if user_id else None


def mask_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    address = literal_address(host)
    return address is not None and address.is_loopback


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Why a webhook URL is refused: not https, credentials in it, or a host that is not public
    (services/notify/targets.py; plain http and private hosts only under the development allowance)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    del port
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL with a host"
    if parts.scheme == "http" and not (allow_private and _is_loopback(parts.hostname)):
        return "must use https (plain http only for loopback receivers under NOTIFY_WEBHOOK_ALLOW_PRIVATE)"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    return host_problem(parts.hostname, allow_private=allow_private)


def secret_problem(secret: str) -> str | None:
    if not secret.startswith("whsec_"):
        return "must start with whsec_ (Standard Webhooks)"
    try:
        raw = base64.b64decode(secret[len("whsec_"):], validate=True)
    except ValueError:
        return "is not base64 after whsec_"
    if not 24 <= len(raw) <= 64:
        return "must hold 24 to 64 bytes"
    return None


def _has_control(text: str) -> bool:
    """Control characters (CR, LF, tab, NUL…) and the Unicode line and paragraph separators."""
    return any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text)


def parse_directory(text: str, registry: Registry, *, allow_private: bool = False) -> list[Contact]:
    """Every row checked; any problem refuses the whole file (a half-loaded directory misroutes alerts).

    `allow_private` is the development allowance for webhook receivers on this machine or its network."""
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [f.strip() for f in reader.fieldnames or []]
    if header != HEADER:
        raise DirectoryFileError([f"line 1: the header must be exactly: {','.join(HEADER)}"])
    provinces = {d.province_code for d in registry}
    contacts: list[Contact] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if line_no > MAX_ROWS + 1:
            problems.append(f"more than {MAX_ROWS} rows")
            break
        if None in row or any(v is None for v in row.values()):
            problems.append(f"line {line_no}: expected {len(HEADER)} columns")
            continue
        cell = {k.strip(): restore_cell((v or "").strip()) for k, v in row.items()}
        found: list[str] = [f"{name} holds a control character (a line break or tab inside a cell); "
                            "such a value would break the message headers it goes into"
                            for name, value in cell.items() if _has_control(value)]
        role, code = cell["role"].lower(), cell["code"]
        if role == CHIEF and code not in registry:
            found.append(f"district code {code!r} is not in the programme")
        elif role == GOVERNOR and code not in provinces:
            found.append(f"province code {code!r} is not in the programme")
        elif role not in (CHIEF, GOVERNOR):
            found.append(f"role {cell['role']!r} must be chief or governor")
        key = f"{role}:{code}"
        if key in seen:
            found.append(f"{role} {code} already appears on line {seen[key]}")
        seen.setdefault(key, line_no)
        if not cell["name"]:
            found.append("name is empty")
        if len(cell["name"]) > 200 or len(cell["title"]) > 200:
            found.append("name and title are at most 200 characters")
        if cell["line_user_id"] and not _LINE_USER.match(cell["line_user_id"]):
            found.append("line_user_id must be U followed by 32 hex digits (a LINE user id, not a LINE ID)")
        if cell["email"] and not _EMAIL.match(cell["email"]):
            found.append("email is not a valid address")
        if cell["webhook_url"]:
            problem = url_problem(cell["webhook_url"], allow_private=allow_private)
            if problem:
                found.append(f"webhook_url {problem}")
            if not cell["webhook_secret"]:
                found.append("webhook_secret is required with a webhook_url")
        if cell["webhook_secret"]:
            problem = secret_problem(cell["webhook_secret"])
            if problem:
                found.append(f"webhook_secret {problem}")
        channels = tuple(c.strip().lower() for c in re.split(r"[;|\s]+", cell["channels"]) if c.strip())
        for channel in channels:
            if channel not in TRANSPORTS:
                found.append(f"channel {channel!r} must be one of {', '.join(TRANSPORTS)}")
            elif not cell[{"line": "line_user_id", "email": "email", "webhook": "webhook_url"}[channel]]:
                found.append(f"channel {channel} is wanted but its address is empty")
        if not channels:
            found.append("channels is empty: name at least one of line, email, webhook")
        digest = cell["digest"].lower()
        if digest not in _YES | _NO:
            found.append(f"digest {cell['digest']!r} must be yes or no")
        problems += [f"line {line_no}: {p}" for p in found]
        if not found:
            contacts.append(Contact(role, code, cell["name"], cell["title"], cell["line_user_id"] or None,
                                    cell["email"] or None, cell["webhook_url"] or None,
                                    cell["webhook_secret"] or None, tuple(dict.fromkeys(channels)),
                                    digest in _YES))
    if problems:
        raise DirectoryFileError(problems)
    return contacts


def to_csv(contacts: list[Contact], *, masked: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for c in contacts:
        row = c.masked() if masked else asdict(c)
        writer.writerow([safe_cell(v) for v in (
            row["role"], row["code"], row["name"], row["title"], row["line_user_id"] or "", row["email"] or "",
            row["webhook_url"] or "", row["webhook_secret"] or "", ";".join(row["channels"]),
            "yes" if row["digest"] else "no")])
    return out.getvalue()


def development_csv(registry: Registry) -> str:
    """Made-up people for `make run`: every chief and governor by e-mail to the local mail server."""
    contacts: list[Contact] = []
    provinces: dict[str, str] = {}
    for d in registry:
        contacts.append(Contact(CHIEF, d.code, f"นายอำเภอทดสอบ {d.name_th}", f"นายอำเภอ{d.name_th}", None,
                                f"chief-{d.code}@dev.amphoesangsook.test", None, None, ("email",), True))
        provinces.setdefault(d.province_code, d.province_th)
    for code, name in sorted(provinces.items()):
        contacts.append(Contact(GOVERNOR, code, f"ผู้ว่าราชการทดสอบ {name}", f"ผู้ว่าราชการจังหวัด{name}", None,
                                f"governor-{code}@dev.amphoesangsook.test", None, None, ("email",), False))
    return to_csv(contacts, masked=False)
