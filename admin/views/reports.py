"""Damage reports for staff: a list with a map, the detail with photos and history, status changes, exports.

Locations, photos and descriptions are personal data: opening a report, its photos or the map is
written to the access log.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from admin.accounts import log_access
from admin.context import runtime
from admin.models import Role
from admin.reply_templates import REPORT_STATUS_TEMPLATES
from admin.security import client_address, requires
from reports.config import report_config
from reports.export import ExportFilter, export_rows, geojson_bytes, to_csv
from reports.models import Report, ReportPhoto
from reports.services import (ReportError, add_note, change_status, history, list_reports, redact_photo,
                              set_hidden)
from reports.status import CLOSED, OPEN, TRANSITIONS, ReportStatus
from reports.storage import LocalMediaStorage

blueprint = Blueprint("admin_reports", __name__, url_prefix="/admin/reports")
STATUS_NAMES = {"received": "受付", "in_progress": "対応中", "resolved": "完了", "rejected": "対応しない",
                "duplicate": "重複", "draft": "入力中", "expired": "期限切れ"}


@blueprint.get("/")
@requires("cases")
def index() -> str:
    """Reports by status, category and department, with a map of them."""
    statuses, category = _statuses(), request.args.get("category", "")
    with runtime().session_factory() as db:
        reports = _scoped(list_reports(db, statuses=statuses, category_code=category, department=_department()))
    catalogue = report_config(runtime().settings).catalogue
    return render_template("admin/reports.html", reports=reports, catalogue=catalogue, names=STATUS_NAMES,
                           status=request.args.get("status", "open"), category=category)


@blueprint.get("/map.json")
@requires("cases")
def map_points() -> Response:
    """The listed reports' points for the map (no text the citizen typed)."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        reports = _scoped(list_reports(db, statuses=_statuses(), category_code=request.args.get("category", ""),
                                       department=_department()))
        log_access(db, g.staff, "view_report_map", "report", f"{len(reports)} reports", address=client_address(),
                   now=rt.clock())
    catalogue = report_config(rt.settings).catalogue
    return jsonify([{"id": r.id, "lat": r.latitude, "lon": r.longitude, "status": r.status.value,
                     "urgent": bool(r.is_urgent), "receipt": r.receipt_number,
                     "category": _category_name(catalogue, r.category_code),
                     "url": url_for("admin_reports.show", report_id=r.id)}
                    for r in reports if r.point is not None])


@blueprint.get("/<int:report_id>")
@requires("cases")
def show(report_id: int) -> str:
    """One report: photos, place, description, history and the status form."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        report = _visible(db, report_id)
        log_access(db, g.staff, "view_report", "report", report.id, address=client_address(), now=rt.clock())
        events = history(db, report.id)
        photos = list(report.photos)
    catalogue = report_config(rt.settings).catalogue
    return render_template("admin/report.html", report=report, events=events, photos=photos, names=STATUS_NAMES,
                           catalogue=catalogue, category=_category_name(catalogue, report.category_code),
                           next_statuses=sorted(s.value for s in TRANSITIONS.get(report.status, ())),
                           templates=REPORT_STATUS_TEMPLATES)


@blueprint.get("/photo/<int:photo_id>")
@requires("cases")
def photo(photo_id: int) -> Response:
    """A stored photo (EXIF already removed), logged as a view of personal data."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        item = db.get(ReportPhoto, photo_id)
        if item is None or not item.storage_key:
            abort(404)
        _visible(db, item.report_id)
        log_access(db, g.staff, "view_report_photo", "report", item.report_id, address=client_address(),
                   now=rt.clock())
        key = item.storage_key
    try:
        data = LocalMediaStorage(rt.settings.media_dir).get(key)
    except (FileNotFoundError, ValueError):
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, no-store"})


@blueprint.post("/<int:report_id>/status")
@requires("cases")
def set_status(report_id: int) -> object:
    """Move the report along; the citizen (and followers) hear about it on LINE."""
    rt, form = runtime(), request.form
    try:
        new = ReportStatus(form.get("status", ""))
        duplicate_of = _receipt_to_id(form.get("duplicate_of", "")) if new is ReportStatus.DUPLICATE else None
        with rt.session_factory.begin() as db:
            _visible(db, report_id)
            change_status(db, report_id, new, staff_id=g.staff.id, staff_name=g.staff.display_name,
                          note=form.get("note", ""), message=form.get("message", ""), duplicate_of=duplicate_of,
                          now=rt.clock())
    except (ValueError, ReportError) as exc:
        flash(f"状態を変更できませんでした：{exc}", "error")
        return redirect(url_for("admin_reports.show", report_id=report_id))
    if rt.worker is not None:
        rt.worker.notify()
    flash(f"状態を「{STATUS_NAMES[new.value]}」にしました。", "info")
    return redirect(url_for("admin_reports.show", report_id=report_id))


