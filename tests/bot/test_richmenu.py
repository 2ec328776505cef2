"""The rich menu: definition files and their checks, the image we draw, and deployment to the emulator over HTTP."""
from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from bot.cli import main
from bot.richmenu import RICH_MENU_ACTIONS, RichMenuDefinitionError, load_menu
from bot.richmenu.definition import MenuDefinition, contrast_ratio, parse_definition
from bot.richmenu.deploy import RichMenuDeployError, deploy, list_deployed, swap
from bot.richmenu.render import MAX_IMAGE_BYTES, RichMenuImageError, find_font, render
from core.line_gateway import LineApiError, RecordingLineGateway, SdkLineGateway
from emulator.app import EmulatorConfig, create_app as create_emulator
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, ServerThread
from tests.webhook_events import postback_event


def _raw(menu: str = "main") -> dict[str, Any]:
    return json.loads(resources.files("bot.richmenu").joinpath(f"{menu}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def main_menu() -> MenuDefinition:
    return load_menu("main")


@pytest.fixture(scope="module")
def maintenance_menu() -> MenuDefinition:
    return load_menu("maintenance")


@pytest.fixture(scope="module")
def main_png(main_menu: MenuDefinition) -> bytes:
    return render(main_menu)


@pytest.fixture(scope="module")
def maintenance_png(maintenance_menu: MenuDefinition) -> bytes:
    return render(maintenance_menu)


@pytest.fixture
def emulator() -> Iterator[ServerThread]:
    """The LINE emulator on a free port (rich menus need no webhook)."""
    server = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                         channel_access_token=ACCESS_TOKEN)))
    yield server
    server.stop()


@pytest.fixture
def gateway(emulator: ServerThread) -> SdkLineGateway:
    return SdkLineGateway(access_token=ACCESS_TOKEN, api_base=emulator.url, data_api_base=emulator.url)


def _recorded(emulator: ServerThread, path: str | None = None) -> list[dict[str, Any]]:
    params = {"path": path} if path else {}
    return requests.get(f"{emulator.url}/_emulator/requests", params=params, timeout=5).json()


def _default_id(emulator: ServerThread) -> str | None:
    response = requests.get(f"{emulator.url}/v2/bot/user/all/richmenu",
                            headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}, timeout=5)
    return response.json()["richMenuId"] if response.status_code == 200 else None


# -- the definition files ------------------------------------------------------------------------


def test_the_citizen_menu_offers_the_six_areas_in_two_rows_of_three(main_menu: MenuDefinition) -> None:
    assert (main_menu.width, main_menu.height) == (2500, 1686)
    assert [(area.label, area.data) for area in main_menu.areas] == [
        ("よくある質問", "action=browse"), ("通報する", "action=report"), ("問い合わせ", "action=inquiry"),
        ("受信設定", "action=prefs"), ("緊急情報", "action=emergency"), ("イベント・お知らせ", "action=news")]
    assert sorted({area.bounds.y for area in main_menu.areas}) == [0, 843]
    assert sorted({area.bounds.x for area in main_menu.areas}) == [0, 833, 1667]
    assert len({area.color for area in main_menu.areas}) == 6


def test_the_tiles_cover_the_whole_image_so_every_tap_lands_somewhere(main_menu: MenuDefinition) -> None:
    assert sum(a.bounds.width * a.bounds.height for a in main_menu.areas) == main_menu.width * main_menu.height


def test_the_maintenance_menu_has_one_area_that_explains_itself(maintenance_menu: MenuDefinition) -> None:
    [area] = maintenance_menu.areas
    assert area.data == "action=maintenance"
    assert "メンテナンス" in area.label


def test_each_shipped_menu_is_versioned_and_named_for_line(main_menu, maintenance_menu) -> None:
    for menu in (main_menu, maintenance_menu):
        line_object = menu.to_line()
        assert line_object["name"] == f"{menu.name}/v{menu.version}"
        assert 1 <= len(line_object["chatBarText"]) <= 14
        assert all(area["action"]["type"] == "postback" and area["action"]["label"] for area in line_object["areas"])
    assert main_menu.chat_bar_text == "メニュー"


def test_the_actions_a_menu_may_send_are_one_published_set(main_menu, maintenance_menu) -> None:
    assert isinstance(RICH_MENU_ACTIONS, frozenset)
    assert RICH_MENU_ACTIONS == {"ask", "browse", "report", "inquiry", "prefs", "emergency", "news", "maintenance"}
    sent = {area.data.split("=", 1)[1] for menu in (main_menu, maintenance_menu) for area in menu.areas}
    assert sent <= RICH_MENU_ACTIONS


