"""The emulator's app factory and runner: a local LINE Platform in one small Flask app.

One app serves both LINE hosts — api.line.me (messages, profile, rich menus, insight) and
api-data.line.me (content download, rich menu images) — plus the `/_emulator/*` control API and
the chat page at `/`. It imports nothing from the rest of Madoguchi.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Sequence

from flask import Flask, Response, jsonify, render_template, request
from gunicorn.app.base import BaseApplication
from werkzeug.exceptions import HTTPException

from emulator import chat_menu, control, insight, messaging, richmenu
from emulator.state import EXTENSION_KEY, EmulatorState

DEFAULT_SECRET = "emulator-channel-secret"
DEFAULT_TOKEN = "emulator-channel-access-token"


@dataclass
class EmulatorConfig:
    """How the emulated channel is set up."""

    channel_secret: str
    channel_access_token: str
    webhook_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8001"


def _state_for(config: EmulatorConfig) -> EmulatorState:
    return EmulatorState(channel_secret=config.channel_secret,
                         channel_access_token=config.channel_access_token,
                         webhook_url=config.webhook_url,
                         public_base_url=config.public_base_url)


def _json_http_error(exc: HTTPException) -> Response | HTTPException:
    """Answer unknown API routes and wrong methods with JSON, as LINE does."""
    if request.path.startswith(("/v2/", "/_emulator/")):
        response = jsonify({"message": "Not found" if exc.code == 404 else exc.name})
        response.status_code = exc.code or 500
        return response
    return exc


def create_app(config: EmulatorConfig | None = None) -> Flask:
    """Build an emulator app with fresh in-memory state."""
    if config is None:
        config = EmulatorConfig(
            channel_secret=os.environ.get("LINE_CHANNEL_SECRET", DEFAULT_SECRET),
            channel_access_token=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", DEFAULT_TOKEN),
            webhook_url=os.environ.get("EMULATOR_WEBHOOK_URL"))
    app = Flask(__name__, static_url_path="/_emulator/static")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Japanese in JSON
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = _state_for(config)
    app.register_blueprint(messaging.bp)
    app.register_blueprint(richmenu.bp)
    app.register_blueprint(insight.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(chat_menu.bp)
    app.register_error_handler(HTTPException, _json_http_error)

    @app.get("/")
    def chat() -> str:
        """Serve the chat page where a person plays a citizen."""
        return render_template("chat.html")

    return app


class _EmulatorServer(BaseApplication):  # type: ignore[misc]
    """gunicorn with ONE worker process (the emulated platform's state lives in its memory) and threads.

    Like LINE, it keeps connections alive: werkzeug's development server closes every connection,
    which made each API call pay a new TCP connection and thread and skewed our load benchmarks.
    """

    def __init__(self, config: EmulatorConfig, bind: str) -> None:
        self.config = config
        self.bind = bind
        super().__init__()

    def load_config(self) -> None:
        for key, value in {"bind": self.bind, "workers": 1, "worker_class": "gthread",
                           # Enough threads for the bot's replies while webhooks are open and for
                           # injected "hang" faults, which hold a thread each.
                           "threads": 64, "keepalive": 30, "timeout": 0, "graceful_timeout": 5,
                           "accesslog": None, "errorlog": "-", "loglevel": "warning"}.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self.config)


def serve(config: EmulatorConfig, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run the emulator until SIGTERM/SIGINT (the bot replies while a webhook is open: threaded)."""
    _EmulatorServer(config, f"{host}:{port}").run()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the emulator from the command line: `python -m emulator.app --port 8001`."""
    parser = argparse.ArgumentParser(description="Local LINE Platform emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--webhook-url", default=os.environ.get("EMULATOR_WEBHOOK_URL"))
    parser.add_argument("--channel-secret",
                        default=os.environ.get("LINE_CHANNEL_SECRET", DEFAULT_SECRET))
    parser.add_argument("--channel-access-token",
                        default=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", DEFAULT_TOKEN))
    args = parser.parse_args(argv)
    config = EmulatorConfig(args.channel_secret, args.channel_access_token, args.webhook_url,
                            f"http://{args.host}:{args.port}")
    serve(config, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
