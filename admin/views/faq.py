"""FAQ screens: search with the engine itself, edit with history, import/export, try a question."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from admin.security import requires
from admin.context import runtime
from faq.corpus_csv import CorpusFormatError, read_csv, split_list, write_csv
from faq.corpus_xlsx import read_xlsx, write_xlsx
from faq.editing import EntryDraft, FaqEditError, create_entry, entry_by_id, update_entry, versions_of
from faq.match import rank
from faq.models import FaqCategory, FaqEntry
from faq.services import export_rows, import_rows
from faq.synonym_groups import SynonymError, city_groups, delete_group, save_group
from faq.synonyms import default_synonyms

blueprint = Blueprint("admin_faq", __name__, url_prefix="/admin/faq")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def refresh_answers() -> None:
    """Apply the edit to this process's live index at once (other processes follow within a second)."""
    rt = runtime()
    with rt.session_factory() as db:
        rt.answerer.sync(db, force=True)


@blueprint.get("/")
@requires("faq")
def index() -> str:
    """Every entry, or the engine's own ranking for a search, optionally in one category."""
    query, category = request.args.get("q", "").strip(), request.args.get("category", "")
    with runtime().session_factory() as db:
        categories = list(db.scalars(select(FaqCategory.name).order_by(FaqCategory.sort_order)))
        entries = list(db.scalars(select(FaqEntry).order_by(FaqEntry.external_id)))
    if query:
        ranked = [hit.faq_id for hit in rank(query, runtime().answerer.index, limit=30)]
        by_id = {e.external_id: e for e in entries}
        entries = [by_id[faq_id] for faq_id in ranked if faq_id in by_id]
    if category:
        entries = [e for e in entries if e.category and e.category.name == category]
    return render_template("admin/faq_list.html", entries=entries, query=query, category=category,
                           categories=categories)


@blueprint.route("/new", methods=["GET", "POST"])
@requires("faq")
def new() -> object:
    """Write a new entry (optionally started from ?question=… and ?answer=…)."""
    if request.method == "GET":
        # Started from a citizen's question (triage) or from an answered inquiry (question + staff answer).
        return render_template("admin/faq_edit.html", entry=None, draft=EntryDraft(
            question=request.args.get("question", ""), answer=request.args.get("answer", "")), versions=[])
    draft = _draft_from_form()
    try:
        with runtime().session_factory.begin() as db:
            create_entry(db, request.form.get("external_id", ""), draft, staff=g.staff.display_name,
                         now=runtime().clock())
    except FaqEditError as exc:
        flash(str(exc), "error")
        return render_template("admin/faq_edit.html", entry=None, draft=draft, versions=[]), 400
    refresh_answers()
    flash("FAQを追加しました。市民への回答にすぐ使われます。", "info")
    return redirect(url_for("admin_faq.edit", external_id=request.form.get("external_id", "").strip()))


@blueprint.route("/entry/<external_id>", methods=["GET", "POST"])
@requires("faq")
def edit(external_id: str) -> object:
    """Edit an entry; the previous version is kept."""
    if request.method == "POST":
        try:
            with runtime().session_factory.begin() as db:
                update_entry(db, external_id, _draft_from_form(), staff=g.staff.display_name, now=runtime().clock())
        except FaqEditError as exc:
            flash(str(exc), "error")
        else:
            refresh_answers()
            flash("保存しました。市民への回答にすぐ反映されます。", "info")
        return redirect(url_for("admin_faq.edit", external_id=external_id))
    with runtime().session_factory() as db:
        try:
            entry = entry_by_id(db, external_id)
            versions = versions_of(db, external_id)
        except FaqEditError:
            abort(404)
        draft = EntryDraft(entry.question, entry.answer, entry.category.name if entry.category else "",
                           tuple(p.text for p in entry.paraphrases), split_list(entry.keywords), entry.enabled)
    return render_template("admin/faq_edit.html", entry=entry, draft=draft, versions=versions)


