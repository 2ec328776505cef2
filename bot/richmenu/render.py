"""Draw a rich menu's image from its definition with Pillow: a coloured tile per area, large Japanese labels.

The font comes from a Python package (pylopdf-fonts-jp ships Noto Sans JP under the SIL OFL) or, failing
that, from Debian's font packages; nothing is downloaded at run time. The same definition, font and Pillow
give the same bytes, so an image can be reviewed before it is deployed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.richmenu.definition import Area, MenuDefinition

MAX_IMAGE_BYTES = 1024 * 1024  # LINE refuses rich menu images over 1 MB

# Where a Japanese font may be, best first. The package makes the image the same on every machine
# that installed Madoguchi's dependencies; the Debian paths are for machines that have them anyway.
FONT_PACKAGE, FONT_PACKAGE_FILE = "pylopdf_fonts_jp", "NotoSansJP-Regular.otf"


@dataclass(frozen=True)
class FontFile:
    """A font on disk; `index` picks the face in a collection, `regular` asks us to embolden it."""

    path: Path
    index: int = 0
    regular: bool = True


DEBIAN_FONTS = (
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"), 0, regular=False),  # fonts-noto-cjk; face 0 is JP
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),
    FontFile(Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")),  # fonts-ipaexfont-gothic
)

GUTTER = 16  # white space between tiles, in pixels
CORNER_RADIUS = 28
LABEL_SIZES = range(168, 71, -4)  # largest first; below 72 px a label is too small on a phone
CAPTION_SIZES = range(76, 43, -2)
LINE_SPACING = 1.25


class RichMenuImageError(Exception):
    """The image cannot be made: no Japanese font, text that does not fit, or a file over LINE's limit."""


def find_font(explicit: Path | None = None) -> FontFile:
    """The font to draw with: the one asked for, else the packaged Noto Sans JP, else a Debian font."""
    if explicit is not None:
        if not explicit.is_file():
            raise RichMenuImageError(f"font file {explicit} does not exist")
        return FontFile(explicit, regular=False)
    try:
        packaged = resources.files(FONT_PACKAGE).joinpath(FONT_PACKAGE_FILE)
        if packaged.is_file():
            return FontFile(Path(str(packaged)))
    except ModuleNotFoundError:
        pass
    for candidate in DEBIAN_FONTS:
        if candidate.path.is_file():
            return candidate
    raise RichMenuImageError(
        "no Japanese font found to draw the rich menu: install Madoguchi's dependencies "
        "(`pip install -e .` brings pylopdf-fonts-jp), or `apt-get install fonts-noto-cjk`, "
        "or pass --font PATH to a .ttf/.otf/.ttc with Japanese glyphs")


def render(definition: MenuDefinition, *, font: FontFile | None = None) -> bytes:
    """The menu's PNG: one rounded tile per area in its colour, its label large and its caption below."""
    font = font or find_font()
    image = Image.new("RGB", (definition.width, definition.height), definition.background)
    draw = ImageDraw.Draw(image)
    # One label size and one caption size for the whole menu: tiles that shout at different
    # volumes look untidy and make the smaller ones seem less important.
    label_size = min(_fitting_size(area, area.image_label, LABEL_SIZES, font, "label") for area in definition.areas)
    caption_size = min((_fitting_size(area, area.caption, CAPTION_SIZES, font, "caption")
                        for area in definition.areas if area.caption), default=CAPTION_SIZES[0])
    for area in definition.areas:
        _draw_area(draw, area, font, label_size, min(caption_size, int(label_size * 0.6)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise RichMenuImageError(f"the image is {len(data)} bytes; LINE takes at most {MAX_IMAGE_BYTES}")
    return data


def _tile(area: Area) -> tuple[int, int, int, int]:
    """The drawn rectangle: the tap area less half a gutter on every side."""
    b, inset = area.bounds, GUTTER // 2
    return b.x + inset, b.y + inset, b.x + b.width - inset - 1, b.y + b.height - inset - 1


def _padding(area: Area) -> int:
    return max(24, min(area.bounds.width, area.bounds.height) // 14)


def _fitting_size(area: Area, text: str, sizes: range, font: FontFile, what: str) -> int:
    """The largest size in `sizes` at which every line of `text` fits the tile's width."""
    left, top, right, bottom = _tile(area)
    room = right - left - 2 * _padding(area)
    for size in sizes:
        face = _face(font, size)
        if all(_line_width(face, line, font, size) <= room for line in text.split("\n")):
            return size
    raise RichMenuImageError(
        f"the {what} {text!r} does not fit its {area.bounds.width}px wide area even at {sizes[-1]}px; "
        "shorten it, or break it into lines with \\n in the definition")


def _draw_area(draw: ImageDraw.ImageDraw, area: Area, font: FontFile, label_size: int, caption_size: int) -> None:
    left, top, right, bottom = _tile(area)
    draw.rounded_rectangle((left, top, right, bottom), radius=CORNER_RADIUS, fill=area.color)
    labels, captions = area.image_label.split("\n"), area.caption.split("\n") if area.caption else []
    label_step, caption_step = int(label_size * LINE_SPACING), int(caption_size * LINE_SPACING)
    rule_gap = int(label_size * 0.45) if captions else 0
    height = len(labels) * label_step + rule_gap + len(captions) * caption_step
    room = bottom - top - 2 * _padding(area)
    if height > room:
        raise RichMenuImageError(f"the text of {area.label!r} is too tall for its area; "
                                 "shorten the label or the caption")
    centre_x, y = (left + right) // 2, (top + bottom - height) // 2
    for line in labels:
        _draw_line(draw, (centre_x, y + label_step // 2), line, area.text_color, font, label_size)
        y += label_step
    if captions:
        # A short rule between label and caption, so the caption reads as an explanation.
        rule_y, half = y + rule_gap // 2, label_size // 2
        draw.rectangle((centre_x - half, rule_y - 3, centre_x + half, rule_y + 3), fill=area.text_color)
        y += rule_gap
    for line in captions:
        _draw_line(draw, (centre_x, y + caption_step // 2), line, area.text_color, font, caption_size)
        y += caption_step


def _draw_line(draw: ImageDraw.ImageDraw, centre: tuple[int, int], line: str, colour: str,
               font: FontFile, size: int) -> None:
    stroke = _stroke(font, size)
    draw.text(centre, line, font=_face(font, size), fill=colour, anchor="mm",
              stroke_width=stroke, stroke_fill=colour)


def _line_width(face: ImageFont.FreeTypeFont, line: str, font: FontFile, size: int) -> float:
    return face.getlength(line) + 2 * _stroke(font, size)


def _stroke(font: FontFile, size: int) -> int:
    # A regular face drawn with a thin outline of its own colour reads as bold: labels stay legible
    # at a glance and on low-resolution screens.
    return max(1, size // 36) if font.regular else 0


@lru_cache(maxsize=64)
def _face(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout engine: Japanese needs no shaping, and raqm (when present) could vary by machine.
    return ImageFont.truetype(str(font.path), size, index=font.index, layout_engine=ImageFont.Layout.BASIC)
