"""What a running Madoguchi holds: settings, database, LINE, the answer engine and the worker."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from bot.store_guard import StoreGuard
from core.config import Settings
from core.line_gateway import LineGateway
from faq.answering import FaqAnswerer

if TYPE_CHECKING:
    from bot.processing import EventProcessor, InlineWorker


@dataclass
class Runtime:
    """The app's shared parts, kept in app.extensions["madoguchi"]."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    line: LineGateway
    answerer: FaqAnswerer
    clock: Callable[[], datetime]
    processor: EventProcessor
    worker: InlineWorker | None = None
    store_guard: StoreGuard = field(default_factory=StoreGuard)


def runtime() -> Runtime:
    """The Runtime of the current Flask app."""
    return current_app.extensions["madoguchi"]

