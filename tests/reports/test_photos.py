"""Photo cleaning: the real type by content, the size limit, EXIF (GPS first) gone, at most 2048 px."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from reports.photos import PhotoRejectedError, clean_photo, sniff
from tests.reports.samples import heic, jpeg_with_gps, png_with_alpha


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_phone_photo_loses_its_exif_and_gps_and_shrinks_to_2048_px() -> None:
    original = jpeg_with_gps((3000, 2000))
    assert _open(original).getexif().get_ifd(0x8825)  # the sample really carries GPS
    clean = clean_photo(original)
    image = _open(clean.data)
    assert image.format == "JPEG" and image.size == (2048, 1365) == (clean.width, clean.height)
    assert not image.getexif() and "exif" not in image.info
    assert b"TestPhone" not in clean.data


def test_a_sideways_photo_is_turned_upright_before_its_orientation_tag_is_dropped() -> None:
    clean = clean_photo(jpeg_with_gps((1200, 800), orientation=6))
    assert (clean.width, clean.height) == (800, 1200)


def test_a_small_photo_keeps_its_size() -> None:
    assert (clean_photo(jpeg_with_gps((640, 480))).width) == 640


def test_a_transparent_png_becomes_a_jpeg() -> None:
    assert _open(clean_photo(png_with_alpha()).data).format == "JPEG"


def test_an_iphone_heic_photo_becomes_a_jpeg() -> None:
    data = heic()
    assert sniff(data) == "heic"
    assert _open(clean_photo(data).data).format == "JPEG"


@pytest.mark.parametrize(("data", "reason"), [
    (b"%PDF-1.4 a document", "not_image"),
    (b"GIF89a" + b"\0" * 100, "not_image"),
    (b"", "not_image"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "not_image"),
    (b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024), "too_large"),  # a 30 MB "photo"
])
def test_what_is_not_a_usable_photo_is_rejected_with_a_reason(data, reason) -> None:
    with pytest.raises(PhotoRejectedError) as rejected:
        clean_photo(data)
    assert rejected.value.reason == reason


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert sniff(png_with_alpha()) == "png" and sniff(jpeg_with_gps((10, 10))) == "jpeg"
    assert sniff(b"<html>") is None
