"""Rich menu definitions: our versioned JSON file format, loaded and checked before anything reaches LINE.

Pure: no Pillow, no SDK, no Flask — handlers may import RICH_MENU_ACTIONS from here cheaply.
The format is documented in bot/richmenu/README.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

# The single source of truth for what a rich-menu tap may ask for. Postback handlers for these
# live in handlers/postback.py; a definition naming anything else is refused here.
RICH_MENU_ACTIONS = frozenset({"ask", "browse", "report", "inquiry", "prefs", "emergency", "news", "maintenance"})

# The menus shipped with Madoguchi (files beside this module).
MENUS = ("main", "maintenance")

# LINE's limits (messaging-api.yml and the rich menu reference).
MAX_AREAS = 20
MAX_NAME = 300
MAX_CHAT_BAR_TEXT = 14
MAX_ACTION_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT, MIN_RATIO = 800, 2500, 250, 1.45

# WCAG 2.x AA for normal text. Our labels are large, where 3:1 would pass, but captions are smaller
# and many citizens read the menu on a dim phone outdoors.
MIN_CONTRAST = 4.5

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TOP_KEYS = {"version", "name", "chatBarText", "selected", "size", "background", "areas"}
_AREA_KEYS = {"label", "imageLabel", "caption", "color", "textColor", "bounds", "action"}
_ACTION_KEYS = {"type", "data", "displayText"}


class RichMenuDefinitionError(ValueError):
    """A definition file is not a menu we can deploy; `errors` lists every problem found."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: {len(errors)} problem(s):\n" + "\n".join(f"  - {e}" for e in errors))
        self.source = source
        self.errors = errors


@dataclass(frozen=True)
class Bounds:
    """A tappable rectangle in image pixels."""

    x: int
    y: int
    width: int
    height: int

    def overlaps(self, other: Bounds) -> bool:
        """True when the two rectangles share at least one pixel."""
        return (self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.y + other.height and other.y < self.y + self.height)


@dataclass(frozen=True)
class Area:
    """One tile of the menu: what it says, its colours, where it is and the postback it sends."""

    label: str  # one line: LINE reads it out when accessibility features are on
    image_label: str  # the label as drawn; "\n" breaks it into lines
    caption: str
    color: str
    text_color: str
    bounds: Bounds
    data: str
    display_text: str


@dataclass(frozen=True)
class MenuDefinition:
    """A validated rich menu."""

    name: str
    version: int
    chat_bar_text: str
    width: int
    height: int
    selected: bool
    background: str
    areas: tuple[Area, ...]

    @property
    def line_name(self) -> str:
        """The name the menu gets at LINE: `<name>/v<version>`, so deploys of one menu share a prefix."""
        return f"{self.name}/v{self.version}"

    def to_line(self) -> dict[str, Any]:
        """The rich menu object LINE's create endpoint takes."""
        return {
            "size": {"width": self.width, "height": self.height},
            "selected": self.selected,
            "name": self.line_name,
            "chatBarText": self.chat_bar_text,
            "areas": [_area_to_line(area) for area in self.areas],
        }


def _area_to_line(area: Area) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "postback", "label": area.label, "data": area.data}
    if area.display_text:
        action["displayText"] = area.display_text
    bounds = area.bounds
    return {"bounds": {"x": bounds.x, "y": bounds.y, "width": bounds.width, "height": bounds.height},
            "action": action}


def load_menu(menu: str) -> MenuDefinition:
    """Load a shipped menu by key ("main", "maintenance") or any definition file by path."""
    if menu in MENUS:
        text = resources.files(__package__).joinpath(f"{menu}.json").read_text(encoding="utf-8")
        return parse_definition(text, source=f"{menu}.json")
    path = Path(menu)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RichMenuDefinitionError(menu, [f"cannot read the file ({exc.strerror}); "
                                             f"use one of {', '.join(MENUS)} or a path to a .json file"]) from exc
    return parse_definition(text, source=str(path))


