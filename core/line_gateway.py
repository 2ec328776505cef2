"""The one door to LINE's Messaging API: a Protocol, its line-bot-sdk v3 implementation and a recording fake.

Messages travel through Madoguchi as plain dicts in LINE's JSON shape (`{"type": "text", "text": ...}`),
so that handlers, tests and the fake need no SDK; only this module hands them to the SDK, which checks
them against its models before they are sent.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    Message,
    MessagingApi,
    MessagingApiBlob,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging import RichMenuRequest

from core.line_api import (  # noqa: F401  (re-exported: the rest of Madoguchi imports them from here)
    MAX_MESSAGES_PER_CALL,
    MAX_MULTICAST_RECIPIENTS,
    LineApiError,
    LineMessage,
    ReplyTokenRejectedError,
    check_messages,
    check_recipients,
    retry_key_for,
)

from core.metrics import LINE_ERRORS

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0
# Kept-alive connections per LINE host. The SDK's default is 5 a CPU: on a 1-CPU server that is fewer
# than the worker's reply threads (bot.processing.SEND_THREADS, 8), and whenever a batch's replies are
# done urllib3 keeps 5 of the 8 connections and closes the others ("Connection pool is full,
# discarding connection"); the next batch opens them again (a TCP and, at LINE, a TLS handshake each).
CONNECTIONS_PER_HOST = 16


class LineGateway(Protocol):
    """What Madoguchi asks of LINE."""

    def reply(self, reply_token: str, messages: Sequence[LineMessage]) -> None: ...

    def push(self, to: str, messages: Sequence[LineMessage], *, retry_key: str) -> None: ...

    def multicast(self, to: Sequence[str], messages: Sequence[LineMessage], *, retry_key: str) -> None: ...

    def show_loading(self, chat_id: str, seconds: int = 5) -> None: ...

    def get_content(self, message_id: str) -> bytes: ...

    def get_profile(self, line_user_id: str) -> dict[str, Any]: ...

    # Rich menus (bot/richmenu deploys them; see its README).

    def create_rich_menu(self, menu: dict[str, Any]) -> str: ...

    def set_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> None: ...

    def set_default_rich_menu(self, rich_menu_id: str) -> None: ...

    def get_default_rich_menu_id(self) -> str | None: ...

    def list_rich_menus(self) -> list[dict[str, Any]]: ...

    def delete_rich_menu(self, rich_menu_id: str) -> None: ...


# Waits between push attempts after a failure LINE may recover from (the retry key makes repeats safe).
PUSH_RETRY_DELAYS = (0.5, 2.0)


def reply_or_push(line: LineGateway, *, reply_token: str | None, to: str | None,
                  messages: Sequence[LineMessage], retry_key: str,
                  sleep: Callable[[float], None] = time.sleep) -> str:
    """Reply with the token; push instead when LINE rejects the token or the reply fails. Returns "reply" or "push".

    A reply that failed with a 5xx, 429 or a timeout must not leave the citizen without an answer: the
    event is already committed as done, so nothing would send it later. A reply has no retry key, so
    if LINE did deliver it before failing the citizen sees the answer twice — better than never.
    The push carries the retry key: its own retries are never delivered twice.
    """
    if reply_token:
        try:
            line.reply(reply_token, messages)
            return "reply"
        except ReplyTokenRejectedError:
            log.info("reply token rejected; falling back to push")
        except LineApiError as error:
            if not error.is_retryable:
                raise
            log.warning("reply failed: status=%s; pushing instead", error.status)
    if not to:
        raise LineApiError(0, "no reply token and no recipient to push to")
    for delay in PUSH_RETRY_DELAYS:
        try:
            line.push(to, messages, retry_key=retry_key)
            return "push"
        except LineApiError as error:
            if not error.is_retryable:
                raise
            sleep(delay)
    line.push(to, messages, retry_key=retry_key)  # the last try: its error goes to the caller
    return "push"


class SdkLineGateway:
    """LineGateway on line-bot-sdk v3, talking HTTP to LINE (or to our emulator)."""

    def __init__(self, *, access_token: str, api_base: str, data_api_base: str) -> None:
        self._api = MessagingApi(ApiClient(_configuration(api_base, access_token)))
        # Content downloads live on a different host at LINE (api-data.line.me).
        self._blob = MessagingApiBlob(ApiClient(_configuration(data_api_base, access_token)))

    def reply(self, reply_token: str, messages: Sequence[LineMessage]) -> None:
        try:
            self._post("reply_message", "/v2/bot/message/reply",
                       {"replyToken": reply_token, "messages": _checked(messages)})
        except LineApiError as error:
            if error.status == 400 and "reply token" in error.message.lower():
                raise ReplyTokenRejectedError(error.status, error.message) from error
            raise

    def push(self, to: str, messages: Sequence[LineMessage], *, retry_key: str) -> None:
        self._post_with_retry_key("push_message", "/v2/bot/message/push",
                                  {"to": to, "messages": _checked(messages)}, retry_key)

    def multicast(self, to: Sequence[str], messages: Sequence[LineMessage], *, retry_key: str) -> None:
        body = {"to": check_recipients(to), "messages": _checked(messages)}
        self._post_with_retry_key("multicast", "/v2/bot/message/multicast", body, retry_key)

    def show_loading(self, chat_id: str, seconds: int = 5) -> None:
        ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds)  # the SDK's check: 5..60 seconds
        self._post("show_loading_animation", "/v2/bot/chat/loading/start",
                   {"chatId": chat_id, "loadingSeconds": seconds})

    def _post(self, endpoint: str, path: str, body: dict[str, Any], retry_key: str | None = None) -> None:
        """POST a JSON body through the SDK's ApiClient (its auth, user agent, connection pool and errors).

        Why not MessagingApi.reply_message and its siblings: they take pydantic models that the SDK
        validates once more (validate_arguments) and turns back into the very dicts we started from
        (sanitize_for_serialization → to_dict), then parse LINE's answer into a model we throw away:
        about 0.25 ms of CPU a reply, a third of what the client spent on it (0.69 → 0.46 ms, measured
        against the emulator); the HTTP itself (urllib3, http.client) is most of what is left.
        `endpoint` is the SDK method's name, so the error metric keeps its labels.
        """
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        # No response types: a 2xx body (sent message ids) is read but not parsed; errors raise ApiException as before.
        _call_as(endpoint, self._api.api_client.call_api, path, "POST", header_params=headers, body=body,
                 response_types_map={}, auth_settings=["Bearer"], _return_http_data_only=True)

    def _post_with_retry_key(self, endpoint: str, path: str, body: dict[str, Any], retry_key: str) -> None:
        try:
            self._post(endpoint, path, body, retry_key)
        except LineApiError as error:
            # 409: LINE already accepted a request with this retry key — an earlier attempt
            # got through even though we never saw its answer. It is delivered.
            if error.status != 409:
                raise

    def get_content(self, message_id: str) -> bytes:
        return bytes(_call(self._blob.get_message_content, message_id))

    def get_profile(self, line_user_id: str) -> dict[str, Any]:
        """displayName, language, … of a follower (personal data: Madoguchi keeps only the language)."""
        return _call(self._api.get_profile, line_user_id).to_dict()

    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Create a rich menu from LINE's JSON object; returns its id (it has no image yet)."""
        return str(_call(self._api.create_rich_menu, RichMenuRequest.from_dict(menu)).rich_menu_id)

    def set_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> None:
        """Upload the menu's image; like content downloads, this lives on the data host (api-data.line.me)."""
        # The SDK sets no Content-Type for raw bytes; LINE answers 415 without image/png or image/jpeg.
        _call(self._blob.set_rich_menu_image, rich_menu_id, image, _headers={"Content-Type": content_type})

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        _call(self._api.set_default_rich_menu, rich_menu_id)

    def get_default_rich_menu_id(self) -> str | None:
        """The default menu's id, or None when there is none (LINE answers 404)."""
        try:
            return str(_call(self._api.get_default_rich_menu_id).rich_menu_id)
        except LineApiError as error:
            if error.status == 404:
                return None
            raise

    def list_rich_menus(self) -> list[dict[str, Any]]:
        """Every menu made through the API, as LINE's JSON objects (richMenuId, name, chatBarText, ...)."""
        return [menu.to_dict() for menu in _call(self._api.get_rich_menu_list).richmenus]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        _call(self._api.delete_rich_menu, rich_menu_id)


