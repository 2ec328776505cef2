"""Webhook bodies as LINE sends them (webhook.yml), and a poster that signs them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from typing import Any

from flask.testing import FlaskClient

from bot.processing import EventProcessor

USER = "U" + "1" * 32
OTHER_USER = "U" + "2" * 32
DESTINATION = "U" + "f" * 32
_counter = itertools.count(1)


def _base(event_type: str, *, user_id: str = USER, mode: str = "active", reply: bool = True,
          event_id: str | None = None, redelivery: bool = False) -> dict[str, Any]:
    number = next(_counter)
    event: dict[str, Any] = {
        "type": event_type,
        "mode": mode,
        "timestamp": 1_775_000_000_000 + number,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or f"01TESTEVENT{number:015d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply:
        event["replyToken"] = f"replytoken{number:022d}"
    return event


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    """A text message from a citizen."""
    event = _base("message", **kwargs)
    event["message"] = {"id": str(next(_counter)), "type": "text", "text": text, "quoteToken": "q" * 20}
    return event


def follow_event(*, unblocked: bool = False, **kwargs: Any) -> dict[str, Any]:
    """A citizen adds the account as a friend (or unblocks it)."""
    event = _base("follow", **kwargs)
    event["follow"] = {"isUnblocked": unblocked}
    return event


def unfollow_event(**kwargs: Any) -> dict[str, Any]:
    """A citizen blocks the account: no reply token."""
    return _base("unfollow", reply=False, **kwargs)


def postback_event(data: str, **kwargs: Any) -> dict[str, Any]:
    """A citizen taps a postback button."""
    event = _base("postback", **kwargs)
    event["postback"] = {"data": data}
    return event


def sticker_event(**kwargs: Any) -> dict[str, Any]:
    """A sticker message."""
    event = _base("message", **kwargs)
    event["message"] = {"id": str(next(_counter)), "type": "sticker", "packageId": "446", "stickerId": "1988",
                        "stickerResourceType": "STATIC", "quoteToken": "q" * 20}
    return event


def group_text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    """A text message in a group the account was invited to."""
    event = text_event(text, **kwargs)
    event["source"] = {"type": "group", "groupId": "C" + "3" * 32, "userId": event["source"]["userId"]}
    return event


def body(*events: dict[str, Any]) -> bytes:
    """The JSON body LINE posts."""
    return json.dumps({"destination": DESTINATION, "events": list(events)}, ensure_ascii=False).encode("utf-8")


def sign(raw: bytes, secret: str) -> str:
    """X-Line-Signature for a body."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


class WebhookPoster:
    """Posts bodies to /callback signed with the channel secret, then lets tests process the inbox."""

    def __init__(self, client: FlaskClient, secret: str, processor: EventProcessor) -> None:
        self.client = client
        self.secret = secret
        self.processor = processor

    def post_raw(self, raw: bytes, *, signature: str | None = None) -> Any:
        """Post bytes as they are, signed correctly unless a signature is given."""
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Line-Signature": sign(raw, self.secret) if signature is None else signature}
        return self.client.post("/callback", data=raw, headers=headers)

    def post(self, *events: dict[str, Any]) -> Any:
        """Post a body holding these events."""
        return self.post_raw(body(*events))

    def send(self, *events: dict[str, Any]) -> None:
        """Post the events, expect 200, and process everything pending."""
        response = self.post(*events)
        assert response.status_code == 200, response.data
        self.processor.drain()
