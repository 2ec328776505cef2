"""Health checks: alive, and ready only while the database answers."""
from __future__ import annotations


def test_healthz_answers_while_the_process_runs(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client) -> None:
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "up"}


def test_readyz_fails_fast_when_the_database_is_unreachable(app, client) -> None:
    import time

    from sqlalchemy import create_engine

    runtime = app.extensions["madoguchi"]
    healthy = runtime.engine
    # A real database client against a port where nothing listens: connection refused at once.
    runtime.engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_pre_ping=True)
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": "down"}
        assert time.monotonic() - started < 5
    finally:
        runtime.engine.dispose()
        runtime.engine = healthy
