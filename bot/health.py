"""Health checks for load balancers and process managers: /healthz (alive) and /readyz (can serve)."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import runtime

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> object:
    """The process answers: nothing else is checked (restart it if this fails)."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> object:
    """The database answers too: take the instance out of rotation while it does not."""
    try:
        with runtime().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness: database unavailable (%s)", type(exc).__name__)
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
