"""Request-body checks with the limits messaging-api.yml and LINE's reference document.

Each check returns a list of error details in LINE's shape, `{"message", "property"}`; the view
turns a non-empty list into `400 {"message": "The request body has N error(s)", "details": [...]}`.
Only the rules Madoguchi can trip over are checked, but those are checked the way LINE does.
"""

from __future__ import annotations

import re
from typing import Any

Detail = dict[str, str]

MESSAGE_TYPES = ("text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap",
                 "template", "flex")
ACTION_TYPES = ("postback", "message", "uri", "datetimepicker", "camera", "cameraRoll",
                "location", "richmenuswitch", "clipboard")
MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_ACTION_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_MESSAGE_ACTION_TEXT = 300
MAX_URL = 2000
MAX_FLEX_ALT_TEXT = 1500
MAX_TEMPLATE_ALT_TEXT = 400
MAX_MULTICAST_TO = 500
RICH_MENU_WIDTHS = range(800, 2501)
MAX_RICH_MENU_AREAS = 20
MAX_RICH_MENU_NAME = 300
MAX_CHAT_BAR_TEXT = 14

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def detail(prop: str, message: str) -> Detail:
    """Return one error detail in LINE's shape."""
    return {"message": message, "property": prop}


def error_body(details: list[Detail]) -> dict[str, Any]:
    """Return LINE's 400 body for a list of details."""
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


def is_uuid(value: str) -> bool:
    """Say whether a retry key is a UUID in hexadecimal form, as LINE requires."""
    return bool(_UUID.match(value))


def _join(prop: str, key: str) -> str:
    return f"{prop}.{key}" if prop else key


def _required_str(obj: dict[str, Any], key: str, prop: str, *, max_len: int | None = None,
                  allow_empty: bool = False) -> list[Detail]:
    value, where = obj.get(key), _join(prop, key)
    if value is None:
        return [detail(where, "must be specified")]
    if not isinstance(value, str):
        return [detail(where, "must be a string")]
    if not value and not allow_empty:
        return [detail(where, "may not be empty")]
    if max_len is not None and len(value) > max_len:
        # LINE counts characters; len() on a str counts code points, which matches for
        # Japanese text and only differs for astral-plane emoji.
        return [detail(where, f"Length must be between 0 and {max_len}")]
    return []


def _https_url(obj: dict[str, Any], key: str, prop: str) -> list[Detail]:
    errors = _required_str(obj, key, prop, max_len=MAX_URL)
    if not errors and not obj[key].startswith("https://"):
        errors.append(detail(_join(prop, key), "must be a valid HTTPS URL"))
    return errors


def validate_action(action: Any, prop: str, *, label_required: bool) -> list[Detail]:
    """Check one action object (quick reply button, template button, rich menu area)."""
    if not isinstance(action, dict):
        return [detail(prop, "must be specified")]
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        return [detail(f"{prop}.type", f"must be one of {list(ACTION_TYPES)}")]
    if label_required or "label" in action:
        errors = _required_str(action, "label", prop, max_len=MAX_ACTION_LABEL)
    else:
        errors = []
    if kind == "postback":
        errors += _required_str(action, "data", prop, max_len=MAX_POSTBACK_DATA, allow_empty=True)
    elif kind == "message":
        errors += _required_str(action, "text", prop, max_len=MAX_MESSAGE_ACTION_TEXT)
    elif kind == "uri":
        errors += _required_str(action, "uri", prop, max_len=1000)
    return errors


def validate_quick_reply(quick_reply: Any, prop: str) -> list[Detail]:
    """Check a quickReply object: at most 13 buttons, each a labelled action."""
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    if not isinstance(items, list):
        return [detail(f"{prop}.items", "must be specified")]
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        return [detail(f"{prop}.items", f"Size must be between 0 and {MAX_QUICK_REPLY_ITEMS}")]
    errors: list[Detail] = []
    for i, item in enumerate(items):
        item_prop = f"{prop}.items[{i}]"
        if not isinstance(item, dict) or item.get("type", "action") != "action":
            errors.append(detail(f"{item_prop}.type", "must be action"))
            continue
        # Quick reply buttons always show a label, so LINE requires one even for camera etc.
        errors += validate_action(item.get("action"), f"{item_prop}.action", label_required=True)
    return errors


def _template_actions(template: dict[str, Any], prop: str) -> list[Detail]:
    errors: list[Detail] = []
    for i, action in enumerate(template.get("actions") or []):
        errors += validate_action(action, f"{prop}.actions[{i}]", label_required=False)
    for c, column in enumerate(template.get("columns") or []):
        for i, action in enumerate(column.get("actions") or []):
            errors += validate_action(action, f"{prop}.columns[{c}].actions[{i}]",
                                      label_required=False)
    return errors


