"""The reports feature's configuration, built once from Settings: catalogue, boundary, wards."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from core.config import Settings
from reports.catalogue import DEFAULT_CATALOGUE, Catalogue, load_catalogue
from reports.geo import Boundary, Ward, load_boundary, load_wards, parse_centre

DRAFT_TTL = timedelta(hours=24)    # a draft untouched this long is abandoned
DUPLICATE_RADIUS_M = 30.0          # same category, this close, still open: probably the same thing
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 2048


@dataclass(frozen=True)
class ReportConfig:
    """What the report conversation and services need to know about the city."""

    catalogue: Catalogue = DEFAULT_CATALOGUE
    boundary: Boundary = field(default_factory=Boundary)
    wards: tuple[Ward, ...] = ()
    draft_ttl: timedelta = DRAFT_TTL
    duplicate_radius_m: float = DUPLICATE_RADIUS_M


DEFAULT_CONFIG = ReportConfig()


def report_config(settings: Settings | None) -> ReportConfig:
    """The configuration for these settings (files are read once per distinct setting)."""
    if settings is None:
        return DEFAULT_CONFIG
    return _load(settings.report_categories_file, settings.report_boundary_geojson,
                 settings.report_city_centre, settings.report_wards_geojson)


@lru_cache(maxsize=8)
def _load(categories_file: str, boundary_file: str, centre: str, wards_file: str) -> ReportConfig:
    catalogue = load_catalogue(categories_file) if categories_file else DEFAULT_CATALOGUE
    if boundary_file:
        boundary = load_boundary(boundary_file)
    elif centre:
        boundary = parse_centre(centre)
    else:
        boundary = Boundary()
    wards = load_wards(wards_file) if wards_file else ()
    return ReportConfig(catalogue=catalogue, boundary=boundary, wards=wards)
