"""Sample photos (with EXIF GPS, like a phone's) and LINE image/location/video events for report tests."""
from __future__ import annotations

import io
import itertools
from typing import Any

from PIL import ExifTags, Image

from tests.webhook_events import _base

CITY_HALL = (34.6900, 135.1950)        # the demo みなと市's centre
NEAR_CITY_HALL = (34.69015, 135.19510)  # about 20 m away
FAR_IN_CITY = (34.7000, 135.2100)       # a few km away, still in the city
OUTSIDE_CITY = (35.6812, 139.7671)      # Tokyo Station
_message_ids = itertools.count(900_000)


def jpeg_with_gps(size: tuple[int, int] = (3000, 2000), *, orientation: int = 1) -> bytes:
    """A JPEG as a phone takes it: EXIF with GPS coordinates, camera make and an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (34.0, 41.0, 24.0), 3: "E", 4: (135.0, 11.0, 42.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (120, 130, 140)).save(out, "JPEG", exif=exif.tobytes(), quality=80)
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (400, 300)) -> bytes:
    """A transparent PNG (a screenshot, say)."""
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 20, 30, 0)).save(out, "PNG")
    return out.getvalue()


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    """An iPhone-style HEIC photo (pillow-heif encodes it)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, "HEIF")
    return out.getvalue()


def image_event(message_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """A photo sent from the LINE app (its content waits at LINE's data host)."""
    event = _base("message", **kwargs)
    event["message"] = {"id": message_id or str(next(_message_ids)), "type": "image",
                        "contentProvider": {"type": "line"}, "quoteToken": "q" * 20}
    return event


def video_event(**kwargs: Any) -> dict[str, Any]:
    """A video instead of a photo."""
    event = _base("message", **kwargs)
    event["message"] = {"id": str(next(_message_ids)), "type": "video", "duration": 3000,
                        "contentProvider": {"type": "line"}, "quoteToken": "q" * 20}
    return event


def location_event(point: tuple[float, float], address: str = "みなと市中央1丁目", **kwargs: Any) -> dict[str, Any]:
    """A LINE location message."""
    event = _base("message", **kwargs)
    event["message"] = {"id": str(next(_message_ids)), "type": "location", "title": "位置情報",
                        "address": address, "latitude": point[0], "longitude": point[1]}
    return event


def submitted_report(session, *, line_user_id: str | None, point: tuple[float, float] | None = CITY_HALL,
                     category: str = "road_surface", now=None, config=None):
    """A report walked through the draft services to its receipt (what the LINE conversation does)."""
    from reports.config import DEFAULT_CONFIG
    from reports.drafts import apply_input, start_draft
    from reports.flow import Input
    from reports.services import submit_report
    from tests.conftest import FIXED_NOW

    now = now or FIXED_NOW
    draft = start_draft(session, line_user_id or "U" + "0" * 32, now=now)
    draft.line_user_id = line_user_id
    apply_input(session, draft, Input.CATEGORY, value=category, now=now)
    apply_input(session, draft, Input.PHOTO, value=str(next(_message_ids)), now=now)
    apply_input(session, draft, Input.PHOTOS_DONE, now=now)
    if point is None:
        apply_input(session, draft, Input.SKIP_LOCATION, now=now)
        apply_input(session, draft, Input.TEXT, value="公園の入口", now=now)
    else:
        apply_input(session, draft, Input.LOCATION, point=point, value="みなと市中央1丁目", now=now)
    apply_input(session, draft, Input.NOT_URGENT, now=now)
    apply_input(session, draft, Input.TEXT, value="穴があります", now=now)
    return submit_report(session, draft.id, config or DEFAULT_CONFIG, now=now)
