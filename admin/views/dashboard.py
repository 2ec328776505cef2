"""The dashboard: the cities' table for a period, monthly charts, inquiries; and the access log."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from markupsafe import Markup
from sqlalchemy import func, select

from admin.accounts import recent_access
from admin.charts import bar_chart
from admin.security import requires
from admin.context import runtime
from core.clock import JST
from faq.stats import friends_by_month, question_stats
from inquiries.models import Inquiry
from inquiries.services import first_response_hours
from reports.config import report_config
from reports.services import report_counts

blueprint = Blueprint("admin_dashboard", __name__, url_prefix="/admin")


@blueprint.get("/")
@requires("view")
def index() -> str:
    """全質問数・応答数・返答できなかった数・回答率 for the chosen period, and month by month."""
    start, end = _period()
    with runtime().session_factory() as db:
        stats = question_stats(db, start=start, end=end + timedelta(days=1))
        inquiries = {status.value: count for status, count in
                     db.execute(select(Inquiry.status, func.count()).group_by(Inquiry.status))}
        response_hours = first_response_hours(db, start=start, end=end + timedelta(days=1))
        reports = report_counts(db, start=start, end=end + timedelta(days=1))
        friends = friends_by_month(db, start=start, end=end + timedelta(days=1))
    months = [m["month"] for m in stats["by_month"]]
    charts = Markup(bar_chart(months, [m["answer_rate"] for m in stats["by_month"]], title="回答率（月別）")
                    + bar_chart(months, [m["helpful_rate"] for m in stats["by_month"]], title="役に立った率（月別）")
                    + bar_chart([f["month"] for f in friends], [f["follows"] for f in friends],
                                title="友だち追加（月別）", percent=False)
                    + bar_chart([f["month"] for f in friends], [f["blocks"] for f in friends],
                                title="ブロック（月別）", percent=False))
    catalogue = report_config(runtime().settings).catalogue
    return render_template("admin/dashboard.html", stats=stats, charts=charts, inquiries=inquiries,
                           start=start.date(), end=end.date(), reports=_report_table(reports, catalogue),
                           response=_median_and_count(response_hours))


def _report_table(counts: dict[tuple[str, str], int], catalogue) -> list[tuple[str, dict[str, int], int]]:  # type: ignore[no-untyped-def]
    """Rows of (category name, counts by status, total), most reported first."""
    rows: dict[str, dict[str, int]] = {}
    for (status, code), count in counts.items():
        category = catalogue.category(code)
        rows.setdefault(category.name if category else code, {})[status] = count
    return sorted(((name, by_status, sum(by_status.values())) for name, by_status in rows.items()),
                  key=lambda row: -row[2])


def _median_and_count(hours: list[float]) -> dict[str, float | int | None]:
    if not hours:
        return {"median": None, "count": 0}
    middle = len(hours) // 2
    median = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    return {"median": round(median, 1), "count": len(hours)}


@blueprint.get("/access-log")
@requires("staff")
def access_log() -> str:
    """Who looked at which citizen's personal data, newest first."""
    with runtime().session_factory() as db:
        entries = recent_access(db)
    return render_template("admin/access_log.html", entries=entries)


def _period() -> tuple[datetime, datetime]:
    """[start, end] days in Japan time from ?from=&to=; the last twelve months by default."""
    today = runtime().clock().astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    end = _day(request.args.get("to")) or today
    start = _day(request.args.get("from")) or (end - timedelta(days=365)).replace(day=1)
    return (start, end) if start <= end else (end, start)


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=JST)
    except ValueError:
        return None
