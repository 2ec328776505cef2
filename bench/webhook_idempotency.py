"""Redelivered webhooks are answered once: `python -m bench.webhook_idempotency --events 1000 --copies 3 --json`.

LINE redelivers an event whose webhook it thinks failed (same webhookEventId, deliveryContext.
isRedelivery true), and may deliver one twice anyway. This posts every one of E distinct events
C times — the first copy as LINE sends it, the later ones marked as redeliveries for some events
and not for others — shuffles all E×C posts (a share of the events keep their copies side by side,
so that two threads post the same event at the same moment) and posts them from T threads as fast
as they go, against `madoguchi serve` and W `madoguchi worker` processes on a fresh PostgreSQL
database. The processes, the database and the event mix are bench.webhook_load's.

Each event has a citizen of its own, so every reply (by token) and push (by user) in the
emulator's record belongs to exactly one event: "replies" counts the events answered, "duplicates"
the answers beyond one, "lost" the events never answered — counted from what LINE received, not
from our database. "second_sends" are answers LINE refused as already done (a used reply token,
a retry key it had accepted): a sign of double processing that the retry key hid from the citizen.
"seconds" runs from the first post until every answer was in the record (polled every 0.5 s).
Writes bench/results/webhook_idempotency.json.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import func, select

from bench.webhook_load import (DEFAULT_DATABASE, PUSH_PATH, REPLY_PATH, RESULTS, SECRET, WORKER_NICE, Poster, Sent,
                                _stop, faq_questions, make_event, signed_body, start_stack, user_pool)
from core.db import make_engine
from core.models import InboxEvent, InboxStatus

DATABASE = DEFAULT_DATABASE.rpartition("/")[0] + "/idempotency_bench"
SETTLE_SECONDS = 3.0  # after the last expected answer, how long to keep looking for late duplicates


# -- pure parts (tested in tests/bench/test_webhook_idempotency.py) ---------------------------------

def distinct_events(count: int, seed: int, *, now_ms: int, first: int = 0) -> list[dict[str, Any]]:
    """Events first..first+count-1 of webhook_load's mix, each from a citizen of its own (so answers map to events)."""
    rng = random.Random(seed)
    questions, users = faq_questions(), user_pool(first + count)[first:]
    events = [make_event(first + n, rng, questions, users, now_ms=now_ms) for n in range(count)]
    for event, user in zip(events, users):
        event["source"] = {"type": "user", "userId": user}
    return events


def deliveries(event: Mapping[str, Any], copies: int, rng: random.Random) -> list[dict[str, Any]]:
    """The `copies` deliveries of one event: the first as sent; later ones redeliveries for about half the events.

    LINE marks a redelivery, but an event can also arrive twice unmarked (a retry on its side that
    we acknowledged too late): both must be dropped.
    """
    marked = rng.random() < 0.5
    out = [copy.deepcopy(dict(event))]
    for _ in range(copies - 1):
        again = copy.deepcopy(dict(event))
        again["deliveryContext"] = {"isRedelivery": marked}
        out.append(again)
    return out


def posting_order(events: Sequence[Mapping[str, Any]], copies: int, seed: int, *,
                  side_by_side: float = 0.2) -> list[dict[str, Any]]:
    """Every delivery of every event, shuffled; a `side_by_side` share of events keep their copies adjacent.

    Adjacent copies go out from different threads within a millisecond of each other: the race the
    inbox's ON CONFLICT DO NOTHING is there for.
    """
    rng = random.Random(seed)
    blocks: list[list[dict[str, Any]]] = []
    for event in events:
        sent = deliveries(event, copies, rng)
        if rng.random() < side_by_side:
            blocks.append(sent)
        else:
            blocks.extend([one] for one in sent)
    rng.shuffle(blocks)
    return [delivery for block in blocks for delivery in block]