def test_every_label_is_readable_against_its_tile(main_menu, maintenance_menu) -> None:
    for area in (*main_menu.areas, *maintenance_menu.areas):
        assert contrast_ratio(area.color, area.text_color) >= 4.5, area.label


def _area(index: int = 0, **changes: Any) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["areas"][index].update(changes)
    return change


def _action(**changes: Any) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["areas"][0]["action"].update(changes)
    return change


def _top(**changes: Any) -> Any:
    return lambda raw: raw.update(changes)


def _drop(key: str) -> Any:
    return lambda raw: raw.pop(key)


def _many_areas(raw: dict[str, Any]) -> None:
    raw["areas"] = [copy.deepcopy(raw["areas"][0]) for _ in range(21)]
    for i, area in enumerate(raw["areas"]):
        area["bounds"] = {"x": i * 100, "y": 0, "width": 100, "height": 100}


BAD_DEFINITIONS = [
    ("an unknown action", _action(data="action=delete_all"), "unknown action 'delete_all'"),
    ("postback data over 300 characters", _action(data="action=browse&c=" + "税" * 300), "at most 300"),
    ("postback data without an action", _action(data="c=税"), "has no action"),
    ("an action given twice", _action(data="action=browse&action=report"), "more than once"),
    ("postback data that is not key=value", _action(data="browse"), "key=value"),
    ("an action that is not a postback", _action(type="uri"), 'must be "postback"'),
    ("a display text over 300 characters", _action(displayText="あ" * 301), "at most 300"),
    ("overlapping areas", _area(1, bounds={"x": 800, "y": 0, "width": 834, "height": 843}), "overlap"),
    ("an area outside the image", _area(2, bounds={"x": 1667, "y": 0, "width": 900, "height": 843}),
     "do not lie inside the 2500x1686 image"),
    ("a negative position", _area(0, bounds={"x": -1, "y": 0, "width": 10, "height": 10}), "do not lie inside"),
    ("more than 20 areas", _many_areas, "1 to 20 areas"),
    ("no areas", _top(areas=[]), "1 to 20 areas"),
    ("a name over 300 characters", _top(name="m" * 300), "name must be at most"),
    ("a name with a slash", _top(name="city/main"), "may hold only letters"),
    ("a chat bar text over 14 characters", _top(chatBarText="メニューを開いてください。ここです"), "at most 14"),
    ("an empty chat bar text", _top(chatBarText=" "), "chatBarText may not be empty"),
    ("no version", _drop("version"), "version must be a whole number"),
    ("a version written as text", _top(version="2"), "version must be a whole number"),
    ("a size LINE refuses", _top(size={"width": 2500, "height": 2500}), "not one LINE accepts"),
    ("white text on yellow", _area(0, color="#FFD700"), "contrast"),
    ("a colour by name", _area(0, color="blue"), "#RRGGBB"),
    ("a label over 20 characters", _area(0, label="よくある質問" * 4), "at most 20"),
    ("a label on two lines", _area(0, label="よくある\n質問"), "imageLabel"),
    ("a misspelt field", _area(0, colour="#000000"), "colour: unknown field"),
    ("a missing label", _area(0, label=None), "label is missing"),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in BAD_DEFINITIONS],
                         ids=[name for name, _, _ in BAD_DEFINITIONS])
def test_a_bad_definition_is_refused_with_a_clear_error(change: Any, expected: str) -> None:
    raw = _raw()
    change(raw)
    with pytest.raises(RichMenuDefinitionError) as caught:
        parse_definition(json.dumps(raw), source="bad.json")
    assert any(expected in error for error in caught.value.errors), caught.value.errors
    assert str(caught.value).startswith("bad.json: ")


def test_every_problem_in_a_definition_is_reported_at_once() -> None:
    raw = _raw()
    raw["chatBarText"] = "あ" * 15
    raw["areas"][0]["action"]["data"] = "action=nope"
    raw["areas"][5]["color"] = "#FFFFFF"
    with pytest.raises(RichMenuDefinitionError) as caught:
        parse_definition(json.dumps(raw))
    assert len(caught.value.errors) == 3


def test_a_file_that_is_not_json_is_refused_plainly() -> None:
    with pytest.raises(RichMenuDefinitionError, match="not valid JSON"):
        parse_definition("{areas: [}")