@blueprint.post("/<int:report_id>/note")
@requires("cases")
def note(report_id: int) -> object:
    """A note for colleagues; the citizen never sees it."""
    rt = runtime()
    try:
        with rt.session_factory.begin() as db:
            _visible(db, report_id)
            add_note(db, report_id, request.form.get("note", ""), staff_id=g.staff.id,
                     staff_name=g.staff.display_name, now=rt.clock())
    except ReportError:
        flash("メモが空です。", "error")
    return redirect(url_for("admin_reports.show", report_id=report_id))


@blueprint.post("/<int:report_id>/hidden")
@requires("cases")
def hide(report_id: int) -> object:
    """Hide a report from Open311 and exports (abuse, personal data), or show it again."""
    rt = runtime()
    hidden = request.form.get("hidden") == "1"
    with rt.session_factory.begin() as db:
        _visible(db, report_id)
        set_hidden(db, report_id, hidden, staff_id=g.staff.id, staff_name=g.staff.display_name,
                   note=request.form.get("note", ""), now=rt.clock())
    flash("非公開にしました。" if hidden else "公開に戻しました。", "info")
    return redirect(url_for("admin_reports.show", report_id=report_id))


@blueprint.post("/photo/<int:photo_id>/redact")
@requires("cases")
def redact(photo_id: int) -> object:
    """Delete a photo for good (a face, a number plate)."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        item = db.get(ReportPhoto, photo_id)
        if item is None:
            abort(404)
        report_id = item.report_id
        _visible(db, report_id)
        redact_photo(db, LocalMediaStorage(rt.settings.media_dir), photo_id, staff_id=g.staff.id,
                     staff_name=g.staff.display_name, note=request.form.get("note", ""), now=rt.clock())
    flash("写真を削除しました。", "info")
    return redirect(url_for("admin_reports.show", report_id=report_id))


@blueprint.get("/export.<kind>")
@requires("cases")
def export(kind: str) -> Response:
    """CSV (Excel-friendly) or GeoJSON of the reports of the last `days` days (default 90)."""
    days = request.args.get("days", "90")
    start = runtime().clock() - timedelta(days=int(days) if days.isdigit() else 90)
    with runtime().session_factory() as db:
        rows = export_rows(db, report_config(runtime().settings).catalogue, ExportFilter(start=start))
    if kind == "csv":
        return Response(to_csv(rows), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=reports.csv"})
    if kind == "geojson":
        return Response(geojson_bytes(rows), mimetype="application/geo+json",
                        headers={"Content-Disposition": "attachment; filename=reports.geojson"})
    abort(404)


def _statuses() -> tuple[ReportStatus, ...]:
    chosen = request.args.get("status", "open")
    if chosen == "open":
        return tuple(OPEN)
    if chosen == "closed":
        return tuple(CLOSED)
    try:
        return (ReportStatus(chosen),)
    except ValueError:
        return tuple(OPEN)


def _department() -> str:
    return request.args.get("department", "")


def _scoped(reports: list[Report]) -> list[Report]:
    # A handler works only their own department's reports (matched by its key or its name).
    if g.staff.role is not Role.HANDLER:
        return reports
    return [r for r in reports if _is_theirs(r)]


def _is_theirs(report: Report) -> bool:
    catalogue = report_config(runtime().settings).catalogue
    department = catalogue.departments.get(report.department)
    names = {report.department, department.name if department else ""}
    return g.staff.department in names


def _visible(db, report_id: int) -> Report:  # type: ignore[no-untyped-def]
    report = db.get(Report, report_id)
    if report is None or report.receipt_number is None or (g.staff.role is Role.HANDLER and not _is_theirs(report)):
        abort(404)
    return report


def _receipt_to_id(receipt: str) -> int | None:
    if not receipt.strip():
        return None
    with runtime().session_factory() as db:
        found = db.scalar(select(Report.id).where(Report.receipt_number == receipt.strip()))
    if found is None:
        raise ReportError(f"受付番号 {receipt} の通報はありません")
    return found


def _category_name(catalogue, code: str) -> str:  # type: ignore[no-untyped-def]
    category = catalogue.category(code)
    return category.name if category else code
