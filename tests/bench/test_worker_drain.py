"""The worker-drain benchmark's arithmetic: CPU per event over the roles asked for, between two readings."""
from __future__ import annotations

from bench.worker_drain import per_event_ms


def test_cpu_per_event_sums_the_roles_between_two_readings() -> None:
    before = {"worker0": 1.0, "worker1": 2.0, "postgres": 5.0}
    after = {"worker0": 3.0, "worker1": 3.0, "postgres": 5.5}
    assert per_event_ms(before, after, ["worker0", "worker1"], 1000) == 3.0  # 3 s over 1,000 events
    assert per_event_ms(before, after, ["postgres"], 1000) == 0.5
    assert per_event_ms(before, after, ["postgres"], 0) == 500.0  # never a division by zero
