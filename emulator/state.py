"""Thread-safe, in-memory state of the emulated LINE Platform.

Everything the emulator remembers lives here behind one lock: recorded API calls, reply tokens
it issued, content blobs, rich menus, faults, rate-limit windows, retry keys, known users and the
conversation each user sees. The Flask views only translate HTTP to calls on this object.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Flask, current_app

EXTENSION_KEY = "madoguchi_emulator"

# LINE's documented per-endpoint limits, expressed per second here (LINE counts broadcast and
# narrowcast per hour and rich-menu creation per hour; a per-second window is what we can test).
DEFAULT_RATE_LIMITS: dict[str, int] = {
    "reply": 2000,
    "push": 2000,
    "multicast": 200,
    "narrowcast": 60,
    "broadcast": 60,
    "content": 2000,
    "loading": 2000,
    "profile": 2000,
    "richmenu": 100,
    "insight": 2000,
    "other": 2000,
}

# LINE keeps an accepted retry key for 24 hours; a retry after that is a new request.
DEFAULT_RETRY_WINDOW_SECONDS = 24 * 60 * 60.0
# LINE counts insight days in UTC+9 (Japan has no daylight saving time, so a fixed offset is exact).
JST = timezone(timedelta(hours=9), "JST")
# LINE documents that a reply token must be used "within one minute" of the event.
DEFAULT_REPLY_TOKEN_TTL_SECONDS = 60.0


@dataclass
class ReplyToken:
    """A reply token handed out in a webhook event."""

    token: str
    chat_id: str
    issued_at: float
    used: bool = False


@dataclass
class Fault:
    """A switched-on failure for one endpoint (or all, with endpoint "*")."""

    id: int
    endpoint: str
    mode: str
    count: int = 1
    status: int = 500
    seconds: float = 5.0
    # Below 1, each matching call fails with this probability (benchmarks: "1% of calls fail").
    probability: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON-ready data."""
        return {"id": self.id, "endpoint": self.endpoint, "mode": self.mode, "count": self.count,
                "status": self.status, "seconds": self.seconds, "probability": self.probability}


@dataclass
class AcceptedRetry:
    """What LINE remembers about a request accepted with an X-Line-Retry-Key."""

    accepted_at: float
    request_id: str
    sent_messages: list[dict[str, Any]] | None


@dataclass
class User:
    """A citizen the emulated platform knows because they followed or said something."""

    user_id: str
    display_name: str
    is_following: bool = True
    has_unfollowed: bool = False


