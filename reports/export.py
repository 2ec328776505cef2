"""Exports for the city's other systems and a public map: CSV (Excel-friendly) and GeoJSON.

Like Open311, they carry no personal data: no LINE ids, no free text the citizen typed, no photos.
Hidden reports and drafts are left out.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import JST
from reports.catalogue import Catalogue
from reports.models import Report
from reports.status import SUBMITTED, ReportStatus, open311_status

COLUMNS = ("receipt_number", "status", "category_code", "category", "department", "area", "latitude",
           "longitude", "address", "is_urgent", "duplicate_of", "submitted_at", "updated_at", "closed_at",
           "status_notes")


@dataclass(frozen=True)
class ExportFilter:
    """Which reports to export: a period of submission (start inclusive, end exclusive), categories, statuses."""

    start: datetime | None = None
    end: datetime | None = None
    category_codes: tuple[str, ...] = ()
    statuses: tuple[ReportStatus, ...] = ()


def export_rows(session: Session, catalogue: Catalogue, selection: ExportFilter = ExportFilter()) -> list[dict[str, Any]]:
    """The reports as plain rows, oldest first."""
    statement = select(Report).where(Report.status.in_(SUBMITTED), Report.is_hidden.is_(False))
    if selection.start:
        statement = statement.where(Report.submitted_at >= selection.start)
    if selection.end:
        statement = statement.where(Report.submitted_at < selection.end)
    if selection.category_codes:
        statement = statement.where(Report.category_code.in_(selection.category_codes))
    if selection.statuses:
        statement = statement.where(Report.status.in_(selection.statuses))
    reports = list(session.scalars(statement.order_by(Report.submitted_at, Report.id)))
    receipts = {r.id: r.receipt_number for r in reports}
    missing = {r.duplicate_of_id for r in reports if r.duplicate_of_id and r.duplicate_of_id not in receipts}
    if missing:
        receipts.update(session.execute(select(Report.id, Report.receipt_number).where(Report.id.in_(missing))).all())
    return [_row(report, catalogue, receipts) for report in reports]


def _row(report: Report, catalogue: Catalogue, receipts: dict[int, str | None]) -> dict[str, Any]:
    category = catalogue.category(report.category_code)
    department = catalogue.departments.get(report.department)
    return {
        "receipt_number": report.receipt_number, "status": report.status.value,
        "category_code": report.category_code, "category": category.name if category else "",
        "department": department.name if department else report.department, "area": report.area,
        "latitude": report.latitude, "longitude": report.longitude, "address": report.address,
        "is_urgent": report.is_urgent, "duplicate_of": receipts.get(report.duplicate_of_id or 0) or "",
        "submitted_at": _jst(report.submitted_at), "updated_at": _jst(report.updated_at),
        "closed_at": _jst(report.closed_at), "status_notes": report.status_notes,
    }


def _jst(moment: datetime | None) -> str:
    return moment.astimezone(JST).isoformat(timespec="seconds") if moment else ""


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, so that Excel in Japan opens it without mojibake."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row[key]) for key in COLUMNS})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    # A cell starting with = + - @ is run as a formula by spreadsheets: quote it as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of the reports that have a point (what a public map draws)."""
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                 "properties": {**{k: v for k, v in row.items() if k not in ("latitude", "longitude")},
                                "open311_status": open311_status(ReportStatus(row["status"]))}}
                for row in rows if row["latitude"] is not None and row["longitude"] is not None]
    return {"type": "FeatureCollection", "features": features}


def geojson_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The GeoJSON as UTF-8 bytes (Japanese left readable)."""
    return json.dumps(to_geojson(rows), ensure_ascii=False, indent=1).encode("utf-8")
