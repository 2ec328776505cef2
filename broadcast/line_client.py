"""A lean HTTP client for LINE's bulk sending endpoints (multicast, broadcast, push), paced per endpoint.

Why not core.line_gateway's SDK gateway: it has no broadcast endpoint yet, it checks every message
against the SDK's pydantic models on every call (CPU that a 2-core server needs for 200 calls a second,
for messages Madoguchi built itself and core.line_api has checked), and its 10 s timeout is longer than
a delivery should wait for a hung call. Errors are core.line_api's LineApiError (shared with the gateway, without the SDK), and a 409
(LINE already accepted this retry key) counts as delivered, exactly as there.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import requests

from broadcast.pacing import Pacer
from core.line_api import LineApiError, LineMessage, check_messages, check_recipients

DEFAULT_TIMEOUT_SECONDS = 5.0
# After a 429, the whole process holds off the endpoint this long before pacing resumes.
RATE_LIMITED_PAUSE_SECONDS = 1.0


class BulkLineClient:
    """multicast / broadcast / push with X-Line-Retry-Key, one HTTP connection pool per thread."""

    def __init__(self, *, access_token: str, api_base: str, pacer: Pacer | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._headers = {"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"}
        self._base = api_base.rstrip("/")
        self.pacer = pacer or Pacer()
        self.timeout = timeout
        self._local = threading.local()

    def multicast(self, to: Sequence[str], messages: Sequence[LineMessage], *, retry_key: str) -> None:
        self._post("multicast", {"to": check_recipients(to), "messages": check_messages(messages)}, retry_key)

    def broadcast(self, messages: Sequence[LineMessage], *, retry_key: str) -> None:
        """Every follower who has not blocked the account, in one call (LINE allows 60 an hour)."""
        self._post("broadcast", {"messages": check_messages(messages)}, retry_key)

    def push(self, to: str, messages: Sequence[LineMessage], *, retry_key: str) -> None:
        self._post("push", {"to": to, "messages": check_messages(messages)}, retry_key)

    def _post(self, endpoint: str, body: dict[str, Any], retry_key: str) -> None:
        self.pacer.wait(endpoint)
        try:
            response = self._session().post(f"{self._base}/v2/bot/message/{endpoint}", data=json.dumps(body),
                                            headers={**self._headers, "X-Line-Retry-Key": retry_key},
                                            timeout=self.timeout)
        except requests.RequestException as exc:  # refused, reset, timed out: maybe accepted, maybe not
            raise LineApiError(0, type(exc).__name__) from exc
        if response.status_code < 300 or response.status_code == 409:
            return
        if response.status_code == 429:
            self.pacer.back_off(endpoint, RATE_LIMITED_PAUSE_SECONDS)
        raise LineApiError(response.status_code, _message(response))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


def _message(response: requests.Response) -> str:
    # Only LINE's message, never its details: they can echo our request (citizens' ids).
    try:
        return str(response.json().get("message", response.reason))
    except (ValueError, AttributeError):
        return str(response.reason)


class WithBroadcastEndpoint:
    """A LineGateway that lacks LINE's broadcast endpoint (the SDK gateway), given one by the bulk client.

    The inline worker of the embedded default sends through the SDK gateway; with this it can also
    send an emergency's one broadcast-endpoint call (say, when the admin's emergency screen queued it).
    """

    def __init__(self, line: Any, bulk: BulkLineClient) -> None:
        self.line, self.bulk = line, bulk

    def multicast(self, to: Sequence[str], messages: Sequence[LineMessage], *, retry_key: str) -> None:
        self.line.multicast(to, messages, retry_key=retry_key)

    def broadcast(self, messages: Sequence[LineMessage], *, retry_key: str) -> None:
        self.bulk.broadcast(messages, retry_key=retry_key)