def count_answers(events: Sequence[Mapping[str, Any]], calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Answers per event from the emulator's reply and push calls (each event has a user of its own).

    Only calls LINE accepted (200) reached a citizen; refusals of a used reply token (400) and of
    an already accepted retry key (409) are counted apart as second sends.
    """
    by_token = {e.get("replyToken"): e["webhookEventId"] for e in events}
    by_user = {e["source"]["userId"]: e["webhookEventId"] for e in events}
    answers: Counter[str] = Counter()
    second_sends = strays = 0
    for call in calls:
        body = call.get("body") if isinstance(call.get("body"), dict) else {}
        if call.get("path") == REPLY_PATH:
            owner = by_token.get(body.get("replyToken"))
        elif call.get("path") == PUSH_PATH:
            owner = by_user.get(str(body.get("to")))
        else:
            continue
        if owner is None:
            strays += 1
        elif call.get("status") == 200:
            answers[owner] += 1
        elif call.get("status") in (400, 409):
            second_sends += 1
    return {"replies": sum(answers.values()), "answered_events": len(answers),
            "duplicates": sum(n - 1 for n in answers.values() if n > 1),
            "lost": sum(1 for e in events if answers[e["webhookEventId"]] == 0),
            "second_sends": second_sends, "stray_calls": strays}


# -- run -------------------------------------------------------------------------------------------

def _recorded(emulator_url: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for path in (REPLY_PATH, PUSH_PATH):
        calls.extend(requests.get(f"{emulator_url}/_emulator/requests", params={"path": path}, timeout=30).json())
    return calls


def _inbox_counts(database_url: str) -> tuple[int, int]:
    """(rows stored, rows processed) in the inbox."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(InboxEvent)) or 0
            processed = connection.scalar(select(func.count()).select_from(InboxEvent).where(
                InboxEvent.status.in_([InboxStatus.DONE, InboxStatus.IGNORED]))) or 0
    finally:
        engine.dispose()
    return stored, processed


def _await_answers(emulator_url: str, expected: int, grace: float) -> float:
    """Wait until the emulator holds `expected` accepted answers (or `grace` passes); returns when the last came."""
    deadline = time.perf_counter() + grace
    last = time.perf_counter()
    while time.perf_counter() < deadline:
        calls = _recorded(emulator_url)
        accepted = sum(1 for call in calls if call["status"] == 200)
        last = time.perf_counter()
        if accepted >= expected:
            break
        time.sleep(0.5)
    return last


def _run(args: argparse.Namespace, port: int, emulator_url: str) -> dict[str, Any]:
    events = distinct_events(args.events, args.seed, now_ms=int(time.time() * 1000))
    order = posting_order(events, args.copies, args.seed, side_by_side=args.side_by_side)
    bodies = [signed_body(delivery, SECRET) for delivery in order]
    poster, sent = Poster(port), [Sent(due=0.0) for _ in bodies]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.client_threads) as pool:
        for (raw, signature), item in zip(bodies, sent):
            pool.submit(poster.post, raw, signature, item)
    posted_at = time.perf_counter()
    last_answer = _await_answers(emulator_url, args.events, args.grace)
    time.sleep(SETTLE_SECONDS)  # a late second processing would show up here
    stored, processed = _inbox_counts(args.database_url)
    counts = count_answers(events, _recorded(emulator_url))
    statuses = Counter(item.status for item in sent)
    acks = sorted((item.ack - item.started) * 1000 for item in sent if item.ack is not None)
    return {"events": args.events, "copies": args.copies, "posted": len(sent),
            "non_2xx": sum(n for status, n in statuses.items() if not 200 <= status < 300),
            "stored_events": stored, "processed": processed, **counts,
            "seconds": round(last_answer - start, 2), "post_seconds": round(posted_at - start, 2),
            "ack_ms_p99": round(acks[int(len(acks) * 0.99) - 1], 1) if acks else None,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "side_by_side": args.side_by_side, "client_threads": args.client_threads, "workers": args.workers,
            "worker_nice": WORKER_NICE, "web_workers": args.web_workers}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="distinct events")
    parser.add_argument("--copies", type=int, default=3, help="deliveries of each event")
    parser.add_argument("--side-by-side", type=float, default=0.2,
                        help="share of events whose copies are posted back to back")
    parser.add_argument("--workers", type=int, default=2, help="`madoguchi worker` processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--client-threads", type=int, default=16)
    parser.add_argument("--grace", type=float, default=120, help="seconds to wait for every answer")
    parser.add_argument("--database-url", default=DATABASE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run once and print its JSON."""
    args = _parser().parse_args(argv)
    if args.copies < 1 or args.events < 1:
        raise SystemExit("--events and --copies must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind through `finally`: no process left behind
    processes: list[subprocess.Popen] = []
    try:
        port, emulator_url = start_stack(processes, database_url=args.database_url, web_workers=args.web_workers,
                                         workers=args.workers)
        result = _run(args, port, emulator_url)
    finally:
        _stop(processes)
    result["ok"] = (result["non_2xx"] == 0 and result["stored_events"] == result["processed"] == args.events
                    and result["replies"] == args.events and result["duplicates"] == 0 and result["lost"] == 0)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=2, ensure_ascii=False))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "webhook_idempotency.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