def _by_type(message: dict[str, Any], prop: str) -> list[Detail]:
    kind = message["type"]
    if kind in ("text", "textV2"):
        return _required_str(message, "text", prop, max_len=MAX_TEXT)
    if kind == "sticker":
        return _required_str(message, "packageId", prop) + _required_str(message, "stickerId", prop)
    if kind in ("image", "video"):
        return (_https_url(message, "originalContentUrl", prop)
                + _https_url(message, "previewImageUrl", prop))
    if kind == "audio":
        return _https_url(message, "originalContentUrl", prop)
    if kind == "location":
        errors = _required_str(message, "title", prop, max_len=100)
        errors += _required_str(message, "address", prop, max_len=100)
        for key in ("latitude", "longitude"):
            if not isinstance(message.get(key), (int, float)):
                errors.append(detail(f"{prop}.{key}", "must be specified"))
        return errors
    if kind == "imagemap":
        return _https_url(message, "baseUrl", prop) + _required_str(message, "altText", prop,
                                                                     max_len=MAX_TEMPLATE_ALT_TEXT)
    if kind == "template":
        errors = _required_str(message, "altText", prop, max_len=MAX_TEMPLATE_ALT_TEXT)
        template = message.get("template")
        if not isinstance(template, dict):
            return errors + [detail(f"{prop}.template", "must be specified")]
        return errors + _template_actions(template, f"{prop}.template")
    errors = _required_str(message, "altText", prop, max_len=MAX_FLEX_ALT_TEXT)
    if not isinstance(message.get("contents"), dict):
        errors.append(detail(f"{prop}.contents", "must be specified"))
    return errors


def validate_message(message: Any, prop: str) -> list[Detail]:
    """Check one message object."""
    if not isinstance(message, dict):
        return [detail(prop, "must be an object")]
    if message.get("type") not in MESSAGE_TYPES:
        return [detail(f"{prop}.type", f"must be one of {list(MESSAGE_TYPES)}")]
    errors = _by_type(message, prop)
    if "quickReply" in message:
        errors += validate_quick_reply(message["quickReply"], f"{prop}.quickReply")
    return errors


def validate_messages(body: dict[str, Any]) -> list[Detail]:
    """Check the `messages` array: 1 to 5 valid message objects."""
    messages = body.get("messages")
    if messages is None:
        return [detail("messages", "must be specified")]
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        return [detail("messages", f"Size must be between 1 and {MAX_MESSAGES}")]
    errors: list[Detail] = []
    for i, message in enumerate(messages):
        errors += validate_message(message, f"messages[{i}]")
    return errors


def validate_reply(body: dict[str, Any]) -> list[Detail]:
    """Check a reply request body (the token itself is checked against state later)."""
    return _required_str(body, "replyToken", "") + validate_messages(body)


def validate_push(body: dict[str, Any]) -> list[Detail]:
    """Check a push request body."""
    return _required_str(body, "to", "") + validate_messages(body)


def validate_multicast(body: dict[str, Any]) -> list[Detail]:
    """Check a multicast request body: 1 to 500 user ids, at most 5 messages."""
    to = body.get("to")
    errors: list[Detail] = []
    if to is None:
        errors.append(detail("to", "must be specified"))
    elif not isinstance(to, list) or not 1 <= len(to) <= MAX_MULTICAST_TO:
        errors.append(detail("to", f"Size must be between 1 and {MAX_MULTICAST_TO}"))
    elif not all(isinstance(u, str) and u for u in to):
        errors.append(detail("to", "must be an array of user IDs"))
    return errors + validate_messages(body)


def validate_loading(body: dict[str, Any]) -> list[Detail]:
    """Check a loading-animation request: a chat id and 5..60 seconds in steps of 5."""
    errors = _required_str(body, "chatId", "")
    seconds = body.get("loadingSeconds", 20)
    if not isinstance(seconds, int) or isinstance(seconds, bool) \
            or not 5 <= seconds <= 60 or seconds % 5:
        errors.append(detail("loadingSeconds", "must be a multiple of 5 between 5 and 60"))
    return errors


def validate_rich_menu(body: dict[str, Any]) -> list[Detail]:
    """Check a rich menu object: size, name, chat bar text and up to 20 areas."""
    errors: list[Detail] = []
    size = body.get("size")
    if not isinstance(size, dict):
        errors.append(detail("size", "must be specified"))
    elif size.get("width") not in RICH_MENU_WIDTHS or not isinstance(size.get("height"), int) \
            or not 250 <= size["height"] or size["width"] / size["height"] < 1.45:
        # LINE: width 800..2500, height at least 250, aspect ratio (width/height) at least 1.45.
        errors.append(detail("size", "must be between 800x250 and 2500x1686 with ratio >= 1.45"))
    if not isinstance(body.get("selected"), bool):
        errors.append(detail("selected", "must be specified"))
    errors += _required_str(body, "name", "", max_len=MAX_RICH_MENU_NAME)
    errors += _required_str(body, "chatBarText", "", max_len=MAX_CHAT_BAR_TEXT)
    areas = body.get("areas")
    if not isinstance(areas, list) or len(areas) > MAX_RICH_MENU_AREAS:
        errors.append(detail("areas", f"Size must be between 0 and {MAX_RICH_MENU_AREAS}"))
        return errors
    for i, area in enumerate(areas):
        if not isinstance(area, dict) or not isinstance(area.get("bounds"), dict):
            errors.append(detail(f"areas[{i}].bounds", "must be specified"))
            continue
        errors += validate_action(area.get("action"), f"areas[{i}].action", label_required=False)
    return errors
