"""The directory: the chief of each district, the deputies who share the chief's inbox, the governor of each
province, and how to reach them.

Loaded from CSV (header below), refused whole with every problem listed. Contact data is personal
data: never logged (log the directory key, `chief:3706` or `deputy:3706:d1`, never an address) and masked
in exports.

The first ten columns are the original format (`HEADER`), still accepted as they are; `COLUMNS` adds
`person` (a deputy's id within the district, chosen by whoever keeps the file: the deputy's directory key
is `deputy:<code>:<person>`, so it survives reordering rows and changing an address, and it names nobody)
and `alerts` (yes/no, empty = yes: whether this person is sent the district's alert messages).
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

CHIEF, DEPUTY, GOVERNOR = "chief", "deputy", "governor"
ROLES = (CHIEF, DEPUTY, GOVERNOR)
INBOX_ROLES = (CHIEF, DEPUTY)  # who reads a district's inbox
TRANSPORTS = ("line", "email", "webhook")
HEADER = ["role", "code", "name", "title", "line_user_id", "email", "webhook_url", "webhook_secret", "channels",
          "digest"]
COLUMNS = [*HEADER, "person", "alerts"]
MAX_ROWS = 2000
MAX_DEPUTIES = 10  # per district: the deputies (ปลัดอำเภอ) of one office, not its whole staff

_PERSON = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")

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
    person: str = ""     # a deputy's id within the district (empty for chiefs and governors)
    alerts: bool = True  # sent the alert messages of its district (chief, deputy) or province (governor)

    @property
    def key(self) -> str:
        return f"{self.role}:{self.code}:{self.person}" if self.role == DEPUTY else f"{self.role}:{self.code}"

    def reads_inbox_of(self, district: str) -> bool:
        """The chief or a deputy of this district: who may open its inbox and be sent its entry links."""
        return self.role in INBOX_ROLES and self.code == district

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
        return cls(**data)  # documents stored before deputies lack person and alerts: the defaults

    def masked(self) -> dict:
        """For exports and the centre's view: enough to recognise an address, never the address."""
        return {"role": self.role, "code": self.code, "name": self.name, "title": self.title,
                "line_user_id": mask_line(self.line_user_id), "email": mask_email(self.email),
                "webhook_url": mask_url(self.webhook_url), "webhook_secret": "whsec_…" if self.webhook_secret else None,
                "channels": list(self.channels), "digest": self.digest, "person": self.person, "alerts": self.alerts}


def inbox_district(contact_key: str) -> str | None:
    """The district whose inbox the person of this directory key reads (chief or deputy), else None."""
    role, _, rest = contact_key.partition(":")
    return rest.split(":")[0] if role in INBOX_ROLES and rest else None