@dataclass(eq=False)
class EmulatorState:
    """All mutable state of one emulator instance."""

    channel_secret: str
    channel_access_token: str
    webhook_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8001"
    reply_token_ttl: float = DEFAULT_REPLY_TOKEN_TTL_SECONDS
    retry_window: float = DEFAULT_RETRY_WINDOW_SECONDS
    webhook_timeout: float = 10.0
    # Off for benchmarks with a million recipients: deliveries are only counted, not kept as chats.
    record_conversations: bool = True
    # Load tests post their own signed webhooks, so the emulator never issued those tokens; with
    # this on, an unknown token is accepted once (still single use) instead of being refused.
    accept_any_reply_token: bool = False
    # Injectable so tests can move time and skip hangs instead of sleeping (tests never wait).
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything recorded; keep the channel configuration."""
        with self.lock:
            self.requests: list[dict[str, Any]] = []
            self.messages: list[dict[str, Any]] = []
            self.reply_tokens: dict[str, ReplyToken] = {}
            self.contents: dict[str, tuple[bytes, str]] = {}
            self.rich_menus: dict[str, dict[str, Any]] = {}
            self.rich_menu_images: dict[str, tuple[bytes, str]] = {}
            self.default_rich_menu_id: str | None = None
            self.faults: list[Fault] = []
            self.rate_limits_enabled = False
            self.rate_limits: dict[str, int] = dict(DEFAULT_RATE_LIMITS)
            self.rate_windows: dict[str, deque[float]] = {}
            self.retry_keys: dict[str, AcceptedRetry] = {}
            self.users: dict[str, User] = {}
            self.last_events: dict[str, dict[str, Any]] = {}
            self.quota_consumption = 0
            # Every delivery to every recipient, counted (GET /_emulator/recipients).
            self.deliveries: Counter[str] = Counter()
            self.delivery_calls = 0
            self.first_delivery_at: float | None = None
            self.first_request_at: float | None = None
            self.last_delivery_at: float | None = None
            # Messages LINE would count in its insight figures, per JST day (yyyyMMdd) and endpoint.
            self.sent_by_day: dict[str, Counter[str]] = {}
            self.random = random.Random(0)
            self._request_seq = itertools.count(1)
            self._message_seq = itertools.count(1)
            self._ids = itertools.count(1)
            self._fault_ids = itertools.count(1)

    @property
    def bot_user_id(self) -> str:
        """Return the bot's own user id, the `destination` of every webhook body."""
        return "U" + hashlib.sha256(self.channel_secret.encode()).hexdigest()[:32]

    def next_message_id(self) -> str:
        """Return a fresh numeric message id (LINE's ids are 18-digit decimal strings)."""
        with self.lock:
            return str(500000000000000000 + next(self._ids))

    # -- recording ---------------------------------------------------------------------------

    def record_request(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one Messaging API call to the log and return it with its seq."""
        with self.lock:
            entry = {"seq": next(self._request_seq), **entry}
            self.requests.append(entry)
            return entry

    def list_requests(self, *, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Return recorded calls after `since`, optionally only those to `path`."""
        with self.lock:
            return [r for r in self.requests
                    if r["seq"] > since and (path is None or r["path"] == path)]

    def add_chat_message(self, chat_id: str, sender: str, message: dict[str, Any],
                         *, via: str) -> dict[str, Any]:
        """Append a message to the conversation `chat_id` as the citizen sees it."""
        with self.lock:
            entry = {"seq": next(self._message_seq), "user_id": chat_id, "from": sender,
                     "via": via, "timestamp": int(self.clock() * 1000), "message": message}
            self.messages.append(entry)
            return entry

    def list_chat_messages(self, chat_id: str, *, since: int = 0) -> list[dict[str, Any]]:
        """Return the conversation of `chat_id` after `since`."""
        with self.lock:
            return [m for m in self.messages if m["user_id"] == chat_id and m["seq"] > since]

    def count_deliveries(self, chat_ids: list[str]) -> None:
        """Count one accepted delivery to each recipient (duplicates show up as counts above 1)."""
        with self.lock:
            self.deliveries.update(chat_ids)
            self.delivery_calls += 1
            now = self.clock()
            if self.first_delivery_at is None:
                self.first_delivery_at = now
            self.last_delivery_at = now

    def count_sent(self, via: str, recipients: int) -> None:
        """Count an accepted send for the insight API: one message per recipient reached, on today's JST day.

        Assumed from LINE's counting (insight.yml only says "number of messages sent"): LINE counts
        a message per recipient of an accepted request, however many message objects (bubbles, up
        to 5) it carries, as its billing and quota consumption do; replies are counted too (in
        apiReply), though free. Blocked recipients never receive it and are not counted, and a
        retry answered 409 was not sent again, so it is not counted twice. A push to a group or room
        counts once here (the emulator does not know its members; LINE counts each member).
        """
        with self.lock:
            self.sent_by_day.setdefault(self.jst_day(), Counter())[via] += recipients

    def sent_on(self, day: str) -> Counter[str]:
        """Return the messages counted on a JST day (yyyyMMdd) per endpoint (reply, push, …)."""
        with self.lock:
            return Counter(self.sent_by_day.get(day, Counter()))

    def jst_day(self) -> str:
        """Return today's date in Japan (yyyyMMdd) by the emulator's clock."""
        return datetime.fromtimestamp(self.clock(), JST).strftime("%Y%m%d")

    def note_arrival(self) -> None:
        """Remember when the first authenticated Messaging API call arrived (benchmarks time from it)."""
        if self.first_request_at is None:
            with self.lock:
                if self.first_request_at is None:
                    self.first_request_at = self.clock()

    def delivery_summary(self) -> dict[str, Any]:
        """How many recipients got something, how many deliveries that took, and when."""
        with self.lock:
            total = sum(self.deliveries.values())
            unique = len(self.deliveries)
            return {"recipients": unique, "deliveries": total, "duplicates": total - unique,
                    "calls": self.delivery_calls, "requests": len(self.requests),
                    "first_request_at": self.first_request_at, "first_delivery_at": self.first_delivery_at,
                    "last_delivery_at": self.last_delivery_at}

    def add_followers(self, count: int, *, start: int = 0) -> int:
        """Make `count` followers U{start:032x}… at once (what a broadcast to a big city needs)."""
        with self.lock:
            for number in range(start, start + count):
                user_id = f"U{number:032x}"
                if user_id not in self.users:
                    self.users[user_id] = User(user_id, f"市民{number}")
            return len(self.users)

    # -- users -------------------------------------------------------------------------------

    def touch_user(self, user_id: str, display_name: str | None = None) -> User:
        """Return the user, creating it the first time they appear."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                user = User(user_id, display_name or f"市民{user_id[-4:]}")
                self.users[user_id] = user
            elif display_name:
                user.display_name = display_name
            return user

    def is_blocked(self, chat_id: str) -> bool:
        """Say whether `chat_id` is a known user who has blocked the account."""
        with self.lock:
            user = self.users.get(chat_id)
            return user is not None and not user.is_following

    def following_user_ids(self) -> list[str]:
        """Return the users a broadcast reaches: everyone who has not blocked the account."""
        with self.lock:
            return [u.user_id for u in self.users.values() if u.is_following]

    # -- reply tokens ------------------------------------------------------------------------

    def issue_reply_token(self, token: str, chat_id: str) -> None:
        """Remember a reply token handed to the bot in a webhook event."""
        with self.lock:
            self.reply_tokens[token] = ReplyToken(token, chat_id, self.clock())

    def use_reply_token(self, token: str) -> str | None:
        """Spend a reply token; return its chat id, or None if unknown, used or expired."""
        with self.lock:
            issued = self.reply_tokens.get(token)
            if issued is None and self.accept_any_reply_token:
                issued = self.reply_tokens[token] = ReplyToken(token, "", self.clock())
            # LINE's quirk: a token is single use and dies after about a minute, whether or
            # not the first attempt succeeded on the bot's side.
            if issued is None or issued.used:
                return None
            if self.clock() - issued.issued_at >= self.reply_token_ttl:
                return None
            issued.used = True
            return issued.chat_id

    # -- retry keys --------------------------------------------------------------------------

    def accepted_retry(self, key: str) -> AcceptedRetry | None:
        """Return the earlier acceptance of `key` if it is still inside the dedup window."""
        with self.lock:
            accepted = self.retry_keys.get(key)
            if accepted and self.clock() - accepted.accepted_at < self.retry_window:
                return accepted
            return None

    def accept_retry_key(self, key: str, request_id: str,
                         sent_messages: list[dict[str, Any]] | None) -> None:
        """Remember that a request with `key` was accepted."""
        with self.lock:
            self.retry_keys[key] = AcceptedRetry(self.clock(), request_id, sent_messages)

    # -- faults ------------------------------------------------------------------------------

    def add_fault(self, endpoint: str, mode: str, *, count: int = 1, status: int = 500,
                  seconds: float = 5.0, probability: float = 1.0) -> Fault:
        """Switch on a fault and return it."""
        with self.lock:
            fault = Fault(next(self._fault_ids), endpoint, mode, count, status, seconds, probability)
            self.faults.append(fault)
            return fault

    def take_fault(self, endpoint: str, modes: tuple[str, ...]) -> Fault | None:
        """Consume one use of the first fault matching `endpoint` and one of `modes`."""
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in (endpoint, "*") and fault.mode in modes:
                    if fault.probability < 1.0 and self.random.random() >= fault.probability:
                        continue
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self.faults.remove(fault)
                    return fault
            return None

    # -- rate limits -------------------------------------------------------------------------

    def is_rate_limited(self, endpoint: str) -> bool:
        """Count a request against `endpoint`'s sliding 1-second window; True means 429."""
        with self.lock:
            if not self.rate_limits_enabled:
                return False
            limit = self.rate_limits.get(endpoint, self.rate_limits.get("other", 2000))
            now = self.clock()
            window = self.rate_windows.setdefault(endpoint, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return True  # a rejected request does not count, as at LINE
            window.append(now)
            return False


def current_state() -> EmulatorState:
    """Return the state of the emulator app handling the current request."""
    return state_of(current_app)


def state_of(app: Flask) -> EmulatorState:
    """Return the state of an emulator app (tests use it to move the clock)."""
    return app.extensions[EXTENSION_KEY]
