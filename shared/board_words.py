"""What the public board calls its windows and size groups, in Thai and English.

Every message that states a rank (the website, the chief's weekly digest) names the window and the group
with these words, so a chief reads in the mail exactly what the site shows.
"""

from __future__ import annotations

WINDOW_LABELS: dict[str, tuple[str, str]] = {
    "campaign": ("ตลอดโครงการ", "Whole campaign"),
    "last_30_days": ("30 วันล่าสุด", "Last 30 days"),
    "last_7_days": ("7 วันล่าสุด", "Last 7 days"),
}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "small": ("อำเภอขนาดเล็ก", "Small districts"),
    "medium": ("อำเภอขนาดกลาง", "Medium districts"),
    "large": ("อำเภอขนาดใหญ่", "Large districts"),
}
