"""The credit made from a typed name: only what is shown is kept (services/ingest/stories/credit.py)."""

from __future__ import annotations

import pytest

from services.ingest.stories.credit import credit_name


@pytest.mark.parametrize("credit, name, shown", [
    ("anonymous", "สมศรี ใจดี", None),
    ("first_name", "สมศรี ใจดี", "สมศรี"),
    ("initials", "สมศรี ใจดี", "ส.จ."),
    ("initials", "เกียรติ แก้วใส", "ก.ก."),
    ("initials", "john ronald smith tolkien", "J.R.S."),
    ("first_name", "   ", None),
    ("first_name", "0812345678", None),  # a phone number typed as a name shows nothing
])
def test_credit_from_the_name(credit, name, shown):
    assert credit_name(credit, name) == shown
