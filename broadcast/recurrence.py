"""Repeating schedules staff can type: `daily@07:30`, `weekly-mon@09:00`, `monthly-15@10:00`, `first-monday@09:00`.

Pure: turns the text into APScheduler CronTrigger fields (the scheduler adds the city's time zone).
"""
from __future__ import annotations

import re

DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
        "saturday": "sat", "sunday": "sun"}
SHORT_DAYS = set(DAYS.values())
ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "last": "last"}
_SPEC = re.compile(r"^(?P<rule>[a-z0-9-]+)@(?P<hour>\d{1,2}):(?P<minute>\d{2})$")


class RecurrenceError(ValueError):
    """A repeat rule we do not understand."""


def cron_fields(spec: str) -> dict[str, str]:
    """`first-monday@09:00` → {"day": "1st mon", "hour": "9", "minute": "0"} (CronTrigger keyword arguments)."""
    found = _SPEC.match(spec.strip().lower())
    if not found:
        raise RecurrenceError(f"repeat {spec!r} is not like daily@07:30, weekly-mon@09:00, monthly-15@10:00, first-monday@09:00")
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        raise RecurrenceError(f"repeat {spec!r}: no such time of day")
    fields = {"hour": str(hour), "minute": str(minute)}
    return {**_day_fields(found["rule"], spec), **fields}


def _day_fields(rule: str, spec: str) -> dict[str, str]:
    if rule == "daily":
        return {}
    kind, _, arg = rule.partition("-")
    if kind == "weekly" and arg in SHORT_DAYS | set(DAYS):
        return {"day_of_week": DAYS.get(arg, arg)}
    if kind == "monthly" and arg.isdigit() and 1 <= int(arg) <= 31:
        return {"day": arg}
    if kind in ORDINALS and arg in SHORT_DAYS | set(DAYS):
        return {"day": f"{ORDINALS[kind]} {DAYS.get(arg, arg)}"}
    raise RecurrenceError(f"repeat {spec!r}: unknown rule {rule!r}")
