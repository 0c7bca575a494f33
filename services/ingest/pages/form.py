"""The vote form: from posted fields to the API's vote request, and its errors back to words.

Pure functions. The request goes through the same VoteRequestSchema as the API, so the page
can accept nothing the API would refuse.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from services.ingest.pages.i18n import FIELD_ERRORS
from shared.vote_rules import COMMENT_MAX, STAFF_MAX

FIELDS = ("score", "service", "staff", "comment")


@dataclass
class VoteForm:
    """What the citizen typed, kept verbatim so an error page shows it again."""

    score: str = ""
    service: str = ""
    staff: str = ""
    comment: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data) -> VoteForm:
        return cls(**{name: str(data.get(name, "")) for name in FIELDS})

    def to_request(self, district_code: str, voter_id: str | None) -> dict:
        """The JSON body the API would get. A non-numeric score is passed as is, to fail validation."""
        digits = self.score.isascii() and self.score.isdigit() and len(self.score) <= 3  # int() of 5,000 digits raises
        score: object = int(self.score) if digits else self.score or None
        request: dict = {"district_code": district_code, "score": score}
        if self.service:
            request["service"] = self.service
        if self.staff.strip():
            request["staff"] = self.staff
        if self.comment.strip():
            request["comment"] = self.comment
        if voter_id:
            request["voter_id"] = voter_id
        if request["score"] is None:
            del request["score"]
        return request


def field_errors(messages: dict, form: VoteForm, lang: str) -> dict[str, str]:
    """marshmallow's messages to one plain sentence per form field, in the page's language."""
    words = FIELD_ERRORS[lang]
    out: dict[str, str] = {}
    for name in messages:
        if name == "comment":
            length = len(unicodedata.normalize("NFC", form.comment.replace("\r\n", "\n")).strip())
            out[name] = (words["comment_long"].format(length=f"{length:,}", max=f"{COMMENT_MAX:,}")
                         if length > COMMENT_MAX else words["comment"])
        elif name == "staff":
            out[name] = words["staff"].format(max=STAFF_MAX)
        elif name in words:
            out[name] = words[name]
        else:  # a field the form does not show (voter_id…): say it at the top
            out["_form"] = words["score"] if name == "score" else str(messages[name])
    return out
