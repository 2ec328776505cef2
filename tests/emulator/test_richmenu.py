"""Rich menus go through LINE's lifecycle: create, upload image, set default, list, delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import LineApi

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def menu(**overrides: Any) -> dict[str, Any]:
    body = {
        "size": {"width": 2500, "height": 843},
        "selected": True,
        "name": "伊予市メニュー",
        "chatBarText": "メニュー",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                   "action": {"type": "postback", "data": "menu=report"}},
                  {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                   "action": {"type": "message", "text": "よくある質問"}}],
    }
    return {**body, **overrides}


def create(line: LineApi, **overrides: Any) -> str:
    response = line.post("/v2/bot/richmenu", menu(**overrides))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["richMenuId"]


def upload(line: LineApi, rich_menu_id: str, data: bytes = PNG, mimetype: str = "image/png"):
    return line.post(f"/v2/bot/richmenu/{rich_menu_id}/content", data=data,
                     content_type=mimetype)


def test_a_rich_menu_goes_from_creation_to_default_to_deletion(line: LineApi) -> None:
    rich_menu_id = create(line)
    assert line.get(f"/v2/bot/richmenu/{rich_menu_id}").get_json()["name"] == "伊予市メニュー"
    assert upload(line, rich_menu_id).status_code == 200
    assert line.get(f"/v2/bot/richmenu/{rich_menu_id}/content").data == PNG
    assert line.post(f"/v2/bot/user/all/richmenu/{rich_menu_id}").status_code == 200
    assert line.get("/v2/bot/user/all/richmenu").get_json() == {"richMenuId": rich_menu_id}
    listed = line.get("/v2/bot/richmenu/list").get_json()["richmenus"]
    assert [m["richMenuId"] for m in listed] == [rich_menu_id]
    assert line.delete(f"/v2/bot/richmenu/{rich_menu_id}").status_code == 200
    assert line.get(f"/v2/bot/richmenu/{rich_menu_id}").status_code == 404
    assert line.get("/v2/bot/user/all/richmenu").status_code == 404


def test_the_default_rich_menu_can_be_cancelled(line: LineApi) -> None:
    rich_menu_id = create(line)
    upload(line, rich_menu_id)
    line.post(f"/v2/bot/user/all/richmenu/{rich_menu_id}")
    assert line.delete("/v2/bot/user/all/richmenu").status_code == 200
    assert line.get("/v2/bot/user/all/richmenu").status_code == 404


def test_a_menu_without_an_image_cannot_become_the_default(line: LineApi) -> None:
    rich_menu_id = create(line)
    assert line.post(f"/v2/bot/user/all/richmenu/{rich_menu_id}").status_code == 400


def test_a_menu_image_can_be_uploaded_only_once(line: LineApi) -> None:
    rich_menu_id = create(line)
    upload(line, rich_menu_id)
    assert upload(line, rich_menu_id).status_code == 400


def test_a_menu_image_must_be_png_or_jpeg(line: LineApi) -> None:
    assert upload(line, create(line), b"GIF89a", "image/gif").status_code == 415


def test_the_upload_is_recorded_by_its_size(line: LineApi) -> None:
    upload(line, create(line))
    recorded = line.client.get("/_emulator/requests").get_json()[-1]
    assert recorded["body"] == {"bytes": len(PNG)}


def test_an_unknown_menu_is_not_found(line: LineApi) -> None:
    assert line.get("/v2/bot/richmenu/richmenu-0").status_code == 404
    assert line.post("/v2/bot/user/all/richmenu/richmenu-0").status_code == 404
    assert upload(line, "richmenu-0").status_code == 404
    assert line.delete("/v2/bot/richmenu/richmenu-0").status_code == 404


@pytest.mark.parametrize("overrides, prop", [
    ({"size": {"width": 2500, "height": 2500}}, "size"),
    ({"size": {"width": 3000, "height": 1686}}, "size"),
    ({"chatBarText": "あ" * 15}, "chatBarText"),
    ({"name": "あ" * 301}, "name"),
    ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 1, "height": 1},
                 "action": {"type": "postback", "data": "x"}}] * 21}, "areas"),
    ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 1, "height": 1},
                 "action": {"type": "postback", "data": "d" * 301}}]}, "areas[0].action.data"),
])
def test_a_rich_menu_beyond_line_limits_is_rejected(line: LineApi, overrides: dict[str, Any],
                                                    prop: str) -> None:
    response = line.post("/v2/bot/richmenu", menu(**overrides))
    assert response.status_code == 400
    assert prop in [d["property"] for d in response.get_json()["details"]]


def test_both_standard_rich_menu_sizes_are_accepted(line: LineApi) -> None:
    create(line, size={"width": 2500, "height": 1686})
    create(line, size={"width": 2500, "height": 843})
