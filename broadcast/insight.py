"""LINE's own daily figures of messages sent (the insight API), for the delivery reports.

GET /v2/bot/insight/message/delivery?date=yyyyMMdd gives, for one day in Japan, how many messages the
whole account sent by kind (apiMulticast, apiBroadcast, apiPush, …). They are the account's daily
totals, not one broadcast's: without custom aggregation units LINE keeps no figures per multicast
request. LINE publishes a day only after it has ended ("unready" until then), so the reports show
LINE's word for it and never a number of our own in its place.

Asking must never slow or break a report: short timeouts, every failure becomes status "error",
fetches run side by side and stop after the first failure, and answers are cached (a "ready" day
never changes; "unready" and failures are asked again after a while).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import requests

log = logging.getLogger(__name__)

DELIVERY_PATH = "/v2/bot/insight/message/delivery"
# (connect, read) seconds: a report page waits at most about this long for LINE.
DEFAULT_TIMEOUT = (1.0, 2.0)
# LINE's statuses, and ours for "we could not ask" (a failed call is not a LINE status).
READY, UNREADY, OUT_OF_SERVICE, ERROR = "ready", "unready", "out_of_service", "error"
FINAL_STATUSES = frozenset({READY, OUT_OF_SERVICE})   # these never change for a past day
UNREADY_RECHECK_SECONDS = 600.0   # LINE counts a day about once, after it ends: no need to ask often
ERROR_RECHECK_SECONDS = 60.0
MAX_PARALLEL_FETCHES = 4


@dataclass(frozen=True)
class LineDayFigures:
    """What LINE says the whole account sent on one JST day through the endpoints broadcasts use."""

    day: date
    status: str                      # ready | unready | out_of_service | error
    api_multicast: int | None = None
    api_broadcast: int | None = None
    api_push: int | None = None

    @property
    def ready(self) -> bool:
        return self.status == READY

    @property
    def total(self) -> int | None:
        """apiMulticast + apiBroadcast + apiPush once LINE is ready (None before, never a guess)."""
        if not self.ready:
            return None
        parts = [n for n in (self.api_multicast, self.api_broadcast, self.api_push) if n is not None]
        return sum(parts) if parts else None


class InsightClient:
    """Asks LINE's insight API for a day's sent-message figures, with requests and a short timeout."""

    def __init__(self, *, access_token: str, api_base: str,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._base = api_base.rstrip("/")
        self.timeout = timeout

    def message_deliveries(self, day: date) -> LineDayFigures:
        """LINE's figures for `day` (JST); any failure is status "error", never an exception."""
        try:
            response = requests.get(f"{self._base}{DELIVERY_PATH}", params={"date": f"{day:%Y%m%d}"},
                                    headers=self._headers, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("LINE insight call for %s failed: %s", day.isoformat(), type(exc).__name__)
            return LineDayFigures(day, ERROR)
        if response.status_code != 200:
            log.warning("LINE insight call for %s answered %d", day.isoformat(), response.status_code)
            return LineDayFigures(day, ERROR)
        return _parse(day, response)


def _parse(day: date, response: requests.Response) -> LineDayFigures:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = body.get("status") if isinstance(body, dict) else None
    if status not in (READY, UNREADY, OUT_OF_SERVICE):
        log.warning("LINE insight answer for %s had no known status", day.isoformat())
        return LineDayFigures(day, ERROR)
    if status != READY:
        return LineDayFigures(day, status)
    return LineDayFigures(day, READY, _count(body, "apiMulticast"), _count(body, "apiBroadcast"),
                          _count(body, "apiPush"))


def _count(body: dict, name: str) -> int | None:
    # Every property is optional in insight.yml: a missing one stays None rather than becoming 0.
    value = body.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class DailyInsights:
    """LINE's figures per day, cached in this process; safe to share between request threads."""

    def __init__(self, client: InsightClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[date, tuple[LineDayFigures, float]] = {}   # day -> (figures, when asked)

    def figures(self, days: Iterable[date]) -> dict[date, LineDayFigures]:
        """The figures of each day: cached when still good, else asked for (in parallel)."""
        wanted = sorted(set(days))
        found = {day: cached for day in wanted if (cached := self._cached(day)) is not None}
        missing = [day for day in wanted if day not in found]
        if missing:
            fetched = self._fetch(missing)
            with self._lock:
                now = self.clock()
                self._cache.update({day: (f, now) for day, f in fetched.items()})
            found.update(fetched)
        return found

    def _cached(self, day: date) -> LineDayFigures | None:
        with self._lock:
            entry = self._cache.get(day)
        if entry is None:
            return None
        figures, asked_at = entry
        if figures.status in FINAL_STATUSES:
            return figures
        wait = ERROR_RECHECK_SECONDS if figures.status == ERROR else UNREADY_RECHECK_SECONDS
        return figures if self.clock() - asked_at < wait else None

    def _fetch(self, days: list[date]) -> dict[date, LineDayFigures]:
        # After one failure the rest are not asked: if LINE is down or hanging, a page of a hundred
        # broadcasts would otherwise wait a timeout per day.
        failed = threading.Event()

        def fetch(day: date) -> LineDayFigures:
            if failed.is_set():
                return LineDayFigures(day, ERROR)
            figures = self.client.message_deliveries(day)
            if figures.status == ERROR:
                failed.set()
            return figures

        if len(days) == 1:
            return {days[0]: fetch(days[0])}
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_FETCHES, len(days))) as pool:
            return dict(zip(days, pool.map(fetch, days)))