def _draft_from_form() -> EntryDraft:
    form = request.form
    return EntryDraft(question=form.get("question", ""), answer=form.get("answer", ""),
                      category=form.get("category", ""),
                      paraphrases=tuple(line.strip() for line in form.get("paraphrases", "").splitlines()),
                      keywords=split_list(form.get("keywords", "").replace("、", "|").replace(",", "|")),
                      enabled=form.get("enabled") == "1")


@blueprint.route("/try", methods=["GET", "POST"])
@requires("faq")
def try_question() -> str:
    """Ask the engine as a citizen would, and see its decision, hits, scores and reasons."""
    question = request.values.get("question", "").strip()
    result = runtime().answerer.match(question) if question else None
    return render_template("admin/faq_try.html", question=question, result=result,
                           index=runtime().answerer.index)


@blueprint.route("/import", methods=["GET", "POST"])
@requires("faq")
def import_file() -> object:
    """Upload → preview (or every broken row) → import all at once."""
    if request.method == "GET":
        return render_template("admin/faq_import.html")
    raw, name = _uploaded()
    try:
        rows = read_xlsx(raw) if name.endswith(".xlsx") else read_csv(raw)
    except CorpusFormatError as exc:
        return render_template("admin/faq_import.html", errors=exc.errors, name=name), 400
    if request.form.get("confirm") != "1":
        return render_template("admin/faq_import.html", preview=rows, name=name,
                               payload=base64.b64encode(raw).decode("ascii"))
    with runtime().session_factory.begin() as db:
        summary = import_rows(db, rows, staff=g.staff.display_name, now=runtime().clock())
    refresh_answers()
    flash(f"{len(rows)}件を取り込みました（新規 {summary.created}件、変更 {summary.updated}件、"
          f"変更なし {summary.unchanged}件）。", "info")
    return redirect(url_for("admin_faq.index"))


def _uploaded() -> tuple[bytes, str]:
    if "payload" in request.form:  # the confirmed preview posts the same bytes back
        try:
            return base64.b64decode(request.form["payload"], validate=True), request.form.get("name", "")
        except (binascii.Error, ValueError):
            abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="no file")
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        abort(413)
    return raw, upload.filename.lower()


@blueprint.get("/export.<kind>")
@requires("faq")
def export(kind: str) -> Response:
    """The whole FAQ as CSV (UTF-8 with BOM) or Excel."""
    with runtime().session_factory() as db:
        rows = export_rows(db)
    if kind == "csv":
        return Response(write_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=faq.csv"})
    if kind == "xlsx":
        return Response(write_xlsx(rows), headers={"Content-Disposition": "attachment; filename=faq.xlsx"},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


@blueprint.route("/synonyms", methods=["GET", "POST"])
@requires("faq")
def synonyms() -> object:
    """The city's own 言い換え groups (ごみ・ゴミ・塵), on top of the bundled list."""
    if request.method == "POST":
        try:
            with runtime().session_factory.begin() as db:
                save_group(db, request.form.get("terms", ""), staff=g.staff.display_name, now=runtime().clock(),
                           group_id=int(request.form["group_id"]) if request.form.get("group_id", "").isdigit() else None)
        except SynonymError as exc:
            flash(str(exc), "error")
        else:
            refresh_answers()
            flash("保存しました。すべてのFAQに反映しました。", "info")
        return redirect(url_for("admin_faq.synonyms"))
    with runtime().session_factory() as db:
        groups = city_groups(db)
    return render_template("admin/faq_synonyms.html", groups=groups, bundled=len(default_synonyms().groups))


@blueprint.post("/synonyms/<int:group_id>/delete")
@requires("faq")
def delete_synonyms(group_id: int) -> object:
    """Remove one of the city's groups."""
    with runtime().session_factory.begin() as db:
        delete_group(db, group_id)
    refresh_answers()
    flash("削除しました。", "info")
    return redirect(url_for("admin_faq.synonyms"))
