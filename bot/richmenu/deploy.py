"""Put a rich menu on LINE: create it, upload its image, make it the default, and remove its older versions.

LINE's rich menus cannot be edited: a changed menu is a new menu. So every deploy creates one, and
afterwards deletes the menus of the same definition that came before (their LINE names share the
prefix `<name>/`). Deploying the same file twice leaves one menu, as deploying it once does.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.richmenu.definition import MenuDefinition
from core.config import Settings
from core.line_gateway import LineApiError, LineGateway, SdkLineGateway

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


class RichMenuDeployError(Exception):
    """The menu could not be put on LINE, or there is no deployed menu of that name to switch to."""


@dataclass(frozen=True)
class DeployedMenu:
    """A menu that exists at LINE."""

    rich_menu_id: str
    line_name: str
    chat_bar_text: str
    is_default: bool


def deploy(line: LineGateway, definition: MenuDefinition, image_bytes: bytes, *, make_default: bool = True) -> str:
    """Create the menu with its image, make it the default if asked, delete its older versions; returns its id."""
    content_type = image_content_type(image_bytes)
    old = [menu["richMenuId"] for menu in line.list_rich_menus() if _is_version_of(menu, definition.name)]
    default_id = line.get_default_rich_menu_id()
    rich_menu_id = line.create_rich_menu(definition.to_line())
    try:
        line.set_rich_menu_image(rich_menu_id, image_bytes, content_type)
        # Citizens who see an older version now (as the default) go straight to the new one;
        # deleting the old default first would leave them with no menu for a moment.
        if make_default or default_id in old:
            line.set_default_rich_menu(rich_menu_id)
    except LineApiError:
        # A menu without its image can never be shown; do not leave it behind.
        _delete_quietly(line, rich_menu_id)
        raise
    for old_id in old:
        _delete_quietly(line, old_id)
    log.info("rich menu %s deployed as %s (default: %s)", definition.line_name, rich_menu_id,
             make_default or default_id in old)
    return rich_menu_id


def swap(line: LineGateway, name: str) -> str:
    """Make the deployed menu of definition `name` (e.g. madoguchi-maintenance) the default; returns its id."""
    candidates = [menu for menu in line.list_rich_menus() if _is_version_of(menu, name)]
    if not candidates:
        raise RichMenuDeployError(f"no rich menu named {name!r} is deployed; deploy it first "
                                  "(madoguchi richmenu deploy --menu …)")
    newest = max(candidates, key=_version)
    line.set_default_rich_menu(newest["richMenuId"])
    log.info("default rich menu is now %s (%s)", newest.get("name"), newest["richMenuId"])
    return str(newest["richMenuId"])


def list_deployed(line: LineGateway) -> list[DeployedMenu]:
    """Every menu at LINE, the default marked, sorted by name."""
    default_id = line.get_default_rich_menu_id()
    menus = [DeployedMenu(rich_menu_id=str(menu["richMenuId"]), line_name=str(menu.get("name", "")),
                          chat_bar_text=str(menu.get("chatBarText", "")), is_default=menu["richMenuId"] == default_id)
             for menu in line.list_rich_menus()]
    return sorted(menus, key=lambda menu: (menu.line_name, menu.rich_menu_id))


def gateway_from_settings(settings: Settings) -> LineGateway:
    """The SDK gateway for the configured channel and hosts (the emulator's URL in the demo and tests)."""
    return SdkLineGateway(access_token=settings.line_channel_access_token, api_base=settings.line_api_base,
                          data_api_base=settings.line_data_api_base)


def image_content_type(image_bytes: bytes) -> str:
    """image/png or image/jpeg, judged by the bytes themselves (LINE takes nothing else)."""
    if image_bytes.startswith(PNG_SIGNATURE):
        return "image/png"
    if image_bytes.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    raise RichMenuDeployError("the rich menu image must be a PNG or a JPEG")


def _is_version_of(menu: dict[str, Any], name: str) -> bool:
    # The slash matters: "madoguchi-main" must not claim "madoguchi-maintenance/v1".
    return str(menu.get("name", "")).startswith(f"{name}/")


def _version(menu: dict[str, Any]) -> int:
    suffix = str(menu.get("name", "")).rsplit("/v", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


def _delete_quietly(line: LineGateway, rich_menu_id: str) -> None:
    try:
        line.delete_rich_menu(rich_menu_id)
    except LineApiError as error:
        # Someone (or an earlier run) deleted it already; anything else is worth a look, not a failure.
        log.warning("could not delete rich menu %s: %s", rich_menu_id, error)
