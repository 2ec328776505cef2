"""Where a report is: distance on the Earth, the city's boundary and its wards (GeoJSON). Pure.

Coordinates are (latitude, longitude) in degrees, as LINE sends them; GeoJSON stores
[longitude, latitude], so the conversion happens only here.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EARTH_RADIUS_M = 6_371_008.8

# The fictional みなと市 of the demo: a circle around its city hall.
DEMO_CENTRE = (34.6900, 135.1950)
DEMO_RADIUS_M = 8_000.0


class GeoConfigError(Exception):
    """A boundary or ward file that cannot be used."""


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine; exact enough for 30 m duplicate checks)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def degrees_around(latitude: float, metres: float) -> tuple[float, float]:
    """How many degrees of latitude and longitude `metres` spans here (for a cheap bounding box)."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    return dlat, dlon


def _in_ring(lat: float, lon: float, ring: list[list[float]]) -> bool:
    # Ray casting: count the edges a ray to the east crosses.
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def is_in_geometry(point: tuple[float, float], geometry: dict[str, Any]) -> bool:
    """Whether a point lies in a GeoJSON Polygon or MultiPolygon (holes respected)."""
    lat, lon = point
    kind = geometry.get("type")
    polygons = [geometry["coordinates"]] if kind == "Polygon" else geometry.get("coordinates", [])
    if kind not in ("Polygon", "MultiPolygon"):
        return False
    for rings in polygons:
        rings = [[list(map(float, c[:2])) for c in ring] for ring in rings]
        if rings and _in_ring(lat, lon, rings[0]) and not any(_in_ring(lat, lon, hole) for hole in rings[1:]):
            return True
    return False


@dataclass(frozen=True)
class Ward:
    """An area of the city (a GeoJSON feature): its key, name and any departments it overrides."""

    key: str
    name: str
    geometry: dict[str, Any] = field(hash=False, compare=False)
    departments: tuple[tuple[str, str], ...] = ()  # (category code or group, department key)

    def department_for(self, category_code: str, group: str) -> str | None:
        """The department this ward sends a category (or its group) to, if it overrides it."""
        overrides = dict(self.departments)
        return overrides.get(category_code) or overrides.get(group)


@dataclass(frozen=True)
class Boundary:
    """The city: a GeoJSON (multi)polygon when configured, otherwise a centre and radius."""

    centre: tuple[float, float] = DEMO_CENTRE
    radius_m: float = DEMO_RADIUS_M
    geometry: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    def contains(self, point: tuple[float, float]) -> bool:
        """Whether the point is in the city."""
        if self.geometry is not None:
            return is_in_geometry(point, self.geometry)
        return distance_m(self.centre, point) <= self.radius_m


def ward_of(point: tuple[float, float], wards: tuple[Ward, ...]) -> Ward | None:
    """The first ward containing the point."""
    return next((ward for ward in wards if is_in_geometry(point, ward.geometry)), None)


def _features(path: str | Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeoConfigError(f"{path}: {type(exc).__name__}") from exc
    if data.get("type") == "FeatureCollection":
        return list(data.get("features") or [])
    if data.get("type") == "Feature":
        return [data]
    return [{"type": "Feature", "properties": {}, "geometry": data}]


def load_boundary(path: str | Path) -> Boundary:
    """The city boundary from a GeoJSON file (its polygons are merged into one MultiPolygon)."""
    polygons: list[Any] = []
    for feature in _features(path):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygons.append(geometry["coordinates"])
        elif geometry.get("type") == "MultiPolygon":
            polygons.extend(geometry["coordinates"])
    if not polygons:
        raise GeoConfigError(f"{path}: no Polygon or MultiPolygon")
    return Boundary(geometry={"type": "MultiPolygon", "coordinates": polygons})


def load_wards(path: str | Path) -> tuple[Ward, ...]:
    """Wards from a GeoJSON FeatureCollection; properties: key, name, departments {code|group: dept}."""
    wards = []
    for number, feature in enumerate(_features(path), 1):
        properties = feature.get("properties") or {}
        key = str(properties.get("key") or f"ward{number}")
        departments = tuple(sorted((str(k), str(v)) for k, v in (properties.get("departments") or {}).items()))
        wards.append(Ward(key, str(properties.get("name") or key), feature.get("geometry") or {}, departments))
    return tuple(wards)


def parse_centre(value: str) -> Boundary:
    """`34.69,135.195,8000` (latitude, longitude, radius in metres) → a circular boundary."""
    try:
        lat, lon, radius = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise GeoConfigError("REPORT_CITY_CENTRE must be 'latitude,longitude,radius_m'") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and radius > 0):
        raise GeoConfigError("REPORT_CITY_CENTRE is out of range")
    return Boundary(centre=(lat, lon), radius_m=radius)
