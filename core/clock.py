"""Time zones: Madoguchi stores UTC, and counts days and months the way the city does, in Japan time."""
from __future__ import annotations

from datetime import timedelta, timezone

# Japan has no daylight saving time, so a fixed offset is exact (and needs no tz database).
JST = timezone(timedelta(hours=9), "JST")
