"""What a running Madoguchi holds: settings, database, LINE, the answer engine and the worker."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
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

    @cached_property
    def store_engine(self) -> Engine:
        """The engine the webhook stores events with: autocommit on PostgreSQL.

        The store is one INSERT … ON CONFLICT DO NOTHING, atomic on its own; a transaction around it
        adds a BEGIN and a COMMIT, two more waits on the database for every acknowledgement. (Over
        a thousand events in one body become several INSERTs: if a later one fails the body gets a
        503, and LINE's redelivery finds the first ones stored and dropped as duplicates.) SQLite keeps
        its transaction: BEGIN IMMEDIATE is how its writers queue for the lock.
        """
        if self.engine.dialect.name == "postgresql":
            return self.engine.execution_options(isolation_level="AUTOCOMMIT")
        return self.engine


def runtime() -> Runtime:
    """The Runtime of the current Flask app."""
    return current_app.extensions["madoguchi"]

