"""The app factory: one Flask app serving the webhook (and, later, the admin)."""
from __future__ import annotations

import atexit
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from admin.web import register_admin
from bot import api_docs, health, open311, webchat, webhook
from bot.processing import SEND_THREADS, EventProcessor, InlineWorker
from bot.runtime import Runtime
from core.config import Settings
from core.db import make_engine, make_session_factory, utcnow
from core.line_gateway import LineGateway, SdkLineGateway
from faq.answering import FaqAnswerer


def create_app(settings: Settings | None = None, *, line: LineGateway | None = None,
               clock: Callable[[], datetime] = utcnow, start_worker: bool | None = None) -> Flask:
    """Build Madoguchi: settings from the environment unless given, LINE through the SDK unless given.

    The database must already be migrated (`madoguchi db upgrade`). The inline worker thread starts
    when settings.inline_worker is on, unless start_worker says otherwise (tests drain by hand).
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=webhook.MAX_BODY_BYTES)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    line = line or SdkLineGateway(access_token=settings.line_channel_access_token,
                                  api_base=settings.line_api_base, data_api_base=settings.line_data_api_base)
    answerer = FaqAnswerer.from_database_when_reachable(session_factory)
    run_worker = settings.inline_worker if start_worker is None else start_worker
    # Draining by hand (tests) sends one reply at a time, in order.
    processor = EventProcessor(session_factory, line, answerer, clock, settings=settings,
                               send_threads=SEND_THREADS if run_worker else 1)
    worker = InlineWorker(processor) if run_worker else None
    app.extensions["madoguchi"] = Runtime(settings=settings, engine=engine, session_factory=session_factory,
                                          line=line, answerer=answerer, clock=clock, processor=processor,
                                          worker=worker)
    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(webchat.blueprint)
    app.register_blueprint(open311.blueprint)
    app.register_blueprint(api_docs.blueprint)
    register_admin(app)
    if worker is not None:
        worker.start()
        atexit.register(worker.stop)
    return app
