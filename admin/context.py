"""What the admin needs from the running app, reached through Flask rather than by importing bot/.

bot/ sits above admin/ (it mounts it), so admin/ must not import it; the app puts its shared parts
in `app.extensions["madoguchi"]` and this module reads them from there.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from sqlalchemy.orm import sessionmaker

from core.config import Settings
from faq.answering import FaqAnswerer


class AdminRuntime(Protocol):
    """The parts of the app's runtime the admin uses."""

    settings: Settings
    session_factory: sessionmaker
    answerer: FaqAnswerer
    clock: Callable[[], datetime]
    worker: Any  # has notify(): wakes the worker that pushes staff replies
    line: Any    # the LineGateway (test sends go straight to staff's own LINE)


def runtime() -> AdminRuntime:
    """The running app's shared parts."""
    return current_app.extensions["madoguchi"]
