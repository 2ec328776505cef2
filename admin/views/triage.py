"""Unanswered-question triage: turn what citizens asked into paraphrases or new FAQ entries."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from admin.security import requires
from admin.views.faq import refresh_answers
from admin.context import runtime
from faq.editing import FaqEditError, add_paraphrase
from faq.match import rank
from faq.triage import STATUSES, set_triage_status, triage_groups

blueprint = Blueprint("admin_triage", __name__, url_prefix="/admin/triage")
SUGGESTIONS = 3


@blueprint.get("/")
@requires("faq")
def index() -> str:
    """The queue for one status, grouped by wording, each with the engine's best guesses."""
    status = request.args.get("status", "new")
    status = status if status in STATUSES else "new"
    with runtime().session_factory() as db:
        groups = triage_groups(db, status=status)
    index_ = runtime().answerer.index
    rows = [(group, rank(group.text, index_, limit=SUGGESTIONS)) for group in groups]
    return render_template("admin/triage.html", rows=rows, status=status, statuses=STATUSES)


@blueprint.post("/paraphrase")
@requires("faq")
def paraphrase() -> object:
    """Add the citizen's wording to an FAQ entry: from now on it finds that answer."""
    text, faq_id, ids = request.form.get("text", ""), request.form.get("faq_id", "").strip(), _ids()
    try:
        with runtime().session_factory.begin() as db:
            add_paraphrase(db, faq_id, text, staff=g.staff.display_name, now=runtime().clock())
            set_triage_status(db, ids, "applied")
    except FaqEditError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin_triage.index"))
    refresh_answers()
    flash(f"「{text}」を {faq_id} の言い換えに加えました。「質問を試す」ですぐ確かめられます。", "info")
    return redirect(url_for("admin_triage.index"))


@blueprint.post("/status")
@requires("faq")
def change_status() -> object:
    """保留 / 対応しない / 新規に戻す."""
    status = request.form.get("status", "")
    if status not in STATUSES:
        flash("その状態にはできません。", "error")
        return redirect(url_for("admin_triage.index"))
    with runtime().session_factory.begin() as db:
        set_triage_status(db, _ids(), status)
    return redirect(url_for("admin_triage.index", status=request.form.get("from", "new")))


def _ids() -> list[int]:
    raw = request.form.get("question_ids", "")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()][:10_000]
