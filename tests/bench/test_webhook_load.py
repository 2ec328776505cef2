"""The webhook load benchmark's pure parts: its events are what LINE would send, its percentiles are right."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from bench import webhook_load
from bot.webhook import is_valid_signature, parse_events


def _events(count: int) -> list[dict]:
    rng = random.Random(7)
    questions, users = webhook_load.faq_questions(), webhook_load.user_pool(50)
    return [webhook_load.make_event(n, rng, questions, users, now_ms=1_775_000_000_000) for n in range(count)]


def test_every_generated_event_is_correctly_signed_and_passes_the_webhooks_checks() -> None:
    for event in _events(200):
        raw, signature = webhook_load.signed_body(event, "a-secret")
        assert is_valid_signature(raw, signature, "a-secret")
        assert not is_valid_signature(raw, signature, "another-secret")
        assert parse_events(raw) == [event]


def test_generated_events_have_unique_ids_and_reply_tokens_and_the_intended_mix() -> None:
    events = _events(2000)
    assert len({e["webhookEventId"] for e in events}) == len({e["replyToken"] for e in events}) == 2000
    kinds = Counter(e["type"] for e in events)
    assert 1500 < kinds["message"] < 1700 and 100 < kinds["postback"] < 300 and 100 < kinds["follow"] < 300
    texts = {e["message"]["text"] for e in events if e["type"] == "message"}
    assert texts & set(webhook_load.UNANSWERABLE) and len(texts) > 50


def test_the_sample_faq_gives_questions_and_their_paraphrases() -> None:
    questions = webhook_load.faq_questions()
    assert "ごみの分別わからん" in questions and "ごみの分け方（分別区分）を教えてください。" in questions


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 50, None),
    ([5.0], 99, 5.0),
    ([1, 2, 3, 4], 50, 2),
    ([4, 3, 2, 1], 100, 4),
    (list(range(1, 101)), 99, 99),
    (list(range(1, 1001)), 99, 990),
    ([10, 20], 0, 10),
])
def test_percentile_is_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert webhook_load.percentile(values, q) == expected


def test_the_async_sender_posts_every_body_on_schedule_and_records_each_answer() -> None:
    import time

    from flask import Flask, request

    from tests.conftest import ServerThread

    received: list[str] = []
    app = Flask("receiver")

    @app.post("/callback")
    def callback() -> tuple[str, int]:
        received.append(request.headers["X-Line-Signature"])
        return ("OK", 200) if len(received) % 5 else ("Temporarily unavailable", 503)

    server = ServerThread(app)  # werkzeug closes every connection: the sender must reconnect
    try:
        bodies = [(f'{{"n": {n}}}'.encode(), f"sig{n}") for n in range(20)]
        start = time.perf_counter() + 0.05
        sent = [webhook_load.Sent(due=start + n * 0.01) for n in range(20)]
        webhook_load.AsyncSender(int(server.url.rsplit(":", 1)[1]), max_connections=4).run(bodies, sent)
    finally:
        server.stop()
    assert sorted(received) == sorted(f"sig{n}" for n in range(20))
    assert sorted(item.status for item in sent) == [200] * 16 + [503] * 4
    assert all(item.ack is not None and item.ack >= item.started >= item.due - 0.005 for item in sent)
