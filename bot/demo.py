"""`madoguchi demo`: Madoguchi and the LINE emulator in one process, on SQLite, with the sample FAQ."""
from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from admin.accounts import create_staff
from admin.models import Role, StaffUser
from bot.app import create_app
from broadcast.defaults import DEMO_AREAS
from broadcast.preferences import seed_areas
from bot.migrate import upgrade
from core.config import DEFAULT_DATABASE_URL, Settings
from core.db import make_engine, make_session_factory, utcnow
from faq.corpus_csv import read_csv
from faq.models import FaqEntry
from faq.services import import_rows

DEMO_STAFF_LOGIN = "demo"
DEMO_STAFF_PASSWORD = "madoguchi-demo"
SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "faq" / "sample" / "minato_faq.csv"
log = logging.getLogger(__name__)


def run_demo(*, host: str = "127.0.0.1", port: int = 8000, emulator_port: int = 8001,
             line_api: str | None = None) -> int:
    """Migrate, seed, start both servers, print the URLs, and run until Ctrl-C.

    `line_api` points the demo at a LINE emulator already running elsewhere (the fan-out benchmark
    kills and restarts the demo, and the emulator's record must outlive it) instead of embedding one.
    """
    from emulator.app import EmulatorConfig, create_app as create_emulator

    stop = _stop_on_sigterm()  # before anything starts: a SIGTERM during start-up must stop cleanly too
    emulator_url = line_api.rstrip("/") if line_api else f"http://{host}:{emulator_port}"
    settings = Settings.from_env({
        **os.environ, "MADOGUCHI_DEMO": "1", "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        "LINE_API_BASE": emulator_url, "LINE_DATA_API_BASE": emulator_url,
    })
    prepare_database(settings.database_url)
    servers = [make_server(host, port, create_app(settings), threaded=True)]
    if not line_api:
        emulator = create_emulator(EmulatorConfig(
            channel_secret=settings.line_channel_secret, channel_access_token=settings.line_channel_access_token,
            webhook_url=f"http://{host}:{port}/callback", public_base_url=emulator_url))
        servers.append(make_server(host, emulator_port, emulator, threaded=True))
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    from bot.scheduler import start_for_app

    scheduler = start_for_app(servers[0].app)  # scheduled broadcasts; the inline worker delivers them
    _deploy_rich_menu(settings)
    print(f"""
Madoguchi demo is running (SQLite: {settings.database_url}).
  Chat as a citizen:   {emulator_url}/
  Staff admin:         http://{host}:{port}/admin/  (login {DEMO_STAFF_LOGIN} / password {DEMO_STAFF_PASSWORD})
  Homepage web chat:   http://{host}:{port}/webchat/demo
  Webhook:             http://{host}:{port}/callback
  Emulator record:     {emulator_url}/_emulator/requests
Press Ctrl-C to stop.
""", flush=True)
    _wait_for_interrupt(stop)
    if scheduler is not None:
        scheduler.shutdown()
    _shutdown(servers)
    print("Madoguchi demo stopped.")
    return 0


def prepare_database(database_url: str) -> None:
    """Migrate, and load the sample FAQ (if the database has none) and the demo city's areas."""
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        if session.scalar(select(FaqEntry.id).limit(1)) is None:
            summary = import_rows(session, read_csv(SAMPLE_CORPUS), staff="demo", now=utcnow())
            log.info("sample FAQ loaded: %d entries", summary.created)
        seed_areas(session, DEMO_AREAS)
        if session.scalar(select(StaffUser.id).limit(1)) is None:
            # A published password is fine here only: the demo listens on localhost, with fictional data.
            create_staff(session, login=DEMO_STAFF_LOGIN, display_name="デモ職員", password=DEMO_STAFF_PASSWORD,
                         role=Role.ADMIN, now=utcnow())
    engine.dispose()


def _deploy_rich_menu(settings: Settings) -> None:
    """Give the emulator the city's rich menu, as `madoguchi richmenu deploy` would give LINE."""
    from bot.richmenu.definition import load_menu
    from bot.richmenu.deploy import deploy, gateway_from_settings
    from bot.richmenu.render import find_font, render

    definition = load_menu("main")
    try:
        deploy(gateway_from_settings(settings), definition, render(definition, font=find_font()))
    except Exception as exc:  # the demo works without a menu: say so and go on
        log.warning("rich menu not deployed: %s", exc)


def _stop_on_sigterm() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def _wait_for_interrupt(stop: threading.Event) -> None:
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def _shutdown(servers: list[BaseWSGIServer]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()
