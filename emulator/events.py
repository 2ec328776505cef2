"""Webhook events as LINE builds, signs and posts them (see webhook.yml).

`parse_say` turns a `/_emulator/say` request into a `Say`; `build_event` turns a `Say` into one
event object; `webhook_body`, `encode`, `sign` and `post_webhook` do what the LINE Platform does
with it. Ids are generated the way LINE's look: ULID event ids, 32-hex reply tokens, numeric
message ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import requests

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
EVENT_KINDS = ("text", "follow", "unfollow", "postback", "location", "image", "sticker")
MESSAGE_KINDS = ("text", "location", "image", "sticker")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# LINE identifies itself with this User-Agent; some bots (and WAFs) check it.
USER_AGENT = "LineBotWebhook/2.0"


class SayError(ValueError):
    """The `/_emulator/say` request does not describe an event we can send."""


class WebhookDeliveryError(RuntimeError):
    """The bot could not be reached at its webhook URL."""


@dataclass
class Say:
    """What a citizen does, as asked of `/_emulator/say`."""

    user_id: str
    kind: str
    mode: str = "active"
    source: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None

    @property
    def chat_id(self) -> str:
        """Return the chat the event happens in: the group/room id, or the user id."""
        return self.source.get("groupId") or self.source.get("roomId") or self.user_id


def new_webhook_event_id(now_ms: int) -> str:
    """Return a ULID: 10 chars of millisecond time then 16 chars of randomness."""
    value = (now_ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_reply_token() -> str:
    """Return a reply token shaped like LINE's (32 hex characters)."""
    return secrets.token_hex(16)


def new_quote_token() -> str:
    """Return an opaque quote token."""
    return secrets.token_urlsafe(48)


def _kind_of(data: dict[str, Any]) -> str:
    kind = data.get("type") or ("text" if "text" in data else None)
    if kind not in EVENT_KINDS:
        raise SayError(f"type must be one of {list(EVENT_KINDS)}")
    return kind


def _source_of(data: dict[str, Any], user_id: str) -> dict[str, Any]:
    source = data.get("source")
    if source is None:
        return {"type": "user", "userId": user_id}
    id_key = {"group": "groupId", "room": "roomId", "user": None}.get(
        source.get("type") if isinstance(source, dict) else None, "")
    if id_key == "" or (id_key and not isinstance(source.get(id_key), str)):
        raise SayError("source must be {type: user}, {type: group, groupId} "
                       "or {type: room, roomId}")
    return {**source, "userId": user_id}


def _payload_of(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    if kind == "text":
        if not isinstance(data.get("text"), str) or not data["text"]:
            raise SayError("text must be a non-empty string")
        return {"text": data["text"]}, None
    if kind == "postback":
        return _postback_payload(data), None
    if kind == "location":
        return _location_payload(data), None
    if kind == "image":
        return _image_payload(data)
    if kind == "sticker":
        if data.get("package_id") is None or data.get("sticker_id") is None:
            raise SayError("sticker needs package_id and sticker_id")
        return {"packageId": str(data["package_id"]), "stickerId": str(data["sticker_id"])}, None
    return {}, None


def _postback_payload(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data.get("data"), str):
        raise SayError("postback needs data (a string)")
    payload: dict[str, Any] = {"data": data["data"]}
    params = data.get("params")
    if params is not None:
        # webhook.yml: postback.params maps names to strings (datetime picker, rich menu switch).
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            raise SayError("postback params must map names to strings")
        payload["params"] = params
    if isinstance(data.get("display_text"), str):
        payload["displayText"] = data["display_text"]
    return payload


def _location_payload(data: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for key in ("latitude", "longitude"):
        value = data.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SayError(f"location needs a numeric {key}")
        payload[key] = float(value)
    if not -90 <= payload["latitude"] <= 90 or not -180 <= payload["longitude"] <= 180:
        raise SayError("latitude/longitude out of range")
    for key in ("title", "address"):
        if isinstance(data.get(key), str):
            payload[key] = data[key]
    return payload


def _image_payload(data: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    try:
        content = base64.b64decode(data.get("image_base64") or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise SayError("image_base64 must be base64") from exc
    if not content:
        raise SayError("image needs image_base64")
    content_type = data.get("content_type") or "image/jpeg"
    return {"contentType": content_type}, content


def parse_say(data: Any) -> Say:
    """Check a `/_emulator/say` request and return what the citizen does."""
    if not isinstance(data, dict):
        raise SayError("body must be a JSON object")
    user_id = data.get("user_id")
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        raise SayError("user_id must look like LINE's: U followed by 32 lowercase hex digits")
    mode = data.get("mode", "active")
    if mode not in ("active", "standby"):
        raise SayError("mode must be active or standby")
    if data.get("redeliver"):
        return Say(user_id, "redeliver", mode, _source_of(data, user_id))
    kind = _kind_of(data)
    payload, content = _payload_of(kind, data)
    return Say(user_id, kind, mode, _source_of(data, user_id), payload, content)


def message_content(say: Say, message_id: str) -> dict[str, Any]:
    """Return the event's `message` object for a message event, as webhook.yml shapes it."""
    message: dict[str, Any] = {"id": message_id, "type": say.kind}
    if say.kind == "text":
        message.update(text=say.payload["text"], quoteToken=new_quote_token())
    elif say.kind == "image":
        # Content sent from the LINE app is hosted by LINE and fetched via the content API.
        message.update(contentProvider={"type": "line"}, quoteToken=new_quote_token())
    elif say.kind == "sticker":
        message.update(packageId=say.payload["packageId"], stickerId=say.payload["stickerId"],
                       stickerResourceType="STATIC", quoteToken=new_quote_token())
    elif say.kind == "location":
        message.update({k: v for k, v in say.payload.items()})
    return message


def build_event(say: Say, *, now_ms: int, reply_token: str | None,
                message_id: str | None = None, is_unblocked: bool = False) -> dict[str, Any]:
    """Return one webhook event object for what the citizen did."""
    event: dict[str, Any] = {
        "type": "message" if say.kind in MESSAGE_KINDS else say.kind,
        "mode": say.mode,
        "timestamp": now_ms,
        "source": say.source,
        "webhookEventId": new_webhook_event_id(now_ms),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    if say.kind in MESSAGE_KINDS:
        event["message"] = message_content(say, message_id or "")
    elif say.kind == "follow":
        event["follow"] = {"isUnblocked": is_unblocked}
    elif say.kind == "postback":
        event["postback"] = {k: v for k, v in say.payload.items() if k in ("data", "params")}
    return event


def redelivered(event: dict[str, Any]) -> dict[str, Any]:
    """Return the same event as LINE redelivers it: same webhookEventId, isRedelivery true."""
    return {**event, "deliveryContext": {"isRedelivery": True}}


def webhook_body(destination: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the request body LINE posts to the webhook."""
    return {"destination": destination, "events": events}


def encode(body: dict[str, Any]) -> bytes:
    """Serialise a body the way LINE sends it: compact UTF-8 JSON, Japanese unescaped."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(channel_secret: str, raw: bytes) -> str:
    """Return X-Line-Signature: base64 of HMAC-SHA256 over the raw body with the secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def post_webhook(url: str, raw: bytes, signature: str, *, timeout: float) -> int:
    """POST a signed body to the bot and return its HTTP status."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Line-Signature": signature}
    with requests.Session() as session:
        # Never route a local bot through a proxy picked up from the environment.
        session.trust_env = False
        try:
            response = session.post(url, data=raw, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise WebhookDeliveryError(f"could not deliver the webhook to {url}: {exc}") from exc
        return response.status_code
