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


def test_metrics_count_webhook_events_answers_and_the_inbox(client, webhook) -> None:
    from tests.webhook_events import text_event

    def sample(text: str, name: str) -> float:
        """The metric's value, summed over its labels."""
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " "))

    before = client.get("/metrics").get_data(as_text=True)
    webhook.post(text_event("避難所はどこにありますか"))  # stored, not yet processed
    pending = client.get("/metrics").get_data(as_text=True)
    assert sample(pending, "madoguchi_inbox_pending") == 1
    webhook.processor.drain()
    after = client.get("/metrics").get_data(as_text=True)
    assert sample(after, "madoguchi_webhook_events_total") == sample(before, "madoguchi_webhook_events_total") + 1
    assert sample(after, "madoguchi_questions_total") == sample(before, "madoguchi_questions_total") + 1
    assert sample(after, "madoguchi_inbox_pending") == 0
    assert "madoguchi_webhook_seconds_bucket" in after


def test_an_event_type_from_the_body_never_becomes_a_free_text_metric_label(client, webhook) -> None:
    from tests.webhook_events import text_event

    odd = text_event("こんにちは")
    odd["type"] = "購読\u2028x"  # a kind no LINE release has: stored and ignored, counted as "other"
    assert webhook.post(odd).status_code == 200
    webhook.processor.drain()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "購読" not in metrics
    assert 'madoguchi_webhook_events_total{type="other"}' in metrics
