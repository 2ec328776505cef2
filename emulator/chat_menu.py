"""The default rich menu as the chat page shows it: its areas and image, without a channel token.

Like the rest of /_emulator/*, this is the emulator's own window for a person playing a citizen;
LINE's real API for the same things (GET /v2/bot/user/all/richmenu …) needs the bot's token.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from emulator.state import current_state

bp = Blueprint("chat_menu", __name__)


@bp.get("/_emulator/richmenu")
def default_menu() -> Response:
    """The default rich menu (size, chat bar text, areas) or null when none is set."""
    state = current_state()
    with state.lock:
        menu_id = state.default_rich_menu_id
        menu = state.rich_menus.get(menu_id) if menu_id else None
    if menu is None:
        return jsonify(None)
    return jsonify({"richMenuId": menu_id, **menu, "image_url": "/_emulator/richmenu/image"})


@bp.get("/_emulator/richmenu/image")
def default_menu_image() -> Response:
    """The default rich menu's image, as the citizen's phone would show it."""
    state = current_state()
    with state.lock:
        image = state.rich_menu_images.get(state.default_rich_menu_id or "")
    if image is None:
        return Response(status=404)
    data, content_type = image
    return Response(data, mimetype=content_type, headers={"Cache-Control": "no-cache"})
