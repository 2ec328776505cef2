"""Pacing, pure: a token bucket per endpoint keeps calls under LINE's limits."""
from __future__ import annotations

import pytest

from broadcast.pacing import Pacer, TokenBucket, parse_rates


def test_a_bucket_of_one_spaces_calls_evenly_at_its_rate() -> None:
    bucket = TokenBucket(rate=200, burst=1, now=0.0)
    waits = [bucket.reserve(0.0) for _ in range(4)]
    assert waits == pytest.approx([0.0, 0.005, 0.010, 0.015])


def test_a_saved_up_burst_is_spent_before_anyone_waits() -> None:
    bucket = TokenBucket(rate=1, burst=3, now=0.0)
    assert [bucket.reserve(10.0) for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_a_429_pauses_the_endpoint_and_forgets_the_burst() -> None:
    bucket = TokenBucket(rate=100, burst=5, now=0.0)
    bucket.pause(1.0, 0.5)
    assert bucket.reserve(1.0) == pytest.approx(0.5 + 0.01)


def test_the_pacer_sleeps_per_endpoint_and_leaves_others_alone() -> None:
    slept: list[float] = []
    pacer = Pacer({"multicast": 2}, clock=lambda: 0.0, sleep=slept.append)
    pacer.wait("multicast")
    pacer.wait("multicast")
    pacer.wait("push")
    assert slept == [0.5]


def test_paced_at_190_a_second_no_second_sees_lines_200() -> None:
    now = [0.0]
    pacer = Pacer({"multicast": 190}, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    times = []
    for _ in range(1000):
        pacer.wait("multicast")
        times.append(now[0])
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 191  # 190, +1 for float rounding


def test_rates_are_read_per_second_or_per_hour() -> None:
    assert parse_rates("multicast=150, broadcast=60/h") == {"multicast": 150.0, "broadcast": 60 / 3600}
    with pytest.raises(ValueError):
        parse_rates("multicast=fast")
