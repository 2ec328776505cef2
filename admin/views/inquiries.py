"""The inquiry inbox: by status and department, the conversation, reply (pushed to LINE), assign, close."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from admin.accounts import log_access
from admin.models import Role
from admin.reply_templates import INQUIRY_TEMPLATES
from admin.security import client_address, requires
from admin.context import runtime
from inquiries.models import Inquiry, InquiryStatus
from inquiries.services import InquiryError, assign, close, reply_as_staff

blueprint = Blueprint("admin_inquiries", __name__, url_prefix="/admin/inquiries")
PAGE = 100


@blueprint.get("/")
@requires("cases")
def index() -> str:
    """Inquiries in one status (new first), limited to the handler's department."""
    status = request.args.get("status", "new")
    statement = select(Inquiry).order_by(Inquiry.created_at.desc()).limit(PAGE)
    if status in {s.value for s in InquiryStatus}:
        statement = statement.where(Inquiry.status == InquiryStatus(status))
    department = request.args.get("department", "")
    if department:
        statement = statement.where(Inquiry.department == department)
    statement = _scoped(statement)
    with runtime().session_factory() as db:
        inquiries = list(db.scalars(statement))
        departments = sorted(d for d in db.scalars(select(Inquiry.department).distinct()) if d)
    return render_template("admin/inquiries.html", inquiries=inquiries, status=status, statuses=InquiryStatus,
                           department=department, departments=departments)


@blueprint.get("/<int:inquiry_id>")
@requires("cases")
def show(inquiry_id: int) -> str:
    """The conversation; looking at it is written to the access log."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        inquiry = _visible(db, inquiry_id)
        log_access(db, g.staff, "view_inquiry", "inquiry", inquiry.id, address=client_address(), now=rt.clock())
        messages = list(inquiry.messages)
    citizen = next((m.text for m in messages if m.author == "citizen"), "")
    staff = next((m.text for m in reversed(messages) if m.author == "staff"), "")
    return render_template("admin/inquiry.html", inquiry=inquiry, messages=messages, templates=INQUIRY_TEMPLATES,
                           statuses=InquiryStatus, faq_question=citizen, faq_answer=staff)


@blueprint.post("/<int:inquiry_id>/reply")
@requires("cases")
def reply(inquiry_id: int) -> object:
    """Store the reply and wake the worker, which pushes it to the citizen's LINE."""
    rt = runtime()
    try:
        with rt.session_factory.begin() as db:
            _visible(db, inquiry_id)
            reply_as_staff(db, inquiry_id, request.form.get("text", ""), staff_name=g.staff.display_name,
                           now=rt.clock())
    except InquiryError as exc:
        flash(f"送信できませんでした：{exc}", "error")
        return redirect(url_for("admin_inquiries.show", inquiry_id=inquiry_id))
    if rt.worker is not None:
        rt.worker.notify()
    flash("回答を送信しました（LINEに届けます）。", "info")
    return redirect(url_for("admin_inquiries.show", inquiry_id=inquiry_id))


@blueprint.post("/<int:inquiry_id>/assign")
@requires("cases")
def assign_to(inquiry_id: int) -> object:
    """Give the inquiry to a department and a person."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        _visible(db, inquiry_id)
        assign(db, inquiry_id, department=request.form.get("department", "").strip(),
               staff_name=request.form.get("assigned_to", "").strip() or g.staff.display_name, now=rt.clock())
    flash("担当を変更しました。", "info")
    return redirect(url_for("admin_inquiries.show", inquiry_id=inquiry_id))


@blueprint.post("/<int:inquiry_id>/close")
@requires("cases")
def close_inquiry(inquiry_id: int) -> object:
    """Close it: the citizen's next messages are ordinary questions again."""
    rt = runtime()
    with rt.session_factory.begin() as db:
        _visible(db, inquiry_id)
        close(db, inquiry_id, now=rt.clock())
    flash("問い合わせを終了しました。", "info")
    return redirect(url_for("admin_inquiries.index"))


def _scoped(statement):  # type: ignore[no-untyped-def]
    # A handler works only their own department's inquiries; admins see every one.
    if g.staff.role is Role.HANDLER:
        return statement.where(Inquiry.department == g.staff.department)
    return statement


def _visible(db, inquiry_id: int) -> Inquiry:  # type: ignore[no-untyped-def]
    inquiry = db.scalars(_scoped(select(Inquiry).where(Inquiry.id == inquiry_id))).first()
    if inquiry is None:
        abort(404)
    return inquiry