def valid_email(address: str) -> bool:
    """The directory's address check, also applied to the address typed on the inbox's sign-in form."""
    return bool(_EMAIL.match(address))


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
    if header not in (HEADER, COLUMNS):
        raise DirectoryFileError([f"line 1: the header must be exactly: {','.join(COLUMNS)} "
                                  f"(or the earlier {','.join(HEADER)}, without deputies)"])
    provinces = {d.province_code for d in registry}
    contacts: list[Contact] = []
    seen: dict[str, int] = {}
    emails: dict[tuple[str, str], int] = {}  # (district, address) -> line: sign-in by address needs one person
    deputies: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if line_no > MAX_ROWS + 1:
            problems.append(f"more than {MAX_ROWS} rows")
            break
        if None in row or any(v is None for v in row.values()):
            problems.append(f"line {line_no}: expected {len(HEADER)} columns")
            continue
        cell = {k.strip(): restore_cell((v or "").strip()) for k, v in row.items()}
        cell.setdefault("person", "")
        cell.setdefault("alerts", "")
        found: list[str] = [f"{name} holds a control character (a line break or tab inside a cell); "
                            "such a value would break the message headers it goes into"
                            for name, value in cell.items() if _has_control(value)]
        role, code, person = cell["role"].lower(), cell["code"], cell["person"]
        if role in INBOX_ROLES and code not in registry:
            found.append(f"district code {code!r} is not in the programme")
        elif role == GOVERNOR and code not in provinces:
            found.append(f"province code {code!r} is not in the programme")
        elif role not in ROLES:
            found.append(f"role {cell['role']!r} must be chief, deputy or governor")
        found += _person_problems(role, code, person, deputies)
        key = f"{role}:{code}:{person}" if role == DEPUTY else f"{role}:{code}"
        if key in seen:
            who = f"deputy {person} of {code}" if role == DEPUTY else f"{role} {code}"
            found.append(f"{who} already appears on line {seen[key]}")
        seen.setdefault(key, line_no)
        if role in INBOX_ROLES and cell["email"]:
            address = (code, cell["email"].casefold())
            if address in emails:
                found.append(f"email is already the address of another person of district {code} (line "
                             f"{emails[address]}): a sign-in link must go to one person")
            emails.setdefault(address, line_no)
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
        digest, alerts = cell["digest"].lower(), cell["alerts"].lower() or "yes"
        if digest not in _YES | _NO:
            found.append(f"digest {cell['digest']!r} must be yes or no")
        if alerts not in _YES | _NO:
            found.append(f"alerts {cell['alerts']!r} must be yes or no (empty: yes)")
        problems += [f"line {line_no}: {p}" for p in found]
        if not found:
            contacts.append(Contact(role, code, cell["name"], cell["title"], cell["line_user_id"] or None,
                                    cell["email"] or None, cell["webhook_url"] or None,
                                    cell["webhook_secret"] or None, tuple(dict.fromkeys(channels)),
                                    digest in _YES, person, alerts in _YES))
    if problems:
        raise DirectoryFileError(problems)
    return contacts


def _person_problems(role: str, code: str, person: str, deputies: dict[str, int]) -> list[str]:
    """A deputy needs a person id (stable while the person holds the post; never reused for someone else),
    and a district at most MAX_DEPUTIES deputies; chiefs and governors are one per code and need none."""
    if role != DEPUTY:
        return [f"person is only for deputy rows (a {role} is named by the code alone)"] if person else []
    deputies[code] = deputies.get(code, 0) + 1
    found = []
    if not person:
        found.append("person is empty: a deputy needs an id within the district such as d1 (kept while the "
                     "person holds the post, never given to someone else)")
    elif not _PERSON.match(person):
        found.append("person must be 1 to 24 lower-case letters, digits, - or _ (an id, not a name or address)")
    if deputies[code] == MAX_DEPUTIES + 1:
        found.append(f"district {code} has more than {MAX_DEPUTIES} deputies")
    return found


def to_csv(contacts: list[Contact], *, masked: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in contacts:
        row = c.masked() if masked else asdict(c)
        writer.writerow([safe_cell(v) for v in (
            row["role"], row["code"], row["name"], row["title"], row["line_user_id"] or "", row["email"] or "",
            row["webhook_url"] or "", row["webhook_secret"] or "", ";".join(row["channels"]),
            "yes" if row["digest"] else "no", row["person"], "yes" if row["alerts"] else "no")])
    return out.getvalue()


def development_csv(registry: Registry) -> str:
    """Made-up people for `make run`: every chief, one deputy per district (`deputy-<code>@…`, person d1:
    the digest and alerts too) and every governor, by e-mail to the local mail server."""
    contacts: list[Contact] = []
    provinces: dict[str, str] = {}
    for d in registry:
        contacts.append(Contact(CHIEF, d.code, f"นายอำเภอทดสอบ {d.name_th}", f"นายอำเภอ{d.name_th}", None,
                                f"chief-{d.code}@dev.amphoesangsook.test", None, None, ("email",), True))
        contacts.append(Contact(DEPUTY, d.code, f"ปลัดอำเภอทดสอบ {d.name_th}", f"ปลัดอำเภอ{d.name_th}", None,
                                f"deputy-{d.code}@dev.amphoesangsook.test", None, None, ("email",), True, "d1"))
        provinces.setdefault(d.province_code, d.province_th)
    for code, name in sorted(provinces.items()):
        contacts.append(Contact(GOVERNOR, code, f"ผู้ว่าราชการทดสอบ {name}", f"ผู้ว่าราชการจังหวัด{name}", None,
                                f"governor-{code}@dev.amphoesangsook.test", None, None, ("email",), False))
    return to_csv(contacts, masked=False)
