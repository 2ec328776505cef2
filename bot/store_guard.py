"""Fast refusals while the database hangs: the webhook must answer LINE in seconds, even with a 503.

A database that is down fails fast (libpq's connect and TCP timeouts, core/db.py). One that hangs —
a frozen server, a lock storm, a full disk — does not: each webhook would wait on it, every gunicorn
thread would fill up, and LINE would see timeouts instead of answers. So while any store in this
process has been waiting longer than STUCK_AFTER_SECONDS, new webhooks get an immediate 503 (LINE
redelivers them later) instead of queueing behind it. The waiting store itself goes on, and the
first one to finish closes the gap.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STUCK_AFTER_SECONDS = 1.0  # an insert takes milliseconds; a second is already far outside normal


class StoreGuard:
    """Knows how long the stores in flight have been waiting."""

    def __init__(self, *, stuck_after: float = STUCK_AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stuck_after = stuck_after
        self.clock = clock
        self._in_flight: dict[int, float] = {}
        self._tickets = itertools.count()
        self._lock = threading.Lock()

    def is_stuck(self) -> bool:
        """True while some store has been waiting longer than `stuck_after`."""
        now = self.clock()
        with self._lock:
            return any(now - started > self.stuck_after for started in self._in_flight.values())

    @contextmanager
    def storing(self) -> Iterator[None]:
        """Mark a store in flight for as long as the block runs."""
        ticket = next(self._tickets)
        with self._lock:
            self._in_flight[ticket] = self.clock()
        try:
            yield
        finally:
            with self._lock:
                del self._in_flight[ticket]
