"""The JSON bodies of the centre's story decisions: checked before any code uses them."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from shared.events import DECIDER_MAX, REASON_MAX, SHORTLISTS, STORY_MAX
from shared.fields import CleanText

BY_MAX = DECIDER_MAX  # the decision's `by` as stories.decisions.v1 carries it


class _Decision(Schema):
    class Meta:
        unknown = RAISE

    by = CleanText(required=True, max_length=BY_MAX, single_line=True, validate=validate.Length(min=1))


class EditSchema(_Decision):
    text = CleanText(required=True, max_length=STORY_MAX, validate=validate.Length(min=1))


class ApproveSchema(_Decision):
    pass


class RejectSchema(_Decision):
    reason = CleanText(required=True, max_length=REASON_MAX, validate=validate.Length(min=1))


class ShortlistSchema(_Decision):
    list = fields.String(required=True, validate=validate.OneOf(SHORTLISTS))


SCHEMAS = {"edit": EditSchema(), "approve": ApproveSchema(), "reject": RejectSchema(), "shortlist": ShortlistSchema()}
