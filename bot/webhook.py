"""POST /callback: LINE's webhook. Verify, store, acknowledge — the answering happens elsewhere."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from flask import Blueprint, current_app, request
from linebot.v3.webhooks import Event, MessageContent
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import runtime
from core.inbox import store_events
from core.metrics import WEBHOOK_DUPLICATES, WEBHOOK_EVENTS, WEBHOOK_REFUSED, WEBHOOK_SECONDS, event_type_label

log = logging.getLogger(__name__)

blueprint = Blueprint("webhook", __name__)

MAX_BODY_BYTES = 1024 * 1024
_REQUIRED_EVENT_FIELDS = {"type": str, "webhookEventId": str, "timestamp": int, "mode": str}
LATEST_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: Python's datetime ends there


class MalformedWebhookError(Exception):
    """A correctly signed body that is not a webhook payload LINE would send."""


@blueprint.post("/callback")
def callback() -> tuple[str, int]:
    """Verify the signature on the raw body, store every event in the inbox, answer 200."""
    with WEBHOOK_SECONDS.time():
        return _receive()


def _receive() -> tuple[str, int]:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return "Request body too large", 413
    body = request.get_data(cache=False)  # Flask stops reading past MAX_CONTENT_LENGTH with a 413
    if not is_valid_signature(body, request.headers.get("X-Line-Signature", ""),
                              runtime().settings.line_channel_secret):
        return "Invalid signature", 400
    try:
        events = parse_events(body)
    except MalformedWebhookError as exc:
        log.warning("malformed webhook body: %s", exc)
        return "Malformed webhook body", 400
    rt = runtime()
    if rt.store_guard.is_stuck():
        # The database hangs (see bot/store_guard.py): refuse at once, LINE redelivers later.
        WEBHOOK_REFUSED.labels(reason="database_stuck").inc()
        return "Temporarily unavailable", 503
    try:
        with rt.store_guard.storing(), rt.store_engine.begin() as connection:
            new_ids = store_events(connection, events, now=rt.clock())
    except SQLAlchemyError as exc:
        # Not acknowledged, so LINE redelivers it later (when redelivery is on): nothing is lost silently.
        log.error("webhook: could not store %d event(s): %s", len(events), type(exc).__name__)
        return "Temporarily unavailable", 503
    if new_ids and rt.worker is not None:
        rt.worker.notify()
    for event in events:
        WEBHOOK_EVENTS.labels(type=event_type_label(event["type"])).inc()
    WEBHOOK_DUPLICATES.inc(len(events) - len(new_ids))
    current_app.logger.debug("webhook: %d event(s), %d new", len(events), len(new_ids))
    return "OK", 200


def is_valid_signature(body: bytes, signature: str, channel_secret: str) -> bool:
    """X-Line-Signature is base64(HMAC-SHA256(channel secret, raw body)); compared in constant time."""
    if not signature:
        return False
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode("ascii", "replace"))


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The events of a webhook body, each checked against line-bot-sdk's models; raises MalformedWebhookError."""
    try:
        payload = _without_nul(json.loads(body, parse_constant=_refuse_constant))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhookError("not JSON") from exc
    except RecursionError as exc:  # nesting no LINE body has, deeper than Python's parser goes
        raise MalformedWebhookError("nested too deeply") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedWebhookError("no events list")
    events = payload["events"]
    for position, event in enumerate(events):
        _check_event(event, position)
    return events


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, though Python's parser takes them; PostgreSQL's json refuses them.
    raise ValueError(f"{name} is not JSON")


def _without_nul(value: Any) -> Any:
    """The parsed body with NUL characters dropped from every string; lone surrogates refused.

    JSON may spell both ("\\u0000", "\\ud800"). PostgreSQL refuses NUL in text and cannot read it in
    JSON, and no database stores half a surrogate pair: kept, either would fail the insert (a 500)
    or every later read of the event. A NUL carries no meaning in a LINE message, so it is dropped
    and the citizen is still answered; a lone surrogate is not text at all, so the body is refused.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedWebhookError("text that is not Unicode") from exc
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _check_event(event: Any, position: int) -> None:
    if not isinstance(event, dict):
        raise MalformedWebhookError(f"event {position} is not an object")
    for name, kind in _REQUIRED_EVENT_FIELDS.items():
        if not isinstance(event.get(name), kind) or isinstance(event.get(name), bool):
            raise MalformedWebhookError(f"event {position}: {name} missing or of the wrong type")
    if not event["webhookEventId"] or len(event["webhookEventId"]) > 64:
        raise MalformedWebhookError(f"event {position}: bad webhookEventId")
    if not 0 <= event["timestamp"] <= LATEST_TIMESTAMP_MS:
        raise MalformedWebhookError(f"event {position}: timestamp outside the calendar")
    message = event.get("message")
    if event["type"] == "message" and not (isinstance(message, dict) and isinstance(message.get("type"), str)):
        raise MalformedWebhookError(f"event {position}: a message event without a message type")
    if not _is_known_kind(event):
        return  # a kind LINE added after this SDK: stored and ignored, not refused
    try:
        Event.from_dict(event)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
        raise MalformedWebhookError(f"event {position} ({event['type']}): {type(exc).__name__}") from exc


def _is_known_kind(event: dict[str, Any]) -> bool:
    if Event.get_discriminator_value(event) is None:
        return False
    if event["type"] == "message":
        return MessageContent.get_discriminator_value(event["message"]) is not None
    return True
