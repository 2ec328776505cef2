"""Staying under LINE's per-endpoint rate limits: a token bucket per endpoint, shared by a process's threads.

Pure (time is injected). LINE counts requests per endpoint: multicast 200/s, push 2,000/s,
broadcast and narrowcast 60 an hour. The default rates sit a little under LINE's so that network
jitter cannot push a second's worth of arrivals over the line; a 429 pauses the endpoint briefly.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_RATES: dict[str, float] = {"multicast": 190.0, "push": 1900.0, "broadcast": 60 / 3600, "narrowcast": 60 / 3600}
# A burst of one: evenly spaced calls never bunch up inside LINE's one-second window.
DEFAULT_BURST = 1.0
# broadcast/narrowcast are counted per hour: an emergency (and its retries) must not wait for a token.
HOURLY_BURST = 10.0


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up. `reserve` says how long to wait for the next one."""

    def __init__(self, rate: float, burst: float = DEFAULT_BURST, *, now: float = 0.0) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst = rate, burst
        self._tokens, self._updated = burst, now
        self._paused_until = now

    def reserve(self, now: float) -> float:
        """Take a token (possibly one that arrives later); returns the seconds to wait before using it."""
        now_effective = max(now, self._paused_until)
        self._tokens = min(self.burst, self._tokens + (now_effective - self._updated) * self.rate)
        self._updated = now_effective
        self._tokens -= 1
        wait_from_now = now_effective - now
        if self._tokens >= 0:
            return wait_from_now
        return wait_from_now + (-self._tokens) / self.rate

    def pause(self, now: float, seconds: float) -> None:
        """Hand out nothing new for `seconds` (after a 429), and forget the saved-up burst."""
        self._paused_until = max(self._paused_until, now + seconds)
        self._tokens = min(self._tokens, 0.0)
        self._updated = max(self._updated, self._paused_until)  # nothing saved up while paused


class Pacer:
    """Thread-safe buckets per endpoint; `wait` blocks until the endpoint may be called. Unlisted endpoints are not paced."""

    def __init__(self, rates: Mapping[str, float] | None = None, *, burst: float = DEFAULT_BURST,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        rates = DEFAULT_RATES if rates is None else rates  # {}: no pacing at all (tests)
        self._buckets = {name: TokenBucket(rate, burst if rate >= 1 else HOURLY_BURST, now=clock())
                         for name, rate in rates.items()}

    def wait(self, endpoint: str) -> float:
        """Block until a call to `endpoint` is allowed; returns how long that took."""
        bucket = self._buckets.get(endpoint)
        if bucket is None:
            return 0.0
        with self._lock:
            delay = bucket.reserve(self._clock())
        if delay > 0:
            self._sleep(delay)
        return delay

    def back_off(self, endpoint: str, seconds: float) -> None:
        """LINE said 429: everyone in this process holds off the endpoint for a moment."""
        bucket = self._buckets.get(endpoint)
        if bucket is not None:
            with self._lock:
                bucket.pause(self._clock(), seconds)


def parse_rates(value: str) -> dict[str, float]:
    """`multicast=190,push=1900` → {"multicast": 190.0, "push": 1900.0}; `broadcast=60/h` means per hour."""
    rates: dict[str, float] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        name, _, raw = item.partition("=")
        raw = raw.strip().lower()
        per_hour = raw.endswith("/h")
        try:
            rate = float(raw[:-2] if per_hour else raw.removesuffix("/s"))
        except ValueError as exc:
            raise ValueError(f"rate limit {item.strip()!r} is not like multicast=190 or broadcast=60/h") from exc
        if rate <= 0:
            raise ValueError(f"rate limit {item.strip()!r} must be positive")
        rates[name.strip()] = rate / 3600 if per_hour else rate
    return rates
