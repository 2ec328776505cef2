"""`madoguchi serve`: the web tier under gunicorn (webhook, admin, web chat, Open311).

The web tier only verifies, stores and acknowledges webhooks, so a few threaded workers answer
LINE well inside its 2-second limit; answering happens in `madoguchi worker` processes.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from bot.app import create_app
from core.config import Settings


def gunicorn_options(host: str, port: int) -> dict[str, Any]:
    """The production settings (each can be overridden by MADOGUCHI_WEB_* variables)."""
    return {
        "bind": f"{host}:{port}",
        "workers": int(os.environ.get("MADOGUCHI_WEB_WORKERS", max(2, multiprocessing.cpu_count()))),
        "threads": int(os.environ.get("MADOGUCHI_WEB_THREADS", 4)),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,      # finish requests in flight on SIGTERM
        "keepalive": 5,
        # The workers' heartbeat touches a file on every loop: in memory, not on disk (gunicorn's advice).
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        # Recycle workers now and then (a guard against slow leaks) — but rarely: a new worker builds
        # its FAQ index (about a second of CPU), and every 5,000 requests meant every 10 s in a surge,
        # each one a spike in the webhook's latency.
        "max_requests": 200_000,
        "max_requests_jitter": 20_000,
        "accesslog": "-",
        "logger_class": QuietWebhookLogger,
        # Paths only, never query strings or bodies: they can carry personal data.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        "errorlog": "-",
        "forwarded_allow_ips": os.environ.get("MADOGUCHI_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


class QuietWebhookLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger without an access line per acknowledged webhook.

    In a surge LINE posts hundreds of webhooks a second; each 200 is already counted in /metrics
    (madoguchi_webhook_events_total, the latency histogram), and formatting its access line cost
    about a fifth of the web tier's CPU per webhook. Refused and failed webhooks are still logged.
    """

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if req.path == "/callback" and str(resp.status).startswith("2"):
            return
        super().access(resp, req, environ, request_time)


class MadoguchiServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running create_app() in each worker (after the fork: no shared connections)."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.settings)


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the web tier until SIGTERM/SIGINT."""
    MadoguchiServer(settings, gunicorn_options(host, port)).run()
