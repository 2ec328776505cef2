"""How fast workers drain a backlog: `python -m bench.worker_drain --events N [--workers W] --json`.

The open-loop load (bench/webhook_load.py) mixes acknowledging and answering on the same cores, and
past the machine's capacity its figures swing from run to run with the scheduler. This measures the
answering side alone: N realistic events (the load's mix and citizen pool) are posted through
`madoguchi serve` with no worker running, so they wait in the inbox as after a surge; then W
`madoguchi worker` processes start and drain them against the emulator. Reported: events a second
and the CPU spent per event by the workers, PostgreSQL and the emulator (LINE's side: on the same
cores here, not in production), from the first event done to the last. Writes
bench/results/worker_drain_<N>.json.
"""
from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, func, select

from bench.webhook_load import (SECRET, WORKER_NICE, AsyncSender, Sent, _env, _spawn, _stop, add_run_options,
                                cpu_seconds, faq_questions, make_event, report, signed_body, start_stack, user_pool)
from core.models import InboxEvent, InboxStatus

POST_RATE = 400  # events a second while queueing (the web tier's pace here, not the measure)
POLL_SECONDS = 0.1


def queue_backlog(port: int, count: int, *, users: int, seed: int) -> int:
    """Post `count` signed events and return how many were acknowledged."""
    rng = random.Random(seed)
    questions, pool = faq_questions(), user_pool(users)
    now_ms = int(time.time() * 1000)
    bodies = [signed_body(make_event(n, rng, questions, pool, now_ms=now_ms), SECRET) for n in range(count)]
    start = time.perf_counter() + 0.2
    sent = [Sent(due=start + n / POST_RATE) for n in range(count)]
    AsyncSender(port, max_connections=64).run(bodies, sent)
    return sum(1 for item in sent if 200 <= item.status < 300)


def per_event_ms(before: dict[str, float], after: dict[str, float], roles: list[str], events: int) -> float:
    """CPU milliseconds per event used by these roles between two readings."""
    return round(sum(after[role] - before[role] for role in roles) * 1000 / max(events, 1), 2)


def drain(database_url: str, env: dict[str, str], processes: list[subprocess.Popen], *, workers: int,
          stored: int, timeout: float) -> dict[str, Any]:
    """Start the workers, follow the inbox until every stored event is processed, read the costs."""
    engine = create_engine(database_url)
    settled = select(func.count()).select_from(InboxEvent).where(InboxEvent.status != InboxStatus.PENDING)
    first = len(processes)
    processes.extend(_spawn([sys.executable, "-m", "bot.cli", "worker"], env, nice=WORKER_NICE)
                     for _ in range(workers))
    sessions = {"emulator": processes[0].pid, **{f"worker{n}": p.pid for n, p in enumerate(processes[first:])}}
    deadline = time.perf_counter() + timeout
    start = start_done = None
    done = 0
    with engine.connect() as connection:
        while done < stored and time.perf_counter() < deadline:
            done = connection.execute(settled).scalar_one()
            connection.rollback()  # a fresh snapshot for the next look
            if start is None and done:
                # from the first event done: the workers' start-up (index build) is not draining
                start, start_done, before = time.perf_counter(), done, cpu_seconds(sessions)
            time.sleep(POLL_SECONDS)
    end, after = time.perf_counter(), cpu_seconds(sessions)
    engine.dispose()
    if start is None:
        return {"drained": 0}
    events = done - start_done
    worker_roles = [role for role in sessions if role.startswith("worker")]
    return {"drained": done, "unfinished": stored - done, "drain_seconds": round(end - start, 2),
            "events_per_second": round(events / max(end - start, 1e-9), 1),
            "cpu_ms_per_event": {"workers": per_event_ms(before, after, worker_roles, events),
                                 "postgres": per_event_ms(before, after, ["postgres"], events),
                                 "emulator": per_event_ms(before, after, ["emulator"], events)}}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="`madoguchi worker` processes")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the drain")
    add_run_options(parser, default_out="worker_drain_<N>.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Queue a backlog, drain it, print the JSON."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes: list[subprocess.Popen] = []
    try:
        port, emulator_url = start_stack(processes, database_url=args.database_url, web_workers=2, workers=0)
        stored = queue_backlog(port, args.events, users=args.users, seed=args.seed)
        env = _env(args.database_url, emulator_url, 2)
        result = {"events": args.events, "stored": stored, "workers": args.workers, "worker_nice": WORKER_NICE,
                  **drain(args.database_url, env, processes, workers=args.workers, stored=stored,
                          timeout=args.timeout)}
    finally:
        _stop(processes)
    report(result, args, default_out=f"worker_drain_{args.events}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
