"""Open311 GeoReport v2: services and service requests in the spec's shape, and the public query.

Privacy: public responses carry what the city fixes, never who asked — no LINE user ids, no
contact details, no free text the citizen typed (description, place words) and no photos.
Hidden reports and unfinished drafts never appear.
"""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import JST
from reports.catalogue import Catalogue, Category
from reports.models import Report
from reports.status import SUBMITTED, ReportStatus, open311_status

MAX_REQUESTS = 1000                 # the spec: return at most the first 1,000
DEFAULT_WINDOW = timedelta(days=90)  # the spec: by default, the last 90 days


def service(category: Category) -> dict[str, Any]:
    """One entry of services.json."""
    return {"service_code": category.code, "service_name": category.name, "description": category.description,
            "metadata": False, "type": "realtime", "keywords": "", "group": category.group}


def service_definition(category: Category) -> dict[str, Any]:
    """services/{code}.json: our services ask nothing beyond the standard fields."""
    return {"service_code": category.code, "attributes": []}


def w3c(moment: datetime | None) -> str:
    """W3C date-time in Japan time, as the spec's examples show (2026-04-01T18:00:00+09:00)."""
    return moment.astimezone(JST).isoformat(timespec="seconds") if moment else ""


def service_request(report: Report, catalogue: Catalogue) -> dict[str, Any]:
    """One public service request (personal data left out; see the module's docstring)."""
    category = catalogue.category(report.category_code)
    department = catalogue.departments.get(report.department)
    return {
        "service_request_id": report.receipt_number, "status": open311_status(report.status),
        "status_notes": report.status_notes, "service_name": category.name if category else "",
        "service_code": report.category_code, "description": "",
        "agency_responsible": department.name if department else "", "service_notice": "",
        "requested_datetime": w3c(report.submitted_at), "updated_datetime": w3c(report.updated_at),
        "expected_datetime": "", "address": report.address, "address_id": "", "zipcode": "",
        "lat": report.latitude, "long": report.longitude, "media_url": "",
    }


def find_requests(session: Session, *, ids: list[str] | None = None, service_codes: list[str] | None = None,
                  start: datetime | None = None, end: datetime | None = None,
                  statuses: list[str] | None = None, now: datetime) -> list[Report]:
    """The public query: by ids (which overrides the rest), or by codes, window and open/closed."""
    statement = select(Report).where(Report.status.in_(SUBMITTED), Report.is_hidden.is_(False))
    if ids:
        statement = statement.where(Report.receipt_number.in_(ids[:MAX_REQUESTS]))
    else:
        end = end or now
        start = start or end - DEFAULT_WINDOW
        statement = statement.where(Report.submitted_at >= start, Report.submitted_at <= end)
        if service_codes:
            statement = statement.where(Report.category_code.in_(service_codes))
        if statuses:
            wanted = [s for s in ReportStatus if open311_status(s) in statuses and s in SUBMITTED]
            statement = statement.where(Report.status.in_(wanted))
    return list(session.scalars(statement.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(MAX_REQUESTS)))


def public_request(session: Session, receipt_number: str) -> Report | None:
    """One request by its id, if it is public."""
    return session.scalars(select(Report).where(Report.receipt_number == receipt_number,
                                                Report.status.in_(SUBMITTED), Report.is_hidden.is_(False))).first()


def to_xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    """The spec's XML: <services><service>…</service></services>, <service_requests><request>…, <errors><error>…."""
    element = ElementTree.Element(root)
    for row in rows:
        child = ElementTree.SubElement(element, item)
        for key, value in row.items():
            _xml_value(ElementTree.SubElement(child, key), value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def object_to_xml(root: str, row: dict[str, Any]) -> bytes:
    """One object as XML (a service definition: <service_definition><service_code/>…)."""
    element = ElementTree.Element(root)
    for key, value in row.items():
        _xml_value(ElementTree.SubElement(element, key), value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def _xml_value(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, list):  # attributes of a service definition
        for entry in value:
            _xml_value(ElementTree.SubElement(element, "attribute"), entry)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(ElementTree.SubElement(element, key), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
