"""Praise: which unit or staff member a citizen names, for the chief's inbox and the centre's award
evidence. Shared because the counts live in notify (the chief) and ranking (the centre) and the unit list
feeds the LINE quick replies at ingest. See docs/praise.md."""

from shared.praise.directory import PraiseDirectory
from shared.praise.normalise import PERSON, UNIT, UNKNOWN, Mention, normalise
from shared.praise.rules import PRAISE_MIN_SCORE, counts_as_praise
from shared.praise.units import DEFAULT_UNITS, Unit, with_units

__all__ = ["DEFAULT_UNITS", "PERSON", "PRAISE_MIN_SCORE", "UNIT", "UNKNOWN", "Mention", "PraiseDirectory", "Unit",
           "counts_as_praise", "normalise", "with_units"]
