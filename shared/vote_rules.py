"""The vote's vocabulary: channels, services and limits, shared by API, events and pages."""

from __future__ import annotations

SCHEMA_VOTES_V1 = "votes.v1"

CHANNELS = ("qr", "line", "kiosk", "web", "facebook", "import")
# Channels straight from citizens' devices or accounts: every vote must carry the voter's identity.
PUBLIC_CHANNELS = frozenset({"qr", "line", "web", "facebook"})
# Channels that upload votes collected offline: only these may give a submitted_at in the past.
BACKDATING_CHANNELS = frozenset({"kiosk", "import"})

# What the citizen came to the district office for.
SERVICES = {
    "id_card": ("บัตรประจำตัวประชาชน", "ID card"),
    "house_registration": ("ทะเบียนบ้าน", "House registration"),
    "civil_registration": ("ทะเบียนราษฎร (เกิด ตาย สมรส ฯลฯ)", "Civil registration"),
    "licences_permits": ("ใบอนุญาตและการขออนุญาต", "Licences and permits"),
    "complaints": ("ร้องเรียน / ศูนย์ดำรงธรรม", "Complaints / Damrongdhama Centre"),
    "other": ("อื่น ๆ", "Other"),
}

MIN_SCORE, MAX_SCORE = 1, 5
COMMENT_MAX = 1000
STAFF_MAX = 120
VOTER_ID_MAX = 256
MAX_FUTURE_SKEW_SECONDS = 300
MAX_AGE_DAYS = 7
# A live channel's submitted_at may differ from the time of receipt by this much (device clocks).
LIVE_CLOCK_SKEW_SECONDS = 300
BATCH_MAX = 500
