"""The `/_emulator/*` control API: inspect, configure, inject faults, and play a citizen.

Nothing here exists at LINE. Tests, benchmarks and the chat page use it to see what the bot
sent (`requests`, `messages`), to make the platform misbehave (`faults`, `rate_limits`) and to
send webhook events the way LINE would (`say`, `webhook_raw`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator.events import (MESSAGE_KINDS, Say, SayError, WebhookDeliveryError, build_event,
                             encode, new_reply_token, parse_say, post_webhook, redelivered,
                             sign, webhook_body)
from emulator.state import DEFAULT_RATE_LIMITS, EmulatorState, current_state

bp = Blueprint("control", __name__, url_prefix="/_emulator")

FAULT_ENDPOINTS = ("reply", "push", "multicast", "broadcast", "narrowcast", "content", "loading",
                   "profile", "richmenu", "insight", "other", "*")
FAULT_MODES = ("error_before", "error_after", "hang")
CONFIG_NUMBERS = {"reply_token_ttl_seconds": "reply_token_ttl",
                  "retry_window_seconds": "retry_window",
                  "webhook_timeout_seconds": "webhook_timeout"}


def _fail(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"message": message, **extra})
    response.status_code = status
    return response


def _object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _since() -> int:
    return request.args.get("since", default=0, type=int)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@bp.get("/requests")
def list_requests() -> Response:
    """List recorded Messaging API calls; `?path=` filters, `?since=SEQ` polls."""
    return jsonify(current_state().list_requests(path=request.args.get("path"), since=_since()))


@bp.post("/reset")
def reset() -> Response:
    """Forget requests, tokens, faults, rate limits, users, messages and rich menus."""
    current_state().reset()
    return jsonify({"reset": True})


def _config_view(state: EmulatorState) -> dict[str, Any]:
    return {"webhook_url": state.webhook_url, "bot_user_id": state.bot_user_id,
            "public_base_url": state.public_base_url, "record_conversations": state.record_conversations,
            "accept_any_reply_token": state.accept_any_reply_token,
            **{name: getattr(state, attr) for name, attr in CONFIG_NUMBERS.items()}}


@bp.get("/config")
def get_config() -> Response:
    """Show the current configuration."""
    return jsonify(_config_view(current_state()))


@bp.post("/config")
def set_config() -> Response:
    """Set `webhook_url` and the reply-token, retry-key and webhook timeouts (seconds)."""
    body, state = _object(), current_state()
    if "webhook_url" in body:
        url = body["webhook_url"]
        is_http = isinstance(url, str) and url.startswith(("http://", "https://"))
        if url is not None and not is_http:
            return _fail(400, "webhook_url must be an http(s) URL or null")
        state.webhook_url = url
    for flag in ("record_conversations", "accept_any_reply_token"):
        if flag in body:
            if not isinstance(body[flag], bool):
                return _fail(400, f"{flag} must be true or false")
            setattr(state, flag, body[flag])
    for name, attr in CONFIG_NUMBERS.items():
        if name in body:
            if not _is_number(body[name]) or body[name] < 0:
                return _fail(400, f"{name} must be a number >= 0")
            setattr(state, attr, float(body[name]))
    return jsonify(_config_view(state))


@bp.get("/messages")
def list_messages() -> Response:
    """Return one conversation as the citizen sees it; `?since=SEQ` for polling."""
    user_id = request.args.get("user_id")
    if not user_id:
        return _fail(400, "user_id is required")
    return jsonify(current_state().list_chat_messages(user_id, since=_since()))


@bp.get("/users")
def list_users() -> Response:
    """List the users the platform knows."""
    state = current_state()
    with state.lock:
        return jsonify([{"userId": u.user_id, "displayName": u.display_name,
                         "isFollowing": u.is_following} for u in state.users.values()])


@bp.get("/content/<message_id>")
def user_content(message_id: str) -> Response:
    """Serve a user's image to the chat page (no token needed, unlike the real API)."""
    blob = current_state().contents.get(message_id)
    if blob is None:
        return _fail(404, "Not found")
    return Response(blob[0], mimetype=blob[1])


def _shown(said: Say, message_id: str | None) -> dict[str, Any]:
    """Return what the citizen sees of their own action in the chat."""
    if said.kind == "image":
        return {"type": "image", "id": message_id, "contentUrl": f"/_emulator/content/{message_id}"}
    return {"type": said.kind, "id": message_id, **said.payload}


def _happen(state: EmulatorState, said: Say, display_name: str | None) -> dict[str, Any]:
    """Update the platform for what the citizen did and return the webhook event."""
    now_ms = int(state.clock() * 1000)
    with state.lock:
        user = state.touch_user(said.user_id, display_name)
        is_unblocked = said.kind == "follow" and user.has_unfollowed
        if said.kind in ("follow", "unfollow"):
            user.is_following = said.kind == "follow"
            user.has_unfollowed = user.has_unfollowed or said.kind == "unfollow"
        # Blocking the account gives the bot nothing to reply to: no token for unfollow.
        token = None if said.kind == "unfollow" else new_reply_token()
        if token is not None:
            state.issue_reply_token(token, said.chat_id)
        message_id = state.next_message_id() if said.kind in MESSAGE_KINDS else None
        if said.content is not None and message_id is not None:
            state.contents[message_id] = (said.content, said.payload["contentType"])
        state.add_chat_message(said.chat_id, "user", _shown(said, message_id), via=said.kind)
        event = build_event(said, now_ms=now_ms, reply_token=token, message_id=message_id,
                            is_unblocked=is_unblocked)
        state.last_events[said.chat_id] = event
    return event


