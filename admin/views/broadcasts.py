"""Broadcasts for staff: compose with a phone-like preview and the segment's live size, test send,
send now or schedule, cancel, the history with delivery figures, and the emergency screen.

Delivery figures are ours (chunks LINE accepted) beside LINE's own daily totals for the account
(broadcast.insight), fetched after the database session is closed and never allowed to fail a page.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from flask import (Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   url_for)

from admin.context import runtime
from admin.security import requires
from broadcast.compose import ComposeError, image_message, notice_flex, text_message
from broadcast.insight import DailyInsights, InsightClient, LineDayFigures
from broadcast.planning import segment_size
from broadcast.preferences import enabled_areas, enabled_categories
from broadcast.recurrence import RecurrenceError
from broadcast.reports import DeliveryReport, delivery_days, delivery_reports, line_figures_for, reports_csv
from broadcast.segments import Segment, SegmentError
from broadcast.services import (BroadcastError, cancel, compose_broadcast, list_broadcasts, preview, schedule,
                                send_emergency, send_now, send_test)
from core.clock import JST
from core.line_gateway import LineApiError

blueprint = Blueprint("admin_broadcasts", __name__, url_prefix="/admin/broadcasts")
STATUS_NAMES = {"draft": "下書き", "scheduled": "予約", "queued": "送信準備中", "sending": "送信中", "done": "送信済み",
                "empty": "対象者なし", "cancelled": "取り消し"}
ERRORS = (BroadcastError, ComposeError, SegmentError, RecurrenceError, ValueError)
# Why a day of LINE's figures has no number: LINE's status (or ours, "error", when LINE could not be asked).
LINE_NOTES = {"unready": "LINEの集計は翌日以降に表示されます。",
              "out_of_service": "この日のLINEの集計は提供されていません。",
              "error": "LINEの集計を取得できませんでした。しばらくしてから再度お試しください。"}
LINE_NOTES_SHORT = {"unready": "翌日以降に表示", "out_of_service": "集計なし", "error": "取得できませんでした"}
LINE_INSIGHTS_KEY = "madoguchi_line_insights"


@blueprint.get("/")
@requires("broadcast")
def index() -> str:
    """Every broadcast, newest first, with how its delivery went."""
    with runtime().session_factory() as db:
        broadcasts = list_broadcasts(db, limit=100)
        figures = {r.broadcast_id: r for r in delivery_reports(db, [b.id for b in broadcasts])}
    line = _line_figures(list(figures.values()))
    return render_template("admin/broadcasts.html", broadcasts=broadcasts, figures=figures, names=STATUS_NAMES,
                           line={i: line_figures_for(r, line) for i, r in figures.items()}, line_notes=LINE_NOTES,
                           line_notes_short=LINE_NOTES_SHORT)


@blueprint.route("/new", methods=["GET", "POST"])
@requires("broadcast")
def new() -> object:
    """Write a broadcast and choose who receives it; saved as a draft to preview."""
    with runtime().session_factory() as db:
        categories, areas = enabled_categories(db), enabled_areas(db)
    if request.method == "GET":
        return render_template("admin/broadcast_new.html", categories=categories, areas=areas, form={})
    try:
        with runtime().session_factory.begin() as db:
            broadcast = compose_broadcast(db, title=request.form.get("title", ""), messages=_messages(),
                                          segment=_segment(), created_by=g.staff.display_name, now=runtime().clock())
    except ERRORS as exc:
        flash(f"保存できませんでした：{exc}", "error")
        return render_template("admin/broadcast_new.html", categories=categories, areas=areas, form=request.form), 400
    return redirect(url_for("admin_broadcasts.show", broadcast_id=broadcast.id))


@blueprint.get("/size")
@requires("broadcast")
def size() -> Response:
    """How many followers the segment in the form reaches now (the compose screen asks as staff tick boxes)."""
    try:
        segment = _segment(request.args)
    except ERRORS as exc:
        return jsonify(error=str(exc)), 400
    with runtime().session_factory() as db:
        return jsonify(recipients=segment_size(db, segment))


@blueprint.get("/<int:broadcast_id>")
@requires("broadcast")
def show(broadcast_id: int) -> str:
    """The phone-like preview, the segment and its size, and what can be done next."""
    with runtime().session_factory() as db:
        try:
            shown = preview(db, broadcast_id)
        except BroadcastError:
            abort(404)
        figures = delivery_reports(db, [broadcast_id])
    line = line_figures_for(figures[0], _line_figures(figures)) if figures else []
    return render_template("admin/broadcast.html", b=shown, names=STATUS_NAMES, figures=figures[0] if figures else None,
                           test_recipients=runtime().settings.broadcast_test_recipients, line=line,
                           line_notes=LINE_NOTES)


@blueprint.post("/<int:broadcast_id>/<action>")
@requires("broadcast")
def act(broadcast_id: int, action: str) -> object:
    """テスト配信 / 今すぐ送る / 予約 / 取り消し."""
    rt = runtime()
    try:
        with rt.session_factory.begin() as db:
            message = _do(db, broadcast_id, action)
    except (LineApiError, *ERRORS) as exc:
        flash(f"できませんでした：{exc}", "error")
        return redirect(url_for("admin_broadcasts.show", broadcast_id=broadcast_id))
    if rt.worker is not None:
        rt.worker.notify()
    flash(message, "info")
    return redirect(url_for("admin_broadcasts.show", broadcast_id=broadcast_id))


def _do(db, broadcast_id: int, action: str) -> str:  # type: ignore[no-untyped-def]
    rt = runtime()
    if action == "test":
        recipients = rt.settings.broadcast_test_recipients
        if not recipients:
            raise BroadcastError("テスト配信先（BROADCAST_TEST_RECIPIENTS）が設定されていません")
        return f"テスト配信を{send_test(db, rt.line, broadcast_id, recipients)}人に送りました。"
    if action == "send":
        if request.form.get("confirm") != "1":
            raise BroadcastError("送信の確認にチェックを入れてください")
        chunks = send_now(db, broadcast_id, now=rt.clock())
        return "送信を始めました。" if chunks else "対象者がいないため、何も送りませんでした。"
    if action == "schedule":
        at = datetime.strptime(request.form.get("at", ""), "%Y-%m-%dT%H:%M").replace(tzinfo=JST)
        schedule(db, broadcast_id, at=at, repeat=request.form.get("repeat", "").strip() or None, now=rt.clock())
        return f"{at:%Y-%m-%d %H:%M} に送信するよう予約しました。"
    if action == "cancel":
        cancel(db, broadcast_id)
        return "取り消しました。"
    abort(404)


@blueprint.route("/emergency", methods=["GET", "POST"])
@requires("broadcast")
def emergency() -> object:
    """The emergency screen: one text to every follower, after an explicit confirmation."""
    if request.method == "GET":
        return render_template("admin/broadcast_emergency.html", text="")
    text = request.form.get("text", "").strip()
    if request.form.get("confirm") != "緊急配信":
        flash("確認のため「緊急配信」と入力してください。", "error")
        return render_template("admin/broadcast_emergency.html", text=text), 400
    rt = runtime()
    try:
        with rt.session_factory.begin() as db:
            broadcast = send_emergency(db, text=text, created_by=g.staff.display_name, now=rt.clock())
    except ERRORS as exc:
        flash(f"送信できませんでした：{exc}", "error")
        return render_template("admin/broadcast_emergency.html", text=text), 400
    if rt.worker is not None:
        rt.worker.notify()
    flash("緊急配信を始めました。", "info")
    return redirect(url_for("admin_broadcasts.show", broadcast_id=broadcast.id))


@blueprint.get("/report.csv")
@requires("broadcast")
def report_csv() -> Response:
    """Delivery figures of the recent broadcasts as CSV."""
    with runtime().session_factory() as db:
        reports = delivery_reports(db)
    body = reports_csv(reports, _line_figures(reports))
    return Response("\ufeff" + body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=broadcasts.csv"})


def _line_figures(reports: Sequence[DeliveryReport]) -> dict[date, LineDayFigures]:
    """LINE's daily figures for the days the reports were delivered on (never raises; see broadcast.insight)."""
    days = delivery_days(reports)
    return _line_insights().figures(days) if days else {}


def _line_insights() -> DailyInsights:
    # One cache per app (not per module): tests build many apps, each with its own LINE.
    insights = current_app.extensions.get(LINE_INSIGHTS_KEY)
    if insights is None:
        settings = runtime().settings
        client = InsightClient(access_token=settings.line_channel_access_token, api_base=settings.line_api_base)
        insights = current_app.extensions.setdefault(LINE_INSIGHTS_KEY, DailyInsights(client))
    return insights


def _messages() -> list[dict]:
    form = request.form
    messages = [text_message(body) for body in form.getlist("text") if body.strip()]
    if form.get("notice_title", "").strip():
        messages.append(notice_flex(form["notice_title"], form.get("notice_body", ""), form.get("notice_url") or None))
    if form.get("image_url", "").strip():
        messages.append(image_message(form["image_url"].strip()))
    return messages


def _segment(values=None) -> Segment:  # type: ignore[no-untyped-def]
    values = values if values is not None else request.form
    return Segment(categories=frozenset(values.getlist("category")), areas=frozenset(values.getlist("area")),
                   followed_after=_day(values.get("followed_after")), followed_before=_day(values.get("followed_before")))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
