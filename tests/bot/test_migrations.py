"""The migrations and the models describe the same schema, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base, make_engine


def _import_every_model() -> None:
    import importlib

    for module in ("admin.models", "broadcast.models", "core.conversation", "core.models", "faq.models",
                   "inquiries.models", "reports.models"):
        importlib.import_module(module)


def test_a_migrated_database_matches_the_models(database_url: str) -> None:
    _import_every_model()
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
