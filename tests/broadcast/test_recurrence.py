"""Repeat rules staff type, turned into cron fields."""
from __future__ import annotations

import pytest

from broadcast.recurrence import RecurrenceError, cron_fields


@pytest.mark.parametrize(("spec", "fields"), [
    ("daily@07:30", {"hour": "7", "minute": "30"}),
    ("weekly-mon@09:00", {"day_of_week": "mon", "hour": "9", "minute": "0"}),
    ("weekly-friday@18:00", {"day_of_week": "fri", "hour": "18", "minute": "0"}),
    ("monthly-15@10:00", {"day": "15", "hour": "10", "minute": "0"}),
    ("first-monday@09:00", {"day": "1st mon", "hour": "9", "minute": "0"}),
    ("Last-Sunday@17:05", {"day": "last sun", "hour": "17", "minute": "5"}),
])
def test_repeat_rules_become_cron_fields(spec: str, fields: dict) -> None:
    assert cron_fields(spec) == fields


@pytest.mark.parametrize("spec", ["毎月第1月曜", "daily@25:00", "monthly-32@10:00", "fifth-monday@09:00", "weekly@09:00"])
def test_rules_we_do_not_understand_are_refused(spec: str) -> None:
    with pytest.raises(RecurrenceError):
        cron_fields(spec)
