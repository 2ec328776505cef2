"""Rich menu endpoints: create, upload image, set/get/cancel the default, list, get, delete.

LINE's order is strict and the emulator keeps it: a menu needs its image before it can become
the default, and a menu's image can be uploaded only once.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, jsonify, request

from emulator import gate
from emulator.gate import error, json_body
from emulator.state import current_state
from emulator.validation import error_body, validate_rich_menu

bp = Blueprint("richmenu", __name__)
gate.install(bp)

IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE_BYTES = 1024 * 1024  # LINE: rich menu images are at most 1 MB


def _not_found() -> Response:
    return error(404, "Not found")


@bp.post("/v2/bot/richmenu")
def create() -> Response:
    """Create a rich menu and return its id."""
    body = json_body()
    if not isinstance(body, dict):
        return error(400, "The request body could not be parsed as a JSON object")
    details = validate_rich_menu(body)
    if details:
        response = jsonify(error_body(details))
        response.status_code = 400
        return response
    rich_menu_id = "richmenu-" + secrets.token_hex(16)
    state = current_state()
    with state.lock:
        state.rich_menus[rich_menu_id] = {"richMenuId": rich_menu_id, **body}
    return jsonify({"richMenuId": rich_menu_id})


@bp.post("/v2/bot/richmenu/<rich_menu_id>/content")
def upload_image(rich_menu_id: str) -> Response:
    """Attach the menu's image (api-data.line.me at LINE); PNG or JPEG, once only."""
    state = current_state()
    if rich_menu_id not in state.rich_menus:
        return _not_found()
    if request.mimetype not in IMAGE_TYPES:
        return error(415, "Unsupported media type; use image/png or image/jpeg")
    data = request.get_data()
    if not data or len(data) > MAX_IMAGE_BYTES:
        return error(400, "The image must be between 1 byte and 1 MB")
    with state.lock:
        if rich_menu_id in state.rich_menu_images:
            return error(400, "An image has already been uploaded to the richmenu")
        state.rich_menu_images[rich_menu_id] = (data, request.mimetype)
    return jsonify({})


@bp.get("/v2/bot/richmenu/<rich_menu_id>/content")
def download_image(rich_menu_id: str) -> Response:
    """Download the menu's image."""
    blob = current_state().rich_menu_images.get(rich_menu_id)
    if blob is None:
        return _not_found()
    return Response(blob[0], mimetype=blob[1])


@bp.post("/v2/bot/user/all/richmenu/<rich_menu_id>")
def set_default(rich_menu_id: str) -> Response:
    """Make a menu the default for every user."""
    state = current_state()
    with state.lock:
        if rich_menu_id not in state.rich_menus:
            return _not_found()
        if rich_menu_id not in state.rich_menu_images:
            return error(400, "must upload richmenu image before applying it to user")
        state.default_rich_menu_id = rich_menu_id
    return jsonify({})


@bp.get("/v2/bot/user/all/richmenu")
def get_default() -> Response:
    """Return the default menu's id, or 404 when none is set."""
    rich_menu_id = current_state().default_rich_menu_id
    if rich_menu_id is None:
        return error(404, "no default richmenu")
    return jsonify({"richMenuId": rich_menu_id})


@bp.delete("/v2/bot/user/all/richmenu")
def cancel_default() -> Response:
    """Stop showing a default menu."""
    current_state().default_rich_menu_id = None
    return jsonify({})


@bp.get("/v2/bot/richmenu/list")
def list_menus() -> Response:
    """List every menu created through the API."""
    state = current_state()
    with state.lock:
        return jsonify({"richmenus": list(state.rich_menus.values())})


@bp.get("/v2/bot/richmenu/<rich_menu_id>")
def get_menu(rich_menu_id: str) -> Response:
    """Return one menu."""
    menu = current_state().rich_menus.get(rich_menu_id)
    return jsonify(menu) if menu is not None else _not_found()


@bp.delete("/v2/bot/richmenu/<rich_menu_id>")
def delete_menu(rich_menu_id: str) -> Response:
    """Delete a menu (and unset it as the default)."""
    state = current_state()
    with state.lock:
        if state.rich_menus.pop(rich_menu_id, None) is None:
            return _not_found()
        state.rich_menu_images.pop(rich_menu_id, None)
        if state.default_rich_menu_id == rich_menu_id:
            state.default_rich_menu_id = None
    return jsonify({})