def _no_webhook() -> Response:
    return _fail(409, 'webhook_url is not set; POST /_emulator/config {"webhook_url": ...} first')


def _post(state: EmulatorState, raw: bytes, signature: str, **extra: Any) -> int | Response:
    """Post to the bot; return its status, or a 502 answer when it cannot be reached."""
    if not state.webhook_url:
        return _no_webhook()
    try:
        return post_webhook(state.webhook_url, raw, signature, timeout=state.webhook_timeout)
    except WebhookDeliveryError as exc:
        return _fail(502, f"The bot is unreachable: {exc}", **extra)


@bp.post("/say")
def say() -> Response:
    """Act as a citizen: build, sign and post one webhook event to the bot."""
    data = _object()
    try:
        said = parse_say(data)
    except SayError as exc:
        return _fail(400, str(exc))
    state = current_state()
    if not state.webhook_url:
        return _no_webhook()
    if said.kind == "redeliver":
        previous = state.last_events.get(said.chat_id)
        if previous is None:
            return _fail(404, "nothing to redeliver for this chat yet")
        event = redelivered(previous)
    else:
        event = _happen(state, said, data.get("display_name"))
    raw = encode(webhook_body(state.bot_user_id, [event]))
    status = _post(state, raw, sign(state.channel_secret, raw), event=event)
    if isinstance(status, Response):
        return status
    return jsonify({"status": status, "event": event, "reply_token": event.get("replyToken")})


@bp.post("/webhook_raw")
def webhook_raw() -> Response:
    """Post an arbitrary body to the bot, correctly signed unless `signature` is given."""
    data = _object()
    body = data.get("body")
    if isinstance(body, (dict, list)):
        raw = encode(body)  # type: ignore[arg-type]
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        return _fail(400, "body must be a string (or a JSON object)")
    state = current_state()
    signature = data.get("signature")
    if not isinstance(signature, str):
        signature = sign(state.channel_secret, raw)
    status = _post(state, raw, signature)
    if isinstance(status, Response):
        return status
    return jsonify({"status": status, "signature": signature})


@bp.get("/faults")
def list_faults() -> Response:
    """List the faults still switched on."""
    state = current_state()
    with state.lock:
        return jsonify([f.as_dict() for f in state.faults])


def _fault_error(body: dict[str, Any]) -> str | None:
    if body.get("endpoint") not in FAULT_ENDPOINTS:
        return f"endpoint must be one of {list(FAULT_ENDPOINTS)}"
    if body.get("mode") not in FAULT_MODES:
        return f"mode must be one of {list(FAULT_MODES)}"
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count == 0 or count < -1:
        return "count must be a positive integer, or -1 for until cleared"
    status = body.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        return "status must be an HTTP error status (400-599)"
    if not _is_number(body.get("seconds", 5)) or body.get("seconds", 5) < 0:
        return "seconds must be a number >= 0"
    if not _is_number(body.get("probability", 1)) or not 0 < body.get("probability", 1) <= 1:
        return "probability must be a number in (0, 1]"
    return None


@bp.post("/faults")
def add_fault() -> Response:
    """Switch on a fault: error_before, error_after or hang, for `count` calls (-1: forever)."""
    body = _object()
    problem = _fault_error(body)
    if problem:
        return _fail(400, problem)
    fault = current_state().add_fault(body["endpoint"], body["mode"], count=body.get("count", 1),
                                      status=body.get("status", 500),
                                      seconds=float(body.get("seconds", 5)),
                                      probability=float(body.get("probability", 1)))
    response = jsonify(fault.as_dict())
    response.status_code = 201
    return response


@bp.delete("/faults")
def clear_faults() -> Response:
    """Switch every fault off."""
    state = current_state()
    with state.lock:
        cleared, state.faults = len(state.faults), []
    return jsonify({"cleared": cleared})


def _rate_view(state: EmulatorState) -> dict[str, Any]:
    return {"enabled": state.rate_limits_enabled, "limits": dict(state.rate_limits)}


@bp.get("/rate_limits")
def get_rate_limits() -> Response:
    """Show whether rate limits are on and the per-endpoint limits (requests per second)."""
    return jsonify(_rate_view(current_state()))


@bp.post("/rate_limits")
def set_rate_limits() -> Response:
    """Switch rate limits on or off and change per-endpoint limits (requests per second)."""
    body, state = _object(), current_state()
    limits = body.get("limits", {})
    if not isinstance(limits, dict) or not all(
            k in DEFAULT_RATE_LIMITS and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in limits.items()):
        return _fail(400, f"limits must map {list(DEFAULT_RATE_LIMITS)} to integers >= 0")
    with state.lock:
        state.rate_limits_enabled = bool(body.get("enabled", True))
        state.rate_limits.update(limits)
        state.rate_windows.clear()
    return jsonify(_rate_view(state))


@bp.get("/recipients")
def recipients() -> Response:
    """Count what was delivered: recipients reached, deliveries, duplicates (more than one each), calls."""
    return jsonify(current_state().delivery_summary())


@bp.post("/followers")
def add_followers() -> Response:
    """Make `count` followers with ids U{start:032x}… (for broadcasts to a big city)."""
    body = _object()
    count, start = body.get("count"), body.get("start", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (count, start)):
        return _fail(400, "count and start must be integers >= 0")
    return jsonify({"users": current_state().add_followers(count, start=start)})