def test_a_definition_can_come_from_any_file(tmp_path: Path) -> None:
    raw = _raw()
    raw["name"], raw["version"] = "city-spring", 7
    path = tmp_path / "spring.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    assert load_menu(str(path)).line_name == "city-spring/v7"


def test_a_missing_file_names_the_menus_there_are(tmp_path: Path) -> None:
    with pytest.raises(RichMenuDefinitionError, match="main, maintenance"):
        load_menu(str(tmp_path / "nothing.json"))


# -- the image -----------------------------------------------------------------------------------


def test_the_image_is_a_png_of_the_menus_size_under_line_s_limit(main_png: bytes, maintenance_png: bytes) -> None:
    for png, size in ((main_png, (2500, 1686)), (maintenance_png, (2500, 843))):
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) <= MAX_IMAGE_BYTES
        with Image.open(io.BytesIO(png)) as image:
            assert (image.format, image.size) == ("PNG", size)


def _hex(pixel: tuple[int, ...]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*pixel[:3])


def test_each_tile_is_painted_in_its_own_colour_with_its_label_on_it(main_png: bytes, main_menu) -> None:
    with Image.open(io.BytesIO(main_png)) as image:
        rgb = image.convert("RGB")
        for area in main_menu.areas:
            b = area.bounds
            # Just inside the tile's corner: the tile colour. Across the middle: text pixels too.
            assert _hex(rgb.getpixel((b.x + 60, b.y + 60))) == area.color
            band = rgb.crop((b.x, b.y + b.height // 3, b.x + b.width, b.y + 2 * b.height // 3))
            colours = {_hex(colour) for _, colour in band.getcolors(maxcolors=1_000_000)}
            assert {area.color, area.text_color} <= colours, area.label


def test_the_same_definition_always_draws_the_same_bytes(main_png: bytes, main_menu) -> None:
    assert render(main_menu) == main_png


def test_a_label_too_long_for_its_tile_is_refused_rather_than_cut_off() -> None:
    raw = _raw()
    raw["areas"][0]["label"] = "よくある質問と答えの一覧を見る"
    with pytest.raises(RichMenuImageError, match="does not fit"):
        render(parse_definition(json.dumps(raw, ensure_ascii=False)))


def test_a_font_that_is_not_there_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(RichMenuImageError, match="does not exist"):
        find_font(tmp_path / "missing.otf")
    assert find_font().path.is_file()


# -- deployment ----------------------------------------------------------------------------------


def test_deploy_creates_the_menu_uploads_its_image_and_makes_it_the_default(
        gateway, emulator, main_menu, main_png) -> None:
    rich_menu_id = deploy(gateway, main_menu, main_png)
    [create] = _recorded(emulator, "/v2/bot/richmenu")
    assert create["status"] == 200
    assert create["body"]["name"] == "madoguchi-main/v1" and len(create["body"]["areas"]) == 6
    [upload] = _recorded(emulator, f"/v2/bot/richmenu/{rich_menu_id}/content")
    assert (upload["status"], upload["body"]) == (200, {"bytes": len(main_png)})
    [default] = _recorded(emulator, f"/v2/bot/user/all/richmenu/{rich_menu_id}")
    assert default["status"] == 200
    assert _default_id(emulator) == rich_menu_id


def test_deploying_again_replaces_the_old_menu(gateway, emulator, main_menu, main_png) -> None:
    first = deploy(gateway, main_menu, main_png)
    second = deploy(gateway, main_menu, main_png)
    assert first != second
    assert [menu.rich_menu_id for menu in list_deployed(gateway)] == [second]
    assert [call["method"] for call in _recorded(emulator, f"/v2/bot/richmenu/{first}")] == ["DELETE"]
    assert _default_id(emulator) == second


def test_deploying_the_main_menu_leaves_the_maintenance_menu_alone(
        gateway, main_menu, main_png, maintenance_menu, maintenance_png) -> None:
    # "madoguchi-main" is a prefix of "madoguchi-maintenance": versions are matched on "<name>/".
    waiting = deploy(gateway, maintenance_menu, maintenance_png, make_default=False)
    deploy(gateway, main_menu, main_png)
    current = deploy(gateway, main_menu, main_png)
    menus = list_deployed(gateway)
    assert {(menu.rich_menu_id, menu.is_default) for menu in menus} == {(waiting, False), (current, True)}


def test_the_maintenance_menu_can_be_swapped_in_and_out(
        gateway, emulator, main_menu, main_png, maintenance_menu, maintenance_png) -> None:
    main_id = deploy(gateway, main_menu, main_png)
    maintenance_id = deploy(gateway, maintenance_menu, maintenance_png, make_default=False)
    assert _default_id(emulator) == main_id
    assert swap(gateway, "madoguchi-maintenance") == maintenance_id
    assert _default_id(emulator) == maintenance_id
    assert swap(gateway, "madoguchi-main") == main_id
    assert _default_id(emulator) == main_id


def test_swapping_to_a_menu_never_deployed_says_to_deploy_it(gateway) -> None:
    with pytest.raises(RichMenuDeployError, match="deploy it first"):
        swap(gateway, "madoguchi-maintenance")


def test_the_image_goes_to_the_data_host_and_a_failed_upload_leaves_nothing_behind(
        emulator, main_menu, main_png) -> None:
    # The data host is unreachable while the API host works: the upload must be what fails.
    gateway = SdkLineGateway(access_token=ACCESS_TOKEN, api_base=emulator.url, data_api_base="http://127.0.0.1:9")
    with pytest.raises(LineApiError) as caught:
        deploy(gateway, main_menu, main_png)
    assert caught.value.status == 0
    [create] = _recorded(emulator, "/v2/bot/richmenu")
    assert create["status"] == 200
    assert gateway.list_rich_menus() == []
    assert _default_id(emulator) is None


def test_redeploying_the_default_menu_keeps_citizens_on_a_menu() -> None:
    line = RecordingLineGateway()
    maintenance, image = load_menu("maintenance"), b"\x89PNG\r\n\x1a\nfake"
    first = deploy(line, maintenance, image)
    second = deploy(line, maintenance, image, make_default=False)  # the old one was the default
    assert line.default_rich_menu_id == second != first
    assert list(line.rich_menus) == [second]


def test_an_image_that_is_neither_png_nor_jpeg_is_refused_before_calling_line() -> None:
    line = RecordingLineGateway()
    with pytest.raises(RichMenuDeployError, match="PNG or a JPEG"):
        deploy(line, load_menu("main"), b"GIF89a")
    assert line.rich_menus == {}


# -- the command ---------------------------------------------------------------------------------


@pytest.fixture
def line_env(emulator: ServerThread, monkeypatch: pytest.MonkeyPatch) -> ServerThread:
    for name, value in {"LINE_CHANNEL_SECRET": CHANNEL_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
                        "SECRET_KEY": "test", "LINE_API_BASE": emulator.url,
                        "LINE_DATA_API_BASE": emulator.url}.items():
        monkeypatch.setenv(name, value)
    return emulator


def test_the_command_renders_a_menu_to_a_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "maintenance.png"
    assert main(["richmenu", "render", "--menu", "maintenance", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (2500, 843)
    assert str(out) in capsys.readouterr().out


def test_the_command_deploys_lists_and_swaps_menus(line_env: ServerThread, capsys) -> None:
    assert main(["richmenu", "deploy"]) == 0
    main_id = capsys.readouterr().out.strip()
    assert main(["richmenu", "deploy", "--menu", "maintenance"]) == 0
    maintenance_id = capsys.readouterr().out.strip()
    assert _default_id(line_env) == main_id  # maintenance waits in reserve
    assert main(["richmenu", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"* {main_id}  madoguchi-main/v1  メニュー" in listing and maintenance_id in listing
    assert main(["richmenu", "swap", "maintenance"]) == 0
    assert _default_id(line_env) == maintenance_id


def test_the_command_explains_a_bad_definition_and_fails(line_env: ServerThread, tmp_path: Path, capsys) -> None:
    raw = _raw()
    raw["areas"][0]["action"]["data"] = "action=format_disk"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert main(["richmenu", "deploy", "--menu", str(path)]) == 1
    assert "unknown action 'format_disk'" in capsys.readouterr().err
    assert _recorded(line_env, "/v2/bot/richmenu") == []


# -- taps reach the bot --------------------------------------------------------------------------


def test_tapping_any_area_of_the_shipped_menus_gets_a_reply(webhook, line, main_menu, maintenance_menu) -> None:
    # Actions still being built are declined politely by the postback handler; none may go unanswered.
    for area in (*main_menu.areas, *maintenance_menu.areas):
        before = len(line.calls)
        webhook.send(postback_event(area.data))
        assert len(line.calls) == before + 1, area.label
