"""Health checks and metrics: /healthz (alive), /readyz (can serve), /metrics (Prometheus)."""
from __future__ import annotations

import logging
import os

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import runtime
from core.inbox import count_pending

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)
# Read at each scrape rather than kept up to date: the inbox is shared by every process.
INBOX_PENDING = Gauge("madoguchi_inbox_pending", "Webhook events waiting to be processed", multiprocess_mode="max")


@blueprint.get("/healthz")
def healthz() -> object:
    """The process answers: nothing else is checked (restart it if this fails)."""
    return jsonify(status="ok")


@blueprint.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics (every worker's, in multiprocess mode), plus the inbox's depth now."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    try:
        with runtime().session_factory() as session:
            INBOX_PENDING.set(count_pending(session))
    except SQLAlchemyError:
        INBOX_PENDING.set(-1)  # unknown: /readyz says why
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


@blueprint.get("/readyz")
def readyz() -> object:
    """The database answers too: take the instance out of rotation while it does not."""
    rt = runtime()
    if rt.store_guard.is_stuck():  # a webhook's store has hung for over a second: no need to wait as well
        return jsonify(status="unavailable", database="not answering"), 503
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness: database unavailable (%s)", type(exc).__name__)
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
