"""The chat page's view of the default rich menu: what a person playing a citizen taps."""
from __future__ import annotations

from emulator.app import EmulatorConfig, create_app

TOKEN = "token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MENU = {"size": {"width": 2500, "height": 843}, "selected": True, "name": "test/v1", "chatBarText": "メニュー",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "postback", "data": "action=browse", "displayText": "よくある質問"}}]}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _client():
    return create_app(EmulatorConfig(channel_secret="s", channel_access_token=TOKEN)).test_client()


def test_no_menu_is_shown_until_one_is_the_default() -> None:
    client = _client()
    assert client.get("/_emulator/richmenu").get_json() is None
    assert client.get("/_emulator/richmenu/image").status_code == 404


def test_the_default_menu_and_its_image_are_shown_without_a_token() -> None:
    client = _client()
    menu_id = client.post("/v2/bot/richmenu", json=MENU, headers=AUTH).get_json()["richMenuId"]
    client.post(f"/v2/bot/richmenu/{menu_id}/content", data=PNG, headers={**AUTH, "Content-Type": "image/png"})
    client.post(f"/v2/bot/user/all/richmenu/{menu_id}", headers=AUTH)
    shown = client.get("/_emulator/richmenu").get_json()
    assert shown["richMenuId"] == menu_id and shown["areas"][0]["action"]["data"] == "action=browse"
    image = client.get(shown["image_url"])
    assert image.data == PNG and image.mimetype == "image/png"
