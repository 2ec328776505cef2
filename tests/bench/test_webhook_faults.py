"""The fault benchmark's pure parts: how it runs PostgreSQL, windows its posts, judges recovery and answers."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bench import webhook_faults as bench
from bench.webhook_load import Record, Sent
from core.db import CONNECT_TIMEOUT_SECONDS, make_engine, postgres_connect_args

BIN = Path("/usr/lib/postgresql/15/bin")


def test_postgres_commands_run_as_the_postgres_user_only_when_we_are_root() -> None:
    assert bench.pg_command("pg_ctl", "-D", "/t/data", "stop", bin_dir=BIN, as_root=True) == [
        "runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", "/t/data", "stop"]
    assert bench.pg_command("initdb", "-D", "/t", bin_dir=BIN, as_root=False) == [
        "/usr/lib/postgresql/15/bin/initdb", "-D", "/t"]


def test_children_of_reads_the_parent_from_proc_stat_even_with_odd_process_names() -> None:
    stats = [(10, "10 (postgres) S 1 10 10 0"), (11, "11 (postgres: checkpointer ) S 10 10 10 0"),
             (12, "12 (weird) (name)) S 10 10 10 0"), (13, "13 (bash) S 1 13 13 0"), (14, "garbage")]
    assert bench.children_of(10, stats) == [11, 12]


def _sent(due: float, started: float, took_ms: float, status: int) -> Sent:
    return Sent(due=due, started=started, status=status, ack=started + took_ms / 1000)


def test_latency_summary_and_windows() -> None:
    sent = [_sent(n, n + 0.01, 5 * n, 200 if n < 5 else 503) for n in range(10)]
    assert bench.latency_summary([1.0, 2.0, 3.0, 40.04]) == {"p50": 2.0, "p99": 40.0, "max": 40.0}
    assert bench.latency_summary([]) == {"p50": None, "p99": None, "max": None}
    assert [s.due for s in bench.started_between(sent, 3, 6)] == [3, 4, 5]
    assert round(bench.ack_ms(sent[4]), 3) == 20.0
    assert bench.is_2xx(sent[4]) and not bench.is_2xx(sent[5]) and not bench.is_2xx(Sent(due=0))


def test_acks_are_normal_again_from_the_first_post_after_which_none_is_slow_or_refused() -> None:
    sent = [_sent(0, 0, 5, 200), _sent(1, 1, 5, 503), _sent(2, 2, 5, 200), _sent(3, 3, 500, 200),
            _sent(4, 4, 5, 200), _sent(5, 5, 5, 200)]
    assert bench.normal_again_at(sent, 1, normal_ms=100) == 4
    assert bench.normal_again_at(sent, 0, normal_ms=1000) == 2
    assert bench.normal_again_at(sent[:2], 0, normal_ms=100) is None
    assert bench.normal_again_at([Sent(due=1, started=1, status=0)], 0, normal_ms=100) is None


def _event(n: int) -> dict:
    return {"webhookEventId": f"e{n}", "replyToken": f"t{n}", "source": {"type": "user", "userId": f"U{n}"}}


def test_answered_at_takes_the_first_reply_or_push_of_each_events_own_citizen() -> None:
    record = Record(replies={"t1": 5.0, "t3": 9.0, "other": 1.0}, pushes={"U2": [7.0, 8.0], "U3": [4.0]})
    assert bench.answered_at([_event(n) for n in range(1, 5)], record) == {"e1": 5.0, "e2": 7.0, "e3": 4.0}


def _outage(**changes: object) -> dict:
    figures = {"while_down": {"posts": 100, "non_5xx": 0, "ms": {"max": 40.0}},
               "readyz": {"while_down_checks": 10, "while_down_ready": 0},
               "recovery": {"first_2xx_s": 0.3, "acks_normal_s": 1.2},
               "answers": {"acknowledged_unanswered": 0, "unanswered_after_redelivery": 0},
               "processes_alive_at_end": {"workers": 2}, "workers": 2}
    for path, value in changes.items():
        section, key = path.split("__")
        figures[section] = {**figures[section], key: value} if isinstance(figures[section], dict) else value
    return figures


def test_outage_targets() -> None:
    assert all(bench.outage_targets(_outage()).values())
    assert not bench.outage_targets(_outage(while_down__ms={"max": 150.0}))["fast_5xx_while_down"]
    assert not bench.outage_targets(_outage(while_down__non_5xx=1))["fast_5xx_while_down"]
    assert not bench.outage_targets(_outage(while_down__posts=0))["fast_5xx_while_down"]
    assert not bench.outage_targets(_outage(readyz__while_down_ready=1))["readyz_not_ready_while_down"]
    assert not bench.outage_targets(_outage(recovery__acks_normal_s=5.5))["full_service_within_5s"]
    assert not bench.outage_targets(_outage(recovery__acks_normal_s=None))["full_service_within_5s"]
    assert not bench.outage_targets(_outage(answers__acknowledged_unanswered=1))["nothing_acknowledged_lost"]
    assert not bench.outage_targets(_outage(processes_alive_at_end__workers=1))["workers_survived"]


def _phase(p99: float, unanswered: int = 0, non_2xx: int = 0) -> dict:
    return {"ack_ms": {"p99": p99}, "unanswered": unanswered, "non_2xx": non_2xx}


def test_reply_fault_targets_allow_noise_but_not_a_slower_ack() -> None:
    met = bench.reply_fault_targets({"baseline": _phase(20.0), "faults": _phase(39.0)})
    assert all(met.values())
    assert not bench.reply_fault_targets({"baseline": _phase(20.0), "faults": _phase(41.0)})["ack_p99_unchanged"]
    missing = bench.reply_fault_targets({"baseline": _phase(20.0), "faults": _phase(20.0, unanswered=3)})
    assert not missing["every_event_answered"] and missing["ack_p99_unchanged"]
    assert not bench.reply_fault_targets({"baseline": _phase(20.0, non_2xx=1), "faults": _phase(20.0)})["no_non_2xx"]


def test_the_engine_gives_up_on_a_database_that_accepts_but_never_answers() -> None:
    # What the outage scenario's fast 503s rely on when the database hangs instead of refusing: a
    # listening socket that never accepts (the kernel completes the handshake, nobody answers).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        engine = make_engine(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/none")
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 1.5
        engine.dispose()


def test_a_database_url_can_set_its_own_libpq_time_limits() -> None:
    assert postgres_connect_args({}) == {"connect_timeout": CONNECT_TIMEOUT_SECONDS, "tcp_user_timeout": 5000}
    assert postgres_connect_args({"connect_timeout": "10"}) == {"tcp_user_timeout": 5000}