def parse_definition(text: str, *, source: str = "definition") -> MenuDefinition:
    """Parse and validate a definition; every problem is reported at once in RichMenuDefinitionError."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise RichMenuDefinitionError(source, [f"not valid JSON: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise RichMenuDefinitionError(source, ["the file must hold one JSON object"])
    errors: list[str] = []
    definition = _build(raw, errors)
    if definition is None:
        raise RichMenuDefinitionError(source, errors)
    return definition


def _build(raw: dict[str, Any], errors: list[str]) -> MenuDefinition | None:
    errors += [f"unknown field {key!r}" for key in sorted(set(raw) - _TOP_KEYS)]
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append("version must be a whole number of at least 1 (raise it whenever the menu changes)")
        version = 1
    name = _string(raw, "name", errors, required=True)
    if name and not _NAME.match(name):
        errors.append(f"name {name!r} may hold only letters, digits, '.', '_' and '-' (it prefixes the LINE name)")
    elif len(f"{name}/v{version}") > MAX_NAME:
        errors.append(f"name must be at most {MAX_NAME - len(f'/v{version}')} characters")
    chat_bar_text = _string(raw, "chatBarText", errors, required=True, max_len=MAX_CHAT_BAR_TEXT)
    selected = raw.get("selected", True)
    if not isinstance(selected, bool):
        errors.append("selected must be true or false")
    background = _colour(raw.get("background", "#FFFFFF"), "background", errors)
    width, height = _size(raw.get("size"), errors)
    areas = _areas(raw.get("areas"), width, height, errors)
    if errors:
        return None
    return MenuDefinition(name=name, version=version, chat_bar_text=chat_bar_text, width=width, height=height,
                          selected=selected, background=background, areas=tuple(areas))


def _string(obj: dict[str, Any], key: str, errors: list[str], *, where: str = "", required: bool = False,
            max_len: int | None = None) -> str:
    value, field_name = obj.get(key), f"{where}{key}"
    if value is None:
        if required:
            errors.append(f"{field_name} is missing")
        return ""
    if not isinstance(value, str):
        errors.append(f"{field_name} must be a string")
        return ""
    if required and not value.strip():
        errors.append(f"{field_name} may not be empty")
    if max_len is not None and len(value) > max_len:
        errors.append(f"{field_name} is {len(value)} characters; LINE allows at most {max_len}")
    return value


def _colour(value: Any, field_name: str, errors: list[str]) -> str:
    if not isinstance(value, str) or not _COLOUR.match(value):
        errors.append(f"{field_name} must be a colour written #RRGGBB, got {value!r}")
        return "#000000"
    return value.upper()


def _size(size: Any, errors: list[str]) -> tuple[int, int]:
    if not isinstance(size, dict) or not all(_is_int(size.get(k)) for k in ("width", "height")):
        errors.append("size must be {\"width\": W, \"height\": H} in whole pixels")
        return 0, 0
    width, height = size["width"], size["height"]
    if not (MIN_WIDTH <= width <= MAX_WIDTH and height >= MIN_HEIGHT and width / height >= MIN_RATIO):
        errors.append(f"size {width}x{height} is not one LINE accepts: width {MIN_WIDTH}..{MAX_WIDTH}, "
                      f"height at least {MIN_HEIGHT}, width/height at least {MIN_RATIO} (e.g. 2500x1686, 2500x843)")
    return width, height


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _areas(raw: Any, width: int, height: int, errors: list[str]) -> list[Area]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_AREAS:
        errors.append(f"areas must be a list of 1 to {MAX_AREAS} areas")
        return []
    areas = [area for i, item in enumerate(raw) if (area := _area(item, f"areas[{i}].", width, height, errors))]
    for i, first in enumerate(areas):
        for j in range(i + 1, len(areas)):
            if first.bounds.overlaps(areas[j].bounds):
                errors.append(f"areas {first.label!r} and {areas[j].label!r} overlap; "
                              "a tap must mean one thing")
    return areas


def _area(raw: Any, where: str, width: int, height: int, errors: list[str]) -> Area | None:
    if not isinstance(raw, dict):
        errors.append(f"{where.rstrip('.')} must be an object")
        return None
    before = len(errors)
    errors += [f"{where}{key}: unknown field" for key in sorted(set(raw) - _AREA_KEYS)]
    label = _string(raw, "label", errors, where=where, required=True, max_len=MAX_ACTION_LABEL)
    if "\n" in label:
        errors.append(f"{where}label must be one line; break the drawn label with imageLabel instead")
    image_label = _string(raw, "imageLabel", errors, where=where) or label
    caption = _string(raw, "caption", errors, where=where)
    colour = _colour(raw.get("color"), f"{where}color", errors)
    text_colour = _colour(raw.get("textColor", "#FFFFFF"), f"{where}textColor", errors)
    if len(errors) == before and (ratio := contrast_ratio(colour, text_colour)) < MIN_CONTRAST:
        errors.append(f"{where}textColor {text_colour} on {colour} has contrast {ratio:.1f}:1; "
                      f"at least {MIN_CONTRAST}:1 is needed to be readable")
    bounds = _bounds(raw.get("bounds"), where, width, height, errors)
    data, display_text = _action(raw.get("action"), where, errors)
    if len(errors) > before or bounds is None:
        return None
    return Area(label=label, image_label=image_label, caption=caption, color=colour, text_color=text_colour, bounds=bounds,
                data=data, display_text=display_text)


def _bounds(raw: Any, where: str, width: int, height: int, errors: list[str]) -> Bounds | None:
    keys = ("x", "y", "width", "height")
    if not isinstance(raw, dict) or not all(_is_int(raw.get(k)) for k in keys):
        errors.append(f"{where}bounds must be {{\"x\", \"y\", \"width\", \"height\"}} in whole pixels")
        return None
    bounds = Bounds(*(raw[k] for k in keys))
    outside = width > 0 and (bounds.x + bounds.width > width or bounds.y + bounds.height > height)
    if bounds.x < 0 or bounds.y < 0 or bounds.width < 1 or bounds.height < 1 or outside:
        errors.append(f"{where}bounds {bounds.x},{bounds.y} {bounds.width}x{bounds.height} "
                      f"do not lie inside the {width}x{height} image")
    return bounds


def _action(raw: Any, where: str, errors: list[str]) -> tuple[str, str]:
    where = f"{where}action."
    if not isinstance(raw, dict):
        errors.append(f"{where.rstrip('.')} is missing")
        return "", ""
    errors += [f"{where}{key}: unknown field" for key in sorted(set(raw) - _ACTION_KEYS)]
    if raw.get("type") != "postback":
        errors.append(f"{where}type must be \"postback\" (the bot answers rich-menu taps itself)")
    data = _string(raw, "data", errors, where=where, required=True, max_len=MAX_POSTBACK_DATA)
    if data and len(data) <= MAX_POSTBACK_DATA:
        errors += [f"{where}data {data!r}: {problem}" for problem in postback_data_problems(data)]
    display_text = _string(raw, "displayText", errors, where=where, max_len=MAX_DISPLAY_TEXT)
    return data, display_text


def postback_data_problems(data: str) -> list[str]:
    """Why this postback data would not be understood (empty when it is fine): `action=<known>[&k=v…]`."""
    if len(data) > MAX_POSTBACK_DATA:
        return [f"longer than {MAX_POSTBACK_DATA} characters"]
    try:
        parsed = parse_qs(data, keep_blank_values=True, strict_parsing=True, max_num_fields=10)
    except ValueError:
        return ["must be key=value pairs joined by '&', like action=browse"]
    if any(len(values) != 1 for values in parsed.values()):
        return ["a key appears more than once"]
    action = parsed.get("action", [""])[0]
    if action not in RICH_MENU_ACTIONS:
        known = ", ".join(sorted(RICH_MENU_ACTIONS))
        return [f"unknown action {action!r}; known actions are {known}" if action else "has no action=…"]
    return []


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #RRGGBB colours, 1.0 (none) to 21.0 (black on white)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
