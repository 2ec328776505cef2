"""Exports: CSV that Excel opens, GeoJSON for a map, by period, category and status; no personal data."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from reports.catalogue import DEFAULT_CATALOGUE
from reports.export import ExportFilter, export_rows, geojson_bytes, to_csv
from reports.services import change_status, set_hidden
from reports.status import ReportStatus
from tests.conftest import FIXED_NOW
from tests.reports.samples import CITY_HALL, FAR_IN_CITY, NEAR_CITY_HALL, submitted_report
from tests.webhook_events import OTHER_USER, USER


def _three(session):
    first = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
    duplicate = submitted_report(session, line_user_id=OTHER_USER, point=NEAR_CITY_HALL,
                                 now=FIXED_NOW + timedelta(days=2)).report
    words_only = submitted_report(session, line_user_id=USER, point=None, category="park_toilet",
                                  now=FIXED_NOW + timedelta(days=5)).report
    return first, duplicate, words_only


def test_the_csv_opens_in_excel_and_names_the_duplicate(session_factory) -> None:
    with session_factory.begin() as session:
        first, duplicate, _ = _three(session)
        data = to_csv(export_rows(session, DEFAULT_CATALOGUE))
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["receipt_number"] for r in rows] == [first.receipt_number, duplicate.receipt_number, rows[2]["receipt_number"]]
    assert rows[1]["duplicate_of"] == first.receipt_number and rows[0]["category"] == "道路の穴・段差"
    text = data.decode("utf-8-sig")
    assert USER not in text and "穴があります" not in text and "公園の入口" not in text


def test_exports_filter_by_period_category_and_status(session_factory) -> None:
    with session_factory.begin() as session:
        first, _, words_only = _three(session)
        change_status(session, first.id, ReportStatus.RESOLVED, now=FIXED_NOW)
        week = ExportFilter(start=FIXED_NOW + timedelta(days=1), end=FIXED_NOW + timedelta(days=7))
        assert len(export_rows(session, DEFAULT_CATALOGUE, week)) == 2
        toilets = ExportFilter(category_codes=("park_toilet",))
        assert [r["receipt_number"] for r in export_rows(session, DEFAULT_CATALOGUE, toilets)] == [
            words_only.receipt_number]
        resolved = ExportFilter(statuses=(ReportStatus.RESOLVED,))
        assert [r["receipt_number"] for r in export_rows(session, DEFAULT_CATALOGUE, resolved)] == [
            first.receipt_number]


def test_the_geojson_has_a_point_per_located_report_and_leaves_out_hidden_ones(session_factory) -> None:
    with session_factory.begin() as session:
        first, duplicate, _ = _three(session)
        extra = submitted_report(session, line_user_id=USER, point=FAR_IN_CITY, category="sign").report
        set_hidden(session, extra.id, True, now=FIXED_NOW)
        collection = json.loads(geojson_bytes(export_rows(session, DEFAULT_CATALOGUE)))
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["receipt_number"] for f in collection["features"]] == [
        first.receipt_number, duplicate.receipt_number]
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [CITY_HALL[1], CITY_HALL[0]]}
    assert collection["features"][1]["properties"]["open311_status"] == "closed"


def test_a_cell_that_looks_like_a_formula_is_kept_as_text() -> None:
    row = {key: "" for key in ("receipt_number", "status", "category_code", "category", "department", "area",
                               "latitude", "longitude", "address", "is_urgent", "duplicate_of", "submitted_at",
                               "updated_at", "closed_at")}
    data = to_csv([{**row, "status_notes": "=HYPERLINK(\"http://x\")"}]).decode("utf-8-sig")
    assert "'=HYPERLINK" in data


def test_the_cli_writes_a_geojson_file_for_a_period(database_url, session_factory, tmp_path, monkeypatch) -> None:
    from bot.cli import main

    with session_factory.begin() as session:
        first, _, _ = _three(session)
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "reports.geojson"
    assert main(["reports", "export", "--format", "geojson", "--from", "2026-04-01", "--to", "2026-04-01",
                 "--out", str(out)]) == 0
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["receipt_number"] for f in features] == [first.receipt_number]
    assert main(["reports", "export", "--status", "fixed"]) == 2
