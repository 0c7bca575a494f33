"""The QR thank-you page's link to its vote: signed, so a story can only follow a vote this device cast.

The vote id travels in the thank-you URL signed and timed (2 hours); the story form's CSRF token binds
the post to the device cookie, whose id hashes to the vote's voter key.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

TICKET_MAX_AGE_S = 2 * 3600
TICKET_MAX = 512  # a longer ticket is refused unread


@dataclass(frozen=True)
class VoteTicket:
    vote_id: str
    district_code: str


class VoteTickets:
    def __init__(self, secret: bytes, *, max_age_s: int = TICKET_MAX_AGE_S):
        self._serializer = URLSafeTimedSerializer(secret, salt="qr-story-vote")
        self.max_age_s = max_age_s

    def issue(self, vote_id: str, district_code: str) -> str:
        return self._serializer.dumps({"v": vote_id, "c": district_code})

    def read(self, token: str | None, district_code: str) -> VoteTicket | None:
        """The vote of a valid, fresh ticket for this district, else None (expired, forged, other district)."""
        if not token or len(token) > TICKET_MAX:
            return None
        try:
            data = self._serializer.loads(token, max_age=self.max_age_s)
        except BadSignature:  # SignatureExpired is one
            return None
        if not isinstance(data, dict) or data.get("c") != district_code or not isinstance(data.get("v"), str):
            return None
        return VoteTicket(data["v"], district_code)
