"""The idempotency benchmark's pure parts: its copies are LINE's redeliveries, its counting is right."""
from __future__ import annotations

import random
from collections import Counter

from bench import webhook_idempotency as bench
from bench.webhook_load import PUSH_PATH, REPLY_PATH, signed_body
from bot.webhook import is_valid_signature, parse_events

NOW_MS = 1_775_000_000_000


def _events(count: int, first: int = 0) -> list[dict]:
    return bench.distinct_events(count, 3, now_ms=NOW_MS, first=first)


def test_distinct_events_have_a_citizen_each_unique_ids_and_webhook_loads_mix() -> None:
    events = _events(400)
    for key in ("webhookEventId", "replyToken"):
        assert len({e[key] for e in events}) == 400
    assert len({e["source"]["userId"] for e in events}) == 400
    kinds = Counter(e["type"] for e in events)
    assert kinds["message"] > 280 and kinds["postback"] and kinds["follow"]


def test_a_later_batch_of_distinct_events_shares_nothing_with_the_first() -> None:
    first, later = _events(50), _events(50, first=50)
    for key in ("webhookEventId", "replyToken"):
        assert not {e[key] for e in first} & {e[key] for e in later}
    assert not {e["source"]["userId"] for e in first} & {e["source"]["userId"] for e in later}


def test_copies_are_the_same_event_and_only_the_redelivery_flag_may_differ() -> None:
    rng = random.Random(1)
    marked = 0
    for event in _events(100):
        copies = bench.deliveries(event, 3, rng)
        assert len(copies) == 3 and copies[0] == event
        for again in copies[1:]:
            assert {k: v for k, v in again.items() if k != "deliveryContext"} == \
                {k: v for k, v in event.items() if k != "deliveryContext"}
        marked += copies[1]["deliveryContext"]["isRedelivery"]
        assert copies[1]["deliveryContext"] == copies[2]["deliveryContext"]
    assert 20 < marked < 80  # some marked as redeliveries, some arriving twice unmarked


def test_copies_are_valid_signed_webhooks() -> None:
    for delivery in bench.deliveries(_events(1)[0], 3, random.Random(2)):
        raw, signature = signed_body(delivery, "s")
        assert is_valid_signature(raw, signature, "s") and parse_events(raw) == [delivery]


def test_posting_order_holds_every_copy_shuffled_with_some_side_by_side() -> None:
    events = _events(300)
    order = bench.posting_order(events, 3, seed=5, side_by_side=0.2)
    assert Counter(e["webhookEventId"] for e in order) == {e["webhookEventId"]: 3 for e in events}
    assert [e["webhookEventId"] for e in order[:300]] != [e["webhookEventId"] for e in events]
    runs = sum(1 for a, b, c in zip(order, order[1:], order[2:])
               if a["webhookEventId"] == b["webhookEventId"] == c["webhookEventId"])
    assert 30 < runs < 90
    assert bench.posting_order(events, 3, seed=5, side_by_side=0.2) == order  # reproducible


def _reply(token: str, status: int = 200) -> dict:
    return {"path": REPLY_PATH, "status": status, "body": {"replyToken": token, "messages": []}}


def _push(user: str, status: int = 200) -> dict:
    return {"path": PUSH_PATH, "status": status, "body": {"to": user, "messages": []}}


def test_count_answers_by_reply_token_and_push_user() -> None:
    a, b, c, d = _events(4)
    calls = [_reply(a["replyToken"]),
             _reply(b["replyToken"], 400), _push(b["source"]["userId"]),  # token refused, pushed instead
             _reply(c["replyToken"]), _push(c["source"]["userId"]),  # answered twice: a duplicate
             _push(c["source"]["userId"], 409),  # a retry key LINE had accepted: hidden second send
             _reply("someone-else"), {"path": "/v2/bot/chat/loading/start", "status": 202, "body": {}}]
    assert bench.count_answers([a, b, c, d], calls) == {
        "replies": 4, "answered_events": 3, "duplicates": 1, "lost": 1, "second_sends": 2, "stray_calls": 1}


def test_count_answers_of_a_clean_run() -> None:
    events = _events(20)
    calls = [_reply(e["replyToken"]) for e in events]
    assert bench.count_answers(events, calls) == {
        "replies": 20, "answered_events": 20, "duplicates": 0, "lost": 0, "second_sends": 0, "stray_calls": 0}
