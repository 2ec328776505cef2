"""Staff accounts (admins only): list, add, suspend or restore, reset a password."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from admin.accounts import AccountError, create_staff, list_staff, reset_password, set_active
from admin.context import runtime
from admin.models import Role
from admin.security import requires

blueprint = Blueprint("admin_staff", __name__, url_prefix="/admin/staff")
ROLE_NAMES = {"admin": "管理者", "editor": "編集者（FAQ・配信）", "handler": "担当者（問い合わせ・通報）",
              "viewer": "閲覧者（統計のみ）"}


@blueprint.get("/")
@requires("staff")
def index() -> str:
    """Every account with its role and department."""
    with runtime().session_factory() as db:
        accounts = list_staff(db)
    return render_template("admin/staff.html", accounts=accounts, roles=ROLE_NAMES)


@blueprint.post("/")
@requires("staff")
def add() -> object:
    """Add an account."""
    form = request.form
    try:
        with runtime().session_factory.begin() as db:
            create_staff(db, login=form.get("login", ""), display_name=form.get("display_name", ""),
                         password=form.get("password", ""), role=Role(form.get("role", "viewer")),
                         department=form.get("department", ""), now=runtime().clock())
    except (AccountError, ValueError) as exc:
        flash(str(exc), "error")
    else:
        flash("職員アカウントを追加しました。", "info")
    return redirect(url_for("admin_staff.index"))


@blueprint.post("/<int:staff_id>/active")
@requires("staff")
def activate(staff_id: int) -> object:
    """Suspend or restore an account (a suspended account cannot sign in; its sessions end)."""
    try:
        with runtime().session_factory.begin() as db:
            set_active(db, staff_id, request.form.get("active") == "1", acting=g.staff)
    except AccountError as exc:
        flash(str(exc), "error")
    return redirect(url_for("admin_staff.index"))


@blueprint.post("/<int:staff_id>/password")
@requires("staff")
def password(staff_id: int) -> object:
    """Set a new password for an account."""
    try:
        with runtime().session_factory.begin() as db:
            reset_password(db, staff_id, request.form.get("password", ""))
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash("パスワードを変更しました。", "info")
    return redirect(url_for("admin_staff.index"))
