"""The Messaging API endpoints Madoguchi calls, as messaging-api.yml describes them.

Sending endpoints share one shape: validate the body, then — atomically — check the retry key,
deliver the messages into the recipients' conversations and remember the key. LINE treats a
request as "accepted" at that point; anything that fails afterwards (error_after faults) still
counts as sent.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from flask import Blueprint, Response, g, jsonify, request

from emulator import gate
from emulator.events import new_quote_token
from emulator.gate import error, json_body
from emulator.state import EmulatorState, current_state
from emulator.validation import (Detail, error_body, is_uuid, validate_loading,
                                 validate_messages, validate_multicast, validate_push,
                                 validate_reply)

bp = Blueprint("messaging", __name__)
gate.install(bp)

INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
# LINE returns a quote token only for messages that can later be quoted.
QUOTABLE_TYPES = ("text", "sticker", "image", "video")
PUSH_TARGET = re.compile(r"^[UCR][0-9a-f]{32}$")
USER_TARGET = re.compile(r"^U[0-9a-f]{32}$")


def _bad_request(details: list[Detail]) -> Response:
    response = jsonify(error_body(details))
    response.status_code = 400
    return response


def _object_body() -> dict[str, Any] | Response:
    body = json_body()
    if not isinstance(body, dict):
        return error(400, "The request body could not be parsed as a JSON object")
    return body


def _retry_key() -> str | None | Response:
    key = request.headers.get("X-Line-Retry-Key")
    if key is not None and not is_uuid(key):
        return error(400, "The X-Line-Retry-Key header must be a UUID in hexadecimal format")
    return key


def _deliver(state: EmulatorState, chat_ids: list[str], messages: list[dict[str, Any]],
             via: str) -> list[dict[str, Any]]:
    """Put messages into each recipient's conversation and return LINE's sentMessages."""
    # LINE accepts a send to someone who blocked the account but never shows it to them
    # (and does not bill it), so they are left out here while the request still succeeds.
    chat_ids = [c for c in chat_ids if not state.is_blocked(c)]
    state.count_deliveries(chat_ids)
    state.count_sent(via, len(chat_ids))
    sent: list[dict[str, Any]] = []
    for message in messages:
        item = {"id": state.next_message_id()}
        if message["type"] in QUOTABLE_TYPES and via in ("reply", "push"):
            item["quoteToken"] = new_quote_token()
        sent.append(item)
        if not state.record_conversations:
            continue
        for chat_id in chat_ids:
            state.add_chat_message(chat_id, "bot", {**message, "id": item["id"]}, via=via)
    if via != "reply":
        # Reply messages are free; everything else counts against the monthly quota,
        # once per recipient and request (not per message object).
        state.quota_consumption += len(chat_ids)
    return sent


def _conflict(sent_messages: list[dict[str, Any]] | None, accepted_id: str) -> Response:
    extra = {"sentMessages": sent_messages} if sent_messages else {}
    response = error(409, RETRY_KEY_ACCEPTED, **extra)
    response.headers["X-Line-Accepted-Request-Id"] = accepted_id
    return response


def _send(via: str, validate: Callable[[dict[str, Any]], list[Detail]],
          recipients: Callable[[EmulatorState, dict[str, Any]], list[str]],
          *, status: int = 200, returns_sent: bool = False) -> Response:
    """Run the shared flow of push, multicast, narrowcast and broadcast."""
    body = _object_body()
    if isinstance(body, Response):
        return body
    key = _retry_key()
    if isinstance(key, Response):
        return key
    details = validate(body)
    if details:
        return _bad_request(details)
    state = current_state()
    with state.lock:  # check-and-accept must be atomic, or two retries could both send
        accepted = state.accepted_retry(key) if key else None
        if accepted is not None:
            return _conflict(accepted.sent_messages, accepted.request_id)
        sent = _deliver(state, recipients(state, body), body["messages"], via)
        if key:
            state.accept_retry_key(key, g.request_id, sent if returns_sent else None)
    response = jsonify({"sentMessages": sent} if returns_sent else {})
    response.status_code = status
    return response


def _validate_push(body: dict[str, Any]) -> list[Detail]:
    details = validate_push(body)
    if not details and not PUSH_TARGET.match(body["to"]):
        details = [{"message": "The property, 'to', in the request body is invalid",
                    "property": "to"}]
    return details


def _validate_multicast(body: dict[str, Any]) -> list[Detail]:
    details = validate_multicast(body)
    if not details and not all(USER_TARGET.match(u) for u in body["to"]):
        details = [{"message": "The property, 'to', in the request body is invalid",
                    "property": "to"}]
    return details


@bp.post("/v2/bot/message/reply")
def reply() -> Response:
    """Send reply messages with a token from a webhook event (single use, ~1 minute)."""
    body = _object_body()
    if isinstance(body, Response):
        return body
    if "X-Line-Retry-Key" in request.headers:
        # LINE rejects a retry key on any endpoint that does not support it.
        return error(400, "The X-Line-Retry-Key header is not supported by this endpoint")
    details = validate_reply(body)
    if details:
        return _bad_request(details)
    state = current_state()
    chat_id = state.use_reply_token(body["replyToken"])
    if chat_id is None:
        return error(400, INVALID_REPLY_TOKEN)
    with state.lock:
        sent = _deliver(state, [chat_id], body["messages"], "reply")
    return jsonify({"sentMessages": sent})


@bp.post("/v2/bot/message/push")
def push() -> Response:
    """Send messages to one user, group or room at any time."""
    return _send("push", _validate_push, lambda _s, b: [b["to"]], returns_sent=True)


@bp.post("/v2/bot/message/multicast")
def multicast() -> Response:
    """Send the same messages to up to 500 users; answers an empty object."""
    return _send("multicast", _validate_multicast, lambda _s, b: list(dict.fromkeys(b["to"])))


@bp.post("/v2/bot/message/narrowcast")
def narrowcast() -> Response:
    """Send to an audience; the emulator does not evaluate filters and reaches every friend."""
    return _send("narrowcast", validate_messages, lambda s, _b: s.following_user_ids(),
                 status=202)


@bp.post("/v2/bot/message/broadcast")
def broadcast() -> Response:
    """Send to every user who has not blocked the account."""
    return _send("broadcast", validate_messages, lambda s, _b: s.following_user_ids())


@bp.get("/v2/bot/message/<message_id>/content")
def content(message_id: str) -> Response:
    """Download what a user sent (served by api-data.line.me at LINE)."""
    blob = current_state().contents.get(message_id)
    if blob is None:
        return error(404, "Not found")
    return Response(blob[0], mimetype=blob[1])


@bp.post("/v2/bot/chat/loading/start")
def loading() -> Response:
    """Show the loading animation in a one-to-one chat."""
    body = _object_body()
    if isinstance(body, Response):
        return body
    details = validate_loading(body)
    if details:
        return _bad_request(details)
    response = jsonify({})
    response.status_code = 202
    return response


@bp.get("/v2/bot/profile/<user_id>")
def profile(user_id: str) -> Response:
    """Return the profile of a user who has talked to or followed the account."""
    user = current_state().users.get(user_id)
    if user is None:
        return error(404, "Not found")
    return jsonify({"userId": user.user_id, "displayName": user.display_name, "language": "ja"})


@bp.get("/v2/bot/message/quota")
def quota() -> Response:
    """Return the monthly message limit (the emulator has none)."""
    return jsonify({"type": "none"})


@bp.get("/v2/bot/message/quota/consumption")
def quota_consumption() -> Response:
    """Return how many messages count against the quota so far."""
    return jsonify({"totalUsage": current_state().quota_consumption})


@bp.get("/v2/bot/info")
def info() -> Response:
    """Return the bot's basic information."""
    state = current_state()
    return jsonify({"userId": state.bot_user_id, "basicId": "@madoguchi",
                    "displayName": "窓口エミュレータ", "chatMode": "bot",
                    "markAsReadMode": "auto"})
