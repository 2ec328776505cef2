"""Wiring the admin into the Flask app: blueprints, the signed-in staff member, guards on every request."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from admin import security
from admin.models import StaffUser
from admin.views import auth, broadcasts, dashboard, faq, inquiries, reports, settings, staff, triage
from admin.context import runtime
from core.clock import JST

BLUEPRINTS = (auth.blueprint, dashboard.blueprint, faq.blueprint, triage.blueprint, inquiries.blueprint,
              reports.blueprint, broadcasts.blueprint, staff.blueprint, settings.blueprint)
_ADMIN_BLUEPRINTS = frozenset(blueprint.name for blueprint in BLUEPRINTS)


def register_admin(app: Flask) -> None:
    """Mount the admin under /admin."""
    secure = _secure_cookies(app)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_NAME="madoguchi_admin")
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # App-level hooks that act only on admin requests: blueprints are module singletons, shared
    # by every app a process builds (tests build many), so they must not gain hooks per app.
    app.before_request(_guard_admin_request)
    app.after_request(_admin_headers)
    for status in (400, 403, 404, 413):
        app.register_error_handler(status, _error_page)
    app.jinja_env.globals.update(csrf_token=security.csrf_token, can=security.can)
    app.jinja_env.filters["jst"] = _jst


def _secure_cookies(app: Flask) -> bool:
    # The demo serves plain http on localhost, where a Secure cookie would never come back.
    settings = app.extensions["madoguchi"].settings
    return settings.admin_secure_cookies and not settings.demo


def _is_admin_request() -> bool:
    return request.blueprint in _ADMIN_BLUEPRINTS


def _guard_admin_request() -> object | None:
    if not _is_admin_request():
        return None
    redirect_ = _load_staff()
    if redirect_ is not None:
        return redirect_
    security.check_csrf()
    return None


def _admin_headers(response: Response) -> Response:
    return security.set_security_headers(response) if _is_admin_request() else response


def _load_staff() -> object | None:
    g.staff = None
    staff_id, last_seen = session.get("staff_id"), session.get("last_seen")
    if staff_id is None:
        return None
    now = runtime().clock()
    if last_seen is None or now.timestamp() - float(last_seen) > security.IDLE_TIMEOUT.total_seconds():
        session.clear()
        return redirect(url_for("admin_auth.login", next=request.path, expired=1))
    with runtime().session_factory() as db:
        staff = db.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        session.clear()
        return redirect(url_for("admin_auth.login"))
    g.staff = staff
    session["last_seen"] = now.timestamp()
    return None


def _jst(value: datetime | None) -> str:
    """A stored UTC time as staff read it: Japan time, to the minute."""
    return "" if value is None else value.astimezone(JST).strftime("%Y-%m-%d %H:%M")


_ERROR_MESSAGES = {
    400: "送信された内容を処理できませんでした。画面を読み込み直してから、もう一度お試しください。",
    403: "この操作を行う権限がありません。必要な場合は管理者にご相談ください。",
    404: "お探しのページは見つかりませんでした。",
    413: "ファイルが大きすぎます。",
}


def _error_page(error: HTTPException) -> object:
    if not _is_admin_request():
        return error  # the webhook and APIs keep their own plain answers
    status = error.code or 500
    return render_template("admin/error.html", status=status, message=_ERROR_MESSAGES.get(status, "")), status
