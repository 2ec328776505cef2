"""What every Messaging API call passes through: auth, rate limits, faults and recording.

Order matters and follows LINE: authentication first (401), then the rate limit (429). Faults
sit in front of the handler (error_before, hang) and behind it (error_after replaces a success
with a 5xx after the request was accepted, which is what makes retry keys necessary).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from emulator.state import current_state

AUTH_MISSING = ("Authorization header required. "
                "Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'")
AUTH_FAILED = ("Authentication failed. "
               "Confirm that the access token in the authorization header is valid.")
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."

# Fault and rate-limit names of the endpoints (view function names in the blueprints).
ENDPOINT_KEYS = {
    "messaging.reply": "reply",
    "messaging.push": "push",
    "messaging.multicast": "multicast",
    "messaging.narrowcast": "narrowcast",
    "messaging.broadcast": "broadcast",
    "messaging.content": "content",
    "messaging.loading": "loading",
    "messaging.profile": "profile",
    "insight.delivery": "insight",
}


def error(status: int, message: str, **extra: Any) -> Response:
    """Return a JSON error in LINE's shape."""
    response = jsonify({"message": message, **extra})
    response.status_code = status
    return response


def endpoint_key() -> str:
    """Return the fault/rate-limit name of the endpoint handling this request."""
    endpoint = request.endpoint or ""
    if endpoint.startswith("richmenu."):
        return "richmenu"
    return ENDPOINT_KEYS.get(endpoint, "other")


def json_body() -> Any:
    """Return the parsed JSON body, or None when it is missing or not JSON."""
    return request.get_json(silent=True)


def _recorded_body() -> Any:
    mimetype = request.mimetype or ""
    if request.method == "GET" or request.method == "DELETE":
        return None
    if mimetype.startswith(("image/", "application/octet-stream", "video/", "audio/")):
        return {"bytes": len(request.get_data())}
    body = request.get_json(silent=True)
    if not current_state().record_conversations and isinstance(body, dict) and isinstance(body.get("to"), list):
        # Benchmark mode: a million recipient ids would fill memory; keep how many there were.
        return {**body, "to": len(body["to"])}
    return body


def _check_auth() -> Response | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return error(401, AUTH_MISSING)
    if header[len("Bearer "):] != current_state().channel_access_token:
        return error(401, AUTH_FAILED)
    return None


def before() -> Response | None:
    """Authenticate, apply the rate limit and the faults that act before the handler."""
    g.request_id = str(uuid.uuid4())
    denied = _check_auth()
    if denied is not None:
        return denied
    state = current_state()
    state.note_arrival()
    key = endpoint_key()
    if state.is_rate_limited(key):
        return error(429, RATE_LIMITED)
    fault = state.take_fault(key, ("error_before", "hang"))
    if fault is not None and fault.mode == "error_before":
        return error(fault.status, "Internal server error (emulated fault before accepting)")
    if fault is not None:
        state.sleep(fault.seconds)  # then carry on as normal, like a slow LINE
    return None


def after(response: Response) -> Response:
    """Apply error_after faults, add LINE's request-id header and record the call."""
    state = current_state()
    if 200 <= response.status_code < 300:
        fault = state.take_fault(endpoint_key(), ("error_after",))
        if fault is not None:
            # The request was accepted (messages recorded, retry key stored), yet the caller
            # sees a failure: the case LINE's retry-key documentation is written for.
            response = error(fault.status, "Internal server error (emulated fault after accepting)")
    request_id = getattr(g, "request_id", None) or str(uuid.uuid4())
    response.headers["X-Line-Request-Id"] = request_id
    state.record_request({
        "method": request.method,
        "path": request.path,
        "body": _recorded_body(),
        "status": response.status_code,
        "retry_key": request.headers.get("X-Line-Retry-Key"),
        "request_id": request_id,
    })
    return response


def install(blueprint: Blueprint) -> None:
    """Put the gate in front of every route of a Messaging API blueprint."""
    blueprint.before_request(before)
    blueprint.after_request(after)
