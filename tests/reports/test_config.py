"""The reports' configuration from the environment: boundary, wards, categories and Open311 keys."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings
from reports.config import DEFAULT_CONFIG, report_config
from reports.geo import GeoConfigError

SECRETS = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k"}


def test_without_configuration_the_demo_city_and_default_categories_are_used() -> None:
    settings = Settings.from_env(SECRETS)
    assert settings.open311_api_keys == ()
    assert report_config(settings) == DEFAULT_CONFIG and report_config(None) == DEFAULT_CONFIG


def test_the_environment_names_the_citys_files_and_keys(tmp_path: Path) -> None:
    square = [[139.0, 35.0], [139.1, 35.0], [139.1, 35.1], [139.0, 35.1], [139.0, 35.0]]
    boundary = tmp_path / "city.geojson"
    boundary.write_text(json.dumps({"type": "Polygon", "coordinates": [square]}), encoding="utf-8")
    settings = Settings.from_env({**SECRETS, "REPORT_BOUNDARY_GEOJSON": str(boundary),
                                  "REPORT_WARDS_GEOJSON": str(boundary), "OPEN311_API_KEYS": " key-a, key-b ,"})
    assert settings.open311_api_keys == ("key-a", "key-b")
    config = report_config(settings)
    assert config.boundary.contains((35.05, 139.05)) and not config.boundary.contains((34.69, 135.195))
    assert [ward.key for ward in config.wards] == ["ward1"]


def test_a_centre_and_radius_can_stand_in_for_a_boundary_file() -> None:
    config = report_config(Settings.from_env({**SECRETS, "REPORT_CITY_CENTRE": "35.0,139.0,1000"}))
    assert config.boundary.contains((35.005, 139.0)) and not config.boundary.contains((35.02, 139.0))


def test_a_missing_boundary_file_stops_the_app_at_start(settings: Settings, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from flask import Flask

    from bot import open311

    app = Flask(__name__)  # only what the Open311 blueprint reads at registration: the runtime's settings
    app.extensions["madoguchi"] = SimpleNamespace(
        settings=settings.with_changes(report_boundary_geojson=str(tmp_path / "missing.geojson")))
    with pytest.raises(GeoConfigError):
        app.register_blueprint(open311.blueprint)
