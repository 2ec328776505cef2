"""Making a citizen's photo safe to keep: real type by content, size limit, EXIF gone, at most 2048 px.

Pure apart from Pillow: bytes in, JPEG bytes out (or PhotoRejectedError saying why).
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

try:  # HEIC (iPhone photos) decodes only when pillow-heif is installed
    from pillow_heif import register_heif_opener
    register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIC_SUPPORTED = False

from reports.config import MAX_PHOTO_BYTES, MAX_PHOTO_SIDE

MAX_PIXELS = 80_000_000  # larger than any phone camera; beyond this it is a decompression bomb
JPEG_QUALITY = 85
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")


class PhotoRejectedError(Exception):
    """The bytes are not a photo we keep; `reason` is not_image, too_large or unsupported."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: JPEG without EXIF."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def sniff(data: bytes) -> str | None:
    """The image type by its first bytes (never by what the sender claims): jpeg, png, heic or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    return None


def clean_photo(data: bytes, *, max_bytes: int = MAX_PHOTO_BYTES, max_side: int = MAX_PHOTO_SIDE) -> CleanPhoto:
    """Check, decode, turn upright, drop EXIF (GPS included) and shrink; always re-encoded as JPEG."""
    if len(data) > max_bytes:
        raise PhotoRejectedError("too_large")
    kind = sniff(data)
    if kind is None:
        raise PhotoRejectedError("not_image")
    if kind == "heic" and not HEIC_SUPPORTED:
        raise PhotoRejectedError("unsupported")
    image = _decode(data)
    # Orientation lives in EXIF: apply it to the pixels before EXIF is thrown away.
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image = _flatten(image)
    out = io.BytesIO()
    # A fresh RGB image has no info dict: nothing of the original's EXIF, XMP or comments is written.
    Image.frombytes("RGB", image.size, image.tobytes()).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(out.getvalue(), image.width, image.height)


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejectedError("too_large")
            image.load()
    except PhotoRejectedError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoRejectedError("too_large") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt files
        raise PhotoRejectedError("not_image") from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    # Transparent PNGs become white-backed: JPEG has no alpha.
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
