"""The Open311 GeoReport v2 API at /open311/v2/: services, and service requests to read and (with a key) post.

Responses are JSON or XML by the path's extension, as the spec allows. Request bodies are never logged.
"""
from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, jsonify, request

from bot.runtime import runtime
from reports.config import ReportConfig, report_config
from reports.open311 import (DEFAULT_WINDOW, MAX_REQUESTS, find_requests, object_to_xml, public_request, service,
                             service_definition, service_request, to_xml)
from reports.services import ReportError, create_external_report

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("json", "xml")
MAX_DESCRIPTION = 2000


class Open311Error(Exception):
    """An error answered in the spec's shape: [{"code": …, "description": …}]."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


@blueprint.errorhandler(Open311Error)
def _error(error: Open311Error) -> Response:
    fmt = request.view_args.get("fmt") if request.view_args else "json"
    return _answer([{"code": error.status, "description": error.description}], "errors", "error",
                   fmt if fmt in FORMATS else "json", status=error.status)


def _answer(rows: list[dict[str, Any]], root: str, item: str, fmt: str, *, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, rows), status=status, content_type="text/xml; charset=utf-8")
    response = jsonify(rows)
    response.status_code = status
    return response


@blueprint.record_once
def _check_configuration(state: Any) -> None:
    # A wrong boundary, ward or categories file fails at start, not at a citizen's first report.
    report_config(state.app.extensions["madoguchi"].settings)


def _config() -> ReportConfig:
    return report_config(runtime().settings)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, "format must be json or xml")
    return fmt


@blueprint.get("/services.<fmt>")
def services(fmt: str) -> Response:
    """Every category citizens can report."""
    return _answer([service(c) for c in _config().catalogue.categories], "services", "service", _format(fmt))


@blueprint.get("/services/<code>.<fmt>")
def definition(code: str, fmt: str) -> Response:
    """A service definition (no extra attributes)."""
    _format(fmt)
    category = _config().catalogue.category(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    body = service_definition(category)
    if fmt == "xml":
        return Response(object_to_xml("service_definition", body), content_type="text/xml; charset=utf-8")
    return jsonify(body)


@blueprint.get("/requests.<fmt>")
def list_requests(fmt: str) -> Response:
    """Public service requests: the last 90 days unless a window is given, at most the first 1,000."""
    _format(fmt)
    args = request.args
    ids = _split(args.get("service_request_id", ""))
    start, end = _date(args.get("start_date")), _date(args.get("end_date"))
    if start and end and (end - start > DEFAULT_WINDOW or end < start):
        raise Open311Error(400, "start_date..end_date must be a window of at most 90 days")
    statuses = _split(args.get("status", ""))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open or closed")
    with runtime().session_factory() as session:
        reports = find_requests(session, ids=ids, service_codes=_split(args.get("service_code", "")),
                                start=start, end=end, statuses=statuses, now=runtime().clock())
        rows = [service_request(r, _config().catalogue) for r in reports[:MAX_REQUESTS]]
    return _answer(rows, "service_requests", "request", fmt)


@blueprint.get("/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str) -> Response:
    """One service request (the spec answers it as a list of one)."""
    _format(fmt)
    if "\x00" in request_id:  # no receipt number has one, and PostgreSQL refuses it in a query (a 500)
        raise Open311Error(404, "service_request_id not found")
    with runtime().session_factory() as session:
        report = public_request(session, request_id)
        if report is None:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        row = service_request(report, _config().catalogue)
    return _answer([row], "service_requests", "request", fmt)


@blueprint.post("/requests.<fmt>")
def post_request(fmt: str) -> Response:
    """Create a service request from another system; needs one of OPEN311_API_KEYS."""
    _format(fmt)
    form = request.form
    _check_api_key(form.get("api_key", ""))
    if any("\x00" in value for value in form.values()):  # PostgreSQL refuses NUL in text (a 500)
        raise Open311Error(400, "fields must not contain NUL characters")
    config = _config()
    code = form.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required")
    if config.catalogue.category(code) is None:
        raise Open311Error(404, f"service_code {code} not found")
    point = _point(form, config)
    address = form.get("address_string", "").strip()
    if point is None and not address:
        raise Open311Error(400, "lat and long, or address_string, are required")
    # Contact fields (email, phone, names, device_id) are not stored: nothing here needs them.
    with runtime().session_factory.begin() as session:
        try:
            submission = create_external_report(session, config, category_code=code, point=point, address=address,
                                                description=form.get("description", "")[:MAX_DESCRIPTION],
                                                now=runtime().clock())
        except ReportError as exc:
            raise Open311Error(400, str(exc)) from exc
        receipt = submission.report.receipt_number
    return _answer([{"service_request_id": receipt, "service_notice": "", "account_id": ""}],
                   "service_requests", "request", fmt)


def _check_api_key(given: str) -> None:
    keys = runtime().settings.open311_api_keys
    # Compared in constant time: the key is a password.
    if not given or not any(hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "a valid api_key is required")


def _point(form: Any, config: ReportConfig) -> tuple[float, float] | None:
    lat, lon = form.get("lat", "").strip(), form.get("long", "").strip()
    if not lat and not lon:
        return None
    try:
        point = (float(lat), float(lon))
    except ValueError as exc:
        raise Open311Error(400, "lat and long must be numbers") from exc
    if not config.boundary.contains(point):
        raise Open311Error(400, "the location is outside the city")
    return point


def _split(value: str) -> list[str]:
    if "\x00" in value:  # PostgreSQL refuses NUL in a query parameter: a 500 instead of an answer
        raise Open311Error(400, "parameters must not contain NUL characters")
    return [part.strip() for part in value.split(",") if part.strip()]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    # A "+09:00" left unencoded in a query string arrives as " 09:00": take it as meant.
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Open311Error(400, "dates must be W3C date-times like 2026-04-01T00:00:00+09:00") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, "dates need a time zone")
    try:
        # The database keeps UTC and the window is 90 days: 9999-12-31T23:59-14:00 (year 10000 in UTC)
        # or 0001-01-01 minus 90 days overflowed into a 500.
        moment.astimezone(timezone.utc) - DEFAULT_WINDOW
        moment.astimezone(timezone.utc) + DEFAULT_WINDOW
    except OverflowError as exc:
        raise Open311Error(400, "dates must be between the years 1 and 9999") from exc
    return moment
