"""Sign in and out."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from admin.accounts import ThrottledError, authenticate
from admin.security import client_address, sign_in
from admin.context import runtime

ADMIN_DIR = Path(__file__).resolve().parents[1]
blueprint = Blueprint("admin_auth", __name__, url_prefix="/admin", template_folder=str(ADMIN_DIR / "templates"),
                      static_folder=str(ADMIN_DIR / "static"), static_url_path="/static")


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> object:
    """The sign-in form; throttled after repeated failures."""
    if request.method == "GET":
        return render_template("admin/login.html", expired=request.args.get("expired"))
    rt = runtime()
    try:
        with rt.session_factory.begin() as db:
            staff = authenticate(db, request.form.get("login", ""), request.form.get("password", ""),
                                 address=client_address(), now=rt.clock())
    except ThrottledError:
        flash("ログインの失敗が続いたため、15分ほど待ってからお試しください。", "error")
        return render_template("admin/login.html"), 429
    if staff is None:
        flash("ログインIDまたはパスワードが違います。", "error")
        return render_template("admin/login.html"), 401
    sign_in(staff, rt.clock())
    return redirect(_safe_next(request.args.get("next")))


@blueprint.post("/logout")
def logout() -> object:
    """End the session."""
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("admin_auth.login"))


def _safe_next(target: str | None) -> str:
    # Only paths inside the admin: never an open redirect to another site.
    if target and target.startswith("/admin") and not urlparse(target).netloc and not target.startswith("//"):
        return target
    return url_for("admin_dashboard.index")
