"""LINE Messaging API facts shared by every client of ours, without importing the SDK.

The SDK takes seconds to import; the emergency sender (broadcast/line_client.py) must make its
first call well within a second of the command, so what both clients share lives here.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

LineMessage = dict[str, Any]

# LINE's limits that callers must respect (the API answers 400 otherwise).
MAX_MESSAGES_PER_CALL = 5
MAX_MULTICAST_RECIPIENTS = 500

_RETRY_KEY_NAMESPACE = uuid.UUID("6d0a5a8e-7d3c-4f59-9a0e-2f6b5f1c9a41")


class LineApiError(Exception):
    """LINE answered with an error status (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"LINE API {status}: {message}")
        self.status = status
        self.message = message

    @property
    def is_retryable(self) -> bool:
        """5xx, 429 and network failures may succeed later with the same retry key."""
        return self.status == 0 or self.status == 429 or self.status >= 500


class ReplyTokenRejectedError(LineApiError):
    """The reply token was used, expired (they live about a minute) or never existed."""


def retry_key_for(*parts: str) -> str:
    """A deterministic X-Line-Retry-Key: the same logical send always gets the same UUID."""
    return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, "\x1f".join(parts)))


def check_messages(messages: Sequence[LineMessage]) -> list[LineMessage]:
    """The messages as a list, or ValueError when LINE would refuse their number."""
    if not 1 <= len(messages) <= MAX_MESSAGES_PER_CALL:
        raise ValueError(f"LINE takes 1..{MAX_MESSAGES_PER_CALL} messages a call, got {len(messages)}")
    return list(messages)


def check_recipients(to: Sequence[str]) -> list[str]:
    """The multicast recipients as a list, or ValueError when LINE would refuse their number."""
    if not 1 <= len(to) <= MAX_MULTICAST_RECIPIENTS:
        raise ValueError(f"multicast takes 1..{MAX_MULTICAST_RECIPIENTS} recipients, got {len(to)}")
    return list(to)
