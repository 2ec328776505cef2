"""Settings (admins only): the delivery categories and areas citizens choose from in 受信設定."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from admin.context import runtime
from admin.security import requires
from broadcast.models import Area, DeliveryCategory

blueprint = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")
KINDS = {"category": DeliveryCategory, "area": Area}
KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


@blueprint.get("/")
@requires("staff")
def index() -> str:
    """Both lists, in the order citizens see them."""
    with runtime().session_factory() as db:
        categories = list(db.scalars(select(DeliveryCategory).order_by(DeliveryCategory.sort_order)))
        areas = list(db.scalars(select(Area).order_by(Area.sort_order)))
    return render_template("admin/settings.html", categories=categories, areas=areas)


@blueprint.post("/<kind>")
@requires("staff")
def add(kind: str) -> object:
    """Add a category or an area (its key is what postbacks and segments use: it never changes)."""
    model = KINDS.get(kind)
    key, name = request.form.get("key", "").strip(), request.form.get("name", "").strip()
    if model is None or not KEY_PATTERN.match(key) or not 1 <= len(name) <= 20:
        flash("キーは半角英小文字・数字（32文字まで）、名前は20文字までで入力してください。", "error")
        return redirect(url_for("admin_settings.index"))
    with runtime().session_factory.begin() as db:
        if db.scalar(select(model.id).where(model.key == key)) is not None:
            flash(f"キー「{key}」はすでにあります。", "error")
            return redirect(url_for("admin_settings.index"))
        order = (db.scalar(select(func.max(model.sort_order))) or 0) + 1
        db.add(model(key=key, name=name, sort_order=order))
    flash(f"「{name}」を追加しました。", "info")
    return redirect(url_for("admin_settings.index"))


@blueprint.post("/<kind>/<int:item_id>")
@requires("staff")
def update(kind: str, item_id: int) -> object:
    """Rename, or switch on and off (an item switched off disappears from 受信設定; choices are kept)."""
    model = KINDS.get(kind)
    name = request.form.get("name", "").strip()
    with runtime().session_factory.begin() as db:
        item = db.get(model, item_id) if model else None
        if item is None or not 1 <= len(name) <= 20:
            flash("名前は1〜20文字で入力してください。", "error")
            return redirect(url_for("admin_settings.index"))
        item.name, item.enabled = name, request.form.get("enabled") == "1"
    flash("保存しました。", "info")
    return redirect(url_for("admin_settings.index"))
