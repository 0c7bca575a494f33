"""Who may open a district's inbox: signed links and the browser session they open.

Two kinds of link, both signed with NOTIFY_LINK_SECRET and naming the district and the directory key of
the person they were sent to (the chief `chief:3706` or a deputy `deputy:3706:d1`; never an address):
- the **sign-in link** mailed on request to the address in the directory: one use only (its nonce is
  claimed by a plain insert, docs/store.md), one hour;
- the **entry link** in every alert mail or LINE message and the digest: as long-lived as the alert links
  (the message itself is the credential, as the alert page's link is).
Either opens a session: a signed HttpOnly cookie (district, directory key, session id), honoured for
`SESSION_S` while the directory still names that person for that district and it was not signed out.
Sign-outs and used nonces carry a `due` hour and are deleted when over (shared/expiry.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from services.notify.links import LinkError, signed_data
from services.notify.sessions import SESSION_S, record_signout
from shared.expiry import DUE, due_label, ensure_due_index, expire_due

SIGN_IN_S = 3600
MAX_TOKEN = 512


@dataclass(frozen=True)
class Reader:
    """Who reads an inbox: the district and the directory key (`chief:3706`, `deputy:3706:d1`) of the person."""

    district: str
    contact_key: str


class InboxAccess:
    def __init__(self, secret: str, base_url: str, used: Collection, signouts: Collection, *,
                 entry_max_age_s: int = 14 * 86400):
        self.links = URLSafeTimedSerializer(secret, salt="notify-inbox-link")
        self.cookies = URLSafeTimedSerializer(secret, salt="notify-inbox-session")
        self.base_url = base_url.rstrip("/")
        self.used = used
        self.signouts = signouts
        self.entry_max_age_s = entry_max_age_s

    def ensure_indexes(self) -> None:
        ensure_due_index(self.used)
        ensure_due_index(self.signouts)

    # ------------------------------------------------------------------ links
    def sign_in_url(self, reader: Reader) -> str:
        """A one-time link (one hour) for the sign-in mail."""
        token = self.links.dumps({"d": reader.district, "c": reader.contact_key, "n": secrets.token_urlsafe(12)})
        return f"{self.base_url}/inbox/enter/{token}"

    def entry_url(self, reader: Reader) -> str:
        """The link an alert message or the digest carries to the district's inbox."""
        token = self.links.dumps({"d": reader.district, "c": reader.contact_key})
        return f"{self.base_url}/inbox/enter/{token}"

    def enter(self, token: str, now: datetime) -> Reader:
        """The reader a link names; a sign-in link's nonce is taken here, so a second use is refused."""
        data = signed_data(self.links, token, self.entry_max_age_s, ("d", "c"),
                           "this link has expired; ask for a new sign-in link")
        nonce = data.get("n")
        if nonce is not None:
            self._use_once(token, nonce, now)
        return Reader(data["d"], data["c"])

    def _use_once(self, token: str, nonce: object, now: datetime) -> None:
        if not isinstance(nonce, str) or len(nonce) > 64:
            raise LinkError("bad_link", "this link is not valid")
        try:
            self.links.loads(token, max_age=SIGN_IN_S)
        except SignatureExpired as exc:
            raise LinkError("link_expired", "this sign-in link has expired; ask for a new one") from exc
        try:
            self.used.insert_one({"_id": nonce, DUE: due_label(now + timedelta(seconds=SIGN_IN_S))})
        except DuplicateKeyError as exc:
            raise LinkError("link_used", "this sign-in link was used already; ask for a new one") from exc
        expire_due(self.used, now)

    # ------------------------------------------------------------------ sessions
    def open(self, reader: Reader) -> str:
        return self.cookies.dumps({"s": secrets.token_urlsafe(16), "d": reader.district, "c": reader.contact_key})

    def _read(self, cookie: str) -> dict | None:
        if not cookie or len(cookie) > MAX_TOKEN:
            return None
        try:
            data = self.cookies.loads(cookie, max_age=SESSION_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("s", "d", "c")):
            return None
        return data

    def session(self, cookie: str) -> Reader | None:
        """The reader of a signed, unexpired session that was not signed out (the caller checks the directory)."""
        data = self._read(cookie)
        if data is None or self.signouts.find_one({"_id": data["s"]}, {"_id": 1}) is not None:
            return None
        return Reader(data["d"], data["c"])

    def close(self, cookie: str, now: datetime) -> None:
        """Sign out: the session ends for good, in any copy of its cookie too."""
        data = self._read(cookie)
        record_signout(self.signouts, data["s"] if data else None, now)