def _configuration(host: str, access_token: str) -> Configuration:
    configuration = Configuration(host=host, access_token=access_token)
    # No silent retries inside urllib3: callers retry with the same retry key, and count what they did.
    configuration.retries = 0
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, CONNECTIONS_PER_HOST)
    return configuration


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the SDK, turning its exceptions (and urllib3's) into LineApiError."""
    return _call_as(getattr(method, "__name__", "unknown"), method, *args, **kwargs)


def _call_as(endpoint: str, method: Any, *args: Any, **kwargs: Any) -> Any:
    """`_call`, with the endpoint name the error metric is labelled with."""
    try:
        return method(*args, _request_timeout=REQUEST_TIMEOUT_SECONDS, **kwargs)
    except ApiException as exc:
        error = _api_error(exc)
        LINE_ERRORS.labels(endpoint=endpoint, status=str(error.status)).inc()
        raise error from exc
    except (OSError, urllib3.exceptions.HTTPError) as exc:  # refused, reset, timed out
        LINE_ERRORS.labels(endpoint=endpoint, status="0").inc()
        raise LineApiError(0, type(exc).__name__) from exc


def _checked(messages: Sequence[LineMessage]) -> list[LineMessage]:
    """The messages as a list, after LINE's count limit and the SDK's models have accepted each one.

    The models are only a check (a ValueError here, before anything is sent, as when they were sent);
    the dicts themselves go out, as broadcast/line_client.py sends them.
    """
    checked = check_messages(messages)
    for message in checked:
        Message.from_dict(message)
    return checked


def _api_error(exc: ApiException) -> LineApiError:
    # LINE's error bodies are {"message": "...", "details": [...]}; keep only the message
    # (details can echo our request, which may carry a citizen's words).
    message = exc.reason or ""
    try:
        message = json.loads(exc.body or "{}").get("message", message)
    except (ValueError, AttributeError):
        pass
    return LineApiError(int(exc.status or 0), str(message))


@dataclass
class SentCall:
    """One call the recording fake received."""

    kind: str  # reply | push | multicast | loading
    to: tuple[str, ...]
    messages: tuple[LineMessage, ...]
    retry_key: str | None = None
    reply_token: str | None = None
    loading_seconds: int | None = None


@dataclass
class RecordingLineGateway:
    """A LineGateway for unit tests: records what would have been sent; can refuse reply tokens."""

    calls: list[SentCall] = field(default_factory=list)
    rejected_reply_tokens: set[str] = field(default_factory=set)
    reject_all_replies: bool = False
    contents: dict[str, bytes] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    _used_tokens: set[str] = field(default_factory=set)
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    rich_menu_images: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    default_rich_menu_id: str | None = None
    _rich_menu_seq: int = 0

    def reply(self, reply_token: str, messages: Sequence[LineMessage]) -> None:
        check_messages(messages)
        if self.reject_all_replies or reply_token in self.rejected_reply_tokens or reply_token in self._used_tokens:
            raise ReplyTokenRejectedError(400, "Invalid reply token")
        self._used_tokens.add(reply_token)
        self.calls.append(SentCall("reply", (), tuple(messages), reply_token=reply_token))

    def push(self, to: str, messages: Sequence[LineMessage], *, retry_key: str) -> None:
        check_messages(messages)
        self.calls.append(SentCall("push", (to,), tuple(messages), retry_key=retry_key))

    def multicast(self, to: Sequence[str], messages: Sequence[LineMessage], *, retry_key: str) -> None:
        check_messages(messages)
        check_recipients(to)
        self.calls.append(SentCall("multicast", tuple(to), tuple(messages), retry_key=retry_key))

    def show_loading(self, chat_id: str, seconds: int = 5) -> None:
        self.calls.append(SentCall("loading", (chat_id,), (), loading_seconds=seconds))

    def get_content(self, message_id: str) -> bytes:
        if message_id not in self.contents:
            raise LineApiError(404, "Not found")
        return self.contents[message_id]

    def get_profile(self, line_user_id: str) -> dict[str, Any]:
        if line_user_id not in self.profiles:
            raise LineApiError(404, "Not found")
        return self.profiles[line_user_id]

    def texts(self) -> list[str]:
        """Every text message sent, in order (what tests usually assert on)."""
        return [m["text"] for call in self.calls for m in call.messages if m.get("type") == "text"]

    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        self._rich_menu_seq += 1  # ids are never reused, even after a delete
        rich_menu_id = f"richmenu-{self._rich_menu_seq:032x}"
        self.rich_menus[rich_menu_id] = {"richMenuId": rich_menu_id, **menu}
        return rich_menu_id

    def set_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> None:
        # LINE's rules: the menu must exist, and its image can be uploaded only once.
        if rich_menu_id not in self.rich_menus:
            raise LineApiError(404, "Not found")
        if rich_menu_id in self.rich_menu_images:
            raise LineApiError(400, "An image has already been uploaded to the richmenu")
        self.rich_menu_images[rich_menu_id] = (image, content_type)

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        if rich_menu_id not in self.rich_menus:
            raise LineApiError(404, "Not found")
        if rich_menu_id not in self.rich_menu_images:
            raise LineApiError(400, "must upload richmenu image before applying it to user")
        self.default_rich_menu_id = rich_menu_id

    def get_default_rich_menu_id(self) -> str | None:
        return self.default_rich_menu_id

    def list_rich_menus(self) -> list[dict[str, Any]]:
        return [dict(menu) for menu in self.rich_menus.values()]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        if self.rich_menus.pop(rich_menu_id, None) is None:
            raise LineApiError(404, "Not found")
        self.rich_menu_images.pop(rich_menu_id, None)
        if self.default_rich_menu_id == rich_menu_id:
            self.default_rich_menu_id = None

