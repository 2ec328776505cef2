"""Distances, the city's boundary and wards: the checks behind 'outside the city' and 30 m duplicates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.geo import (Boundary, GeoConfigError, distance_m, is_in_geometry, load_boundary, load_wards,
                         parse_centre, ward_of)
from tests.reports.samples import CITY_HALL, FAR_IN_CITY, NEAR_CITY_HALL, OUTSIDE_CITY

SQUARE = [[135.18, 34.68], [135.21, 34.68], [135.21, 34.70], [135.18, 34.70], [135.18, 34.68]]
HOLE = [[135.19, 34.685], [135.20, 34.685], [135.20, 34.695], [135.19, 34.695], [135.19, 34.685]]


@pytest.mark.parametrize(("a", "b", "low", "high"), [
    (CITY_HALL, CITY_HALL, 0, 0.001),
    (CITY_HALL, NEAR_CITY_HALL, 15, 25),
    (CITY_HALL, FAR_IN_CITY, 1_500, 2_000),
    (CITY_HALL, OUTSIDE_CITY, 420_000, 440_000),  # みなと市 to Tokyo Station, roughly Kobe–Tokyo
])
def test_distances_are_metres_on_the_earth(a, b, low, high) -> None:
    assert low <= distance_m(a, b) <= high


@pytest.mark.parametrize(("point", "inside"), [
    (CITY_HALL, True), (FAR_IN_CITY, True), (OUTSIDE_CITY, False), ((34.78, 135.195), False),
])
def test_the_demo_city_is_a_circle_around_its_hall(point, inside) -> None:
    assert Boundary().contains(point) is inside


@pytest.mark.parametrize(("point", "inside"), [
    ((34.681, 135.181), True), ((34.69, 135.195), False), ((34.75, 135.195), False),
])
def test_a_polygon_with_a_hole_contains_what_is_between(point, inside) -> None:
    assert is_in_geometry(point, {"type": "Polygon", "coordinates": [SQUARE, HOLE]}) is inside


def test_a_boundary_and_wards_load_from_geojson_files(tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"key": "kita", "name": "北地区"},
               "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    assert load_boundary(path).contains((34.69, 135.195))
    assert not load_boundary(path).contains(OUTSIDE_CITY)
    [ward] = load_wards(path)
    assert ward_of((34.69, 135.195), (ward,)) == ward and ward_of(OUTSIDE_CITY, (ward,)) is None


@pytest.mark.parametrize("text", ["", "34.69,135.19", "north,east,10", "95,135,100", "34.69,135.19,-1"])
def test_a_wrong_centre_setting_fails_with_a_clear_error(text) -> None:
    with pytest.raises(GeoConfigError):
        parse_centre(text)


def test_a_boundary_file_without_polygons_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "point.geojson"
    path.write_text(json.dumps({"type": "Point", "coordinates": [135.19, 34.69]}), encoding="utf-8")
    with pytest.raises(GeoConfigError):
        load_boundary(path)
