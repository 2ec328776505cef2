"""The webhook under faults: `python -m bench.webhook_faults --json`.

Two scenarios, each on a stack of its own (the emulator, `madoguchi serve`, two `madoguchi worker`
processes, a fresh database), each under an open-loop load of webhook_load's mix (50 posts/s by
default; every event from a citizen of its own, so each answer in the emulator's record belongs to
exactly one event):

pg_outage — PostgreSQL stopped for 30 s under load. The cluster is a PRIVATE one this program creates
(initdb into a temporary directory, pg_ctl on a free port, run as the `postgres` user because the
server refuses root); the machine's shared PostgreSQL is never touched. While it is down every
webhook must get a fast 5xx (LINE redelivers non-2xx; a 2xx would be a lie), /readyz must say
not-ready, the workers must stay up; after `pg_ctl start` the first 2xx and normal acks must come
within 5 s, every acknowledged event must be answered, and the workers resume by themselves. At the
end the refused events are posted again as LINE's redeliveries, and must be answered too.

pg_hang (run alone: `--scenario pg_hang`) — the same, but the cluster is frozen (SIGSTOP) instead of
stopped: a server that hangs (stuck storage, a stalled process), where the kernel still accepts
connections and acknowledges what is sent but nobody answers. Nothing is refused and no TCP time
limit fires; only the clients' own time limits can help.

reply_faults — the emulator's reply endpoint fails (20% 500 before accepting, 5% hangs) under the same
load, after a baseline phase without faults: the ack (which only stores the event) must not notice,
and every event should still be answered (retry, or push with its retry key).

Writes bench/results/webhook_faults.json (webhook_faults_<scenario>.json for a single scenario).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.webhook_idempotency import distinct_events
from bench.webhook_load import (FAQ_CSV, RESULTS, SECRET, TOKEN, WORKER_NICE, Poster, Record, Sent, _cli, _env,
                                _free_port, _fresh_database, _poll, _spawn, _stop, _wait_http, percentile, signed_body)

PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
# Targets of issue #8.
FAST_5XX_MS = 100.0
RECOVERY_SECONDS = 5.0
# Acks are "normal" again once every later one is a 2xx within this many ms of being due.
NORMAL_ACK_MS = 100.0
# Faults may not move the ack p99 by more than this factor (plus a few ms of noise on shared cores).
ACK_P99_FACTOR, ACK_P99_SLACK_MS = 1.5, 10.0


# -- pure parts (tested in tests/bench/test_webhook_faults.py) --------------------------------------

def pg_command(tool: str, *args: str, bin_dir: Path = PG_BIN, as_root: bool | None = None) -> list[str]:
    """A PostgreSQL server command line, run as the postgres user when we are root (the server refuses root)."""
    command = [str(bin_dir / tool), *args]
    if as_root is None:
        as_root = os.geteuid() == 0
    return ["runuser", "-u", PG_USER, "--", *command] if as_root else command


def children_of(parent: int, stats: Iterable[tuple[int, str]]) -> list[int]:
    """Pids whose parent is `parent`, from (pid, /proc/<pid>/stat text) pairs."""
    children = []
    for pid, stat in stats:
        fields = stat.rpartition(")")[2].split()  # after "(comm)": state ppid ...
        if len(fields) > 1 and fields[1] == str(parent):
            children.append(pid)
    return children


def latency_summary(values_ms: Sequence[float]) -> dict[str, float | None]:
    """p50, p99 and max of some latencies, rounded to 0.1 ms (None for none)."""
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {"p50": rounded(percentile(values_ms, 50)), "p99": rounded(percentile(values_ms, 99)),
            "max": rounded(max(values_ms, default=None))}


def started_between(sent: Iterable[Sent], start: float, end: float) -> list[Sent]:
    """The posts that went out in [start, end) (perf_counter seconds)."""
    return [s for s in sent if start <= s.started < end]


def ack_ms(item: Sent) -> float:
    """How long the post took, from when it went out to its answer (or failure)."""
    return ((item.ack or item.started) - item.started) * 1000


def is_2xx(item: Sent) -> bool:
    """LINE counts the event as delivered."""
    return 200 <= item.status < 300


def normal_again_at(sent: Sequence[Sent], since: float, normal_ms: float) -> float | None:
    """When acks were normal again after `since`: the due time of the earliest post from which every later one

    got a 2xx within `normal_ms` of being due. None when the last one still was not normal.
    """
    later = sorted((s for s in sent if s.due >= since), key=lambda s: s.due)
    recovered: float | None = None
    for item in later:
        good = is_2xx(item) and item.ack is not None and (item.ack - item.due) * 1000 <= normal_ms
        if not good:
            recovered = None
        elif recovered is None:
            recovered = item.due
    return recovered


def answered_at(events: Sequence[Mapping[str, Any]], record: Record) -> dict[str, float]:
    """When each answered event's answer was first seen (a reply with its token, or a push to its own user)."""
    seen: dict[str, float] = {}
    for event in events:
        times = [record.replies[event["replyToken"]]] if event["replyToken"] in record.replies else []
        times += record.pushes.get(event["source"]["userId"], [])
        if times:
            seen[event["webhookEventId"]] = min(times)
    return seen


def outage_targets(figures: Mapping[str, Any]) -> dict[str, bool]:
    """Which of the outage scenario's targets were met."""
    down, recovery = figures["while_down"], figures["recovery"]
    return {
        "fast_5xx_while_down": down["posts"] > 0 and down["non_5xx"] == 0
        and (down["ms"]["max"] or 0) <= FAST_5XX_MS,
        "readyz_not_ready_while_down": figures["readyz"]["while_down_ready"] == 0
        and figures["readyz"]["while_down_checks"] > 0,
        "full_service_within_5s": recovery["first_2xx_s"] is not None
        and recovery["acks_normal_s"] is not None and recovery["acks_normal_s"] <= RECOVERY_SECONDS,
        "nothing_acknowledged_lost": figures["answers"]["acknowledged_unanswered"] == 0,
        "everything_answered_after_redelivery": figures["answers"]["unanswered_after_redelivery"] == 0,
        "workers_survived": figures["processes_alive_at_end"]["workers"] == figures["workers"],
    }


def reply_fault_targets(figures: Mapping[str, Any]) -> dict[str, bool]:
    """Which of the reply-fault scenario's targets were met."""
    base, faulty = figures["baseline"], figures["faults"]
    limit = (base["ack_ms"]["p99"] or 0) * ACK_P99_FACTOR + ACK_P99_SLACK_MS
    return {
        "ack_p99_unchanged": faulty["ack_ms"]["p99"] is not None and faulty["ack_ms"]["p99"] <= limit,
        "no_non_2xx": base["non_2xx"] == 0 and faulty["non_2xx"] == 0,
        "every_event_answered": base["unanswered"] == 0 and faulty["unanswered"] == 0,
    }


# -- the private PostgreSQL cluster ----------------------------------------------------------------

class PrivatePostgres:
    """A throwaway PostgreSQL cluster of this benchmark's own: stopping it harms nobody else."""

    def __init__(self, bin_dir: Path = PG_BIN) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="madoguchi-faults-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._frozen: list[int] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user=PG_USER, group=PG_USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale", "C", "--no-sync")

    def url(self, database: str) -> str:
        """The URL of one database of the cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop (fast: disconnect clients, roll their transactions back, shut down cleanly)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def freeze(self) -> None:
        """SIGSTOP the server and its backends: a database that hangs (the kernel still accepts connections)."""
        self._frozen = self.processes()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT what freeze() stopped."""
        for pid in self._frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []

    def processes(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *children_of(postmaster, _proc_stats())]

    def destroy(self) -> None:
        """Stop if running and delete the cluster."""
        self.thaw()
        if (self.data / "postmaster.pid").exists():
            subprocess.run(pg_command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop",
                                      bin_dir=self.bin_dir), cwd=self.root, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(pg_command(tool, *args, bin_dir=self.bin_dir), cwd=self.root, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def _proc_stats() -> list[tuple[int, str]]:
    stats = []
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats.append((int(path.parent.name), path.read_text()))
        except OSError:
            continue  # ended meanwhile
    return stats


# -- the stack and the load ------------------------------------------------------------------------

@dataclass
class Stack:
    """The emulator, `madoguchi serve` and the workers, on one database."""

    emulator_url: str
    port: int
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def workers(self) -> list[subprocess.Popen]:
        """The `madoguchi worker` processes."""
        return self.processes[2:]

    def alive(self) -> dict[str, int]:
        """How many of each kind of process are still running."""
        return {"serve": int(self.processes[1].poll() is None),
                "workers": sum(1 for p in self.workers if p.poll() is None)}


def _start_stack(database_url: str, workers: int, web_workers: int) -> Stack:
    emulator_port, port = _free_port(), _free_port()
    stack = Stack(f"http://127.0.0.1:{emulator_port}", port)
    env = _env(database_url, stack.emulator_url, web_workers)
    stack.processes.append(_spawn([sys.executable, "-m", "emulator", "--port", str(emulator_port),
                                   "--channel-secret", SECRET, "--channel-access-token", TOKEN]))
    try:
        _wait_http(f"{stack.emulator_url}/_emulator/config", "the emulator")
        requests.post(f"{stack.emulator_url}/_emulator/config", json={
            "record_conversations": False, "accept_any_reply_token": True}, timeout=5).raise_for_status()
        _fresh_database(database_url)
        _cli(env, "db", "upgrade")
        _cli(env, "faq", "import", str(FAQ_CSV))
        stack.processes.append(_spawn([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env))
        stack.processes.extend(_spawn([sys.executable, "-m", "bot.cli", "worker"], env, nice=WORKER_NICE)
                               for _ in range(workers))
        _wait_http(f"http://127.0.0.1:{port}/healthz", "madoguchi serve")
    except BaseException:
        _stop(stack.processes)
        raise
    return stack


def _open_loop(port: int, events: Sequence[Mapping[str, Any]], rate: float, threads: int,
               start: float) -> list[Sent]:
    """Post each event at start + i/rate whatever became of the earlier ones; returns when all are answered."""
    bodies = [signed_body(dict(event), SECRET) for event in events]
    poster = Poster(port)
    sent = [Sent(due=start + n / rate, token=e["replyToken"], user=e["source"]["userId"]) for n, e in enumerate(events)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for (raw, signature), item in zip(bodies, sent):
            delay = item.due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(poster.post, raw, signature, item)
    return sent


def _start_poller(emulator_url: str) -> tuple[Record, Callable[[], None]]:
    record, stop = Record(), threading.Event()
    thread = threading.Thread(target=_poll, args=(emulator_url, record, stop), daemon=True)
    thread.start()

    def finish() -> None:
        time.sleep(0.3)  # one more look at the record
        stop.set()
        thread.join(10)
    return record, finish


def _await_answers(events: Sequence[Mapping[str, Any]], record: Record, grace: float,
                   stalled_after: float = 30.0) -> None:
    """Wait until every event is answered, `grace` passes, or nothing new was answered for `stalled_after` s."""
    deadline, last_count, last_change = time.perf_counter() + grace, -1, time.perf_counter()
    while time.perf_counter() < deadline:
        count = len(answered_at(events, record))
        if count >= len(events):
            return
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > stalled_after:
            return
        time.sleep(0.5)


def _watch_readyz(port: int, log: list[tuple[float, int, float]], stop: threading.Event) -> None:
    """Ask /readyz every 0.25 s: (when, status, ms); status 0 when it did not answer within 5 s."""
    session = requests.Session()
    while not stop.wait(0.25):
        asked = time.perf_counter()
        try:
            status = session.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code
        except requests.RequestException:
            status = 0
        log.append((asked, status, (time.perf_counter() - asked) * 1000))


# -- scenario a: PostgreSQL down -------------------------------------------------------------------

@dataclass
class Outage:
    """When the database went away and came back (perf_counter seconds)."""

    stop_issued: float = 0.0
    stopped: float = 0.0
    start_issued: float = 0.0
    ready: float = 0.0


def _break_database(postgres: PrivatePostgres, outage: Outage, at: float, down_seconds: float,
                    *, freeze: bool = False) -> None:
    time.sleep(max(0.0, at - time.perf_counter()))
    outage.stop_issued = time.perf_counter()
    postgres.freeze() if freeze else postgres.stop()
    outage.stopped = time.perf_counter()
    time.sleep(max(0.0, outage.stopped + down_seconds - time.perf_counter()))
    outage.start_issued = time.perf_counter()
    postgres.thaw() if freeze else postgres.start()
    outage.ready = time.perf_counter()


def run_pg_outage(args: argparse.Namespace, *, freeze: bool = False) -> dict[str, Any]:
    """Scenario a: stop the private cluster (or, with freeze, hang it) for `args.down` seconds under load."""
    postgres = PrivatePostgres()
    try:
        postgres.start()
        stack = _start_stack(postgres.url("faults_bench"), args.workers, args.web_workers)
        try:
            return _pg_outage_load(args, postgres, stack, freeze=freeze)
        finally:
            _stop(stack.processes)
    finally:
        postgres.destroy()


def _pg_outage_load(args: argparse.Namespace, postgres: PrivatePostgres, stack: Stack,
                    *, freeze: bool) -> dict[str, Any]:
    total = int(args.rate * (args.before + args.down + args.after))
    events = distinct_events(total, args.seed, now_ms=int(time.time() * 1000))
    record, finish_polling = _start_poller(stack.emulator_url)
    readyz: list[tuple[float, int, float]] = []
    stop_readyz = threading.Event()
    threading.Thread(target=_watch_readyz, args=(stack.port, readyz, stop_readyz), daemon=True).start()
    outage, start = Outage(), time.perf_counter() + 0.5
    breaker = threading.Thread(target=_break_database, args=(postgres, outage, start + args.before, args.down),
                               kwargs={"freeze": freeze})
    breaker.start()
    sent = _open_loop(stack.port, events, args.rate, args.client_threads, start)
    breaker.join()
    stop_readyz.set()
    acked_events = [e for e, s in zip(events, sent) if is_2xx(s)]
    _await_answers(acked_events, record, args.grace)
    acknowledged_answered = answered_at(acked_events, record)
    refused = [dict(e, deliveryContext={"isRedelivery": True}) for e, s in zip(events, sent) if not is_2xx(s)]
    redelivered = _open_loop(stack.port, refused, args.rate, args.client_threads, time.perf_counter() + 0.2)
    _await_answers(events, record, args.grace)
    finish_polling()
    answered = answered_at(events, record)
    figures = _outage_figures(args, sent, outage, readyz, record, events, acked_events)
    figures["answers"] = {
        "acknowledged": len(acked_events), "acknowledged_answered": len(acknowledged_answered),
        "acknowledged_unanswered": len(acked_events) - len(answered_at(acked_events, record)),
        "refused_then_redelivered": len(refused),
        "redelivery_non_2xx": sum(1 for s in redelivered if not is_2xx(s)),
        "answered_in_all": len(answered), "unanswered_after_redelivery": len(events) - len(answered)}
    figures["processes_alive_at_end"] = stack.alive()
    figures["database"] = "hung (SIGSTOP), then SIGCONT" if freeze else "pg_ctl stop -m fast, then pg_ctl start"
    figures["client_lag_ms"] = latency_summary([(s.started - s.due) * 1000 for s in sent])
    figures["targets_met"] = outage_targets(figures)
    return figures


def _outage_figures(args: argparse.Namespace, sent: list[Sent], outage: Outage,
                    readyz: list[tuple[float, int, float]], record: Record,
                    events: Sequence[Mapping[str, Any]], acked_events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    before = [s for s in sent if s.started < outage.stop_issued]
    stopping = started_between(sent, outage.stop_issued, outage.stopped)
    down = started_between(sent, outage.stopped, outage.start_issued)
    starting = started_between(sent, outage.start_issued, outage.ready)
    after_start = sorted((s for s in sent if s.started >= outage.start_issued and is_2xx(s)), key=lambda s: s.ack or 0)
    normal = normal_again_at(sent, outage.start_issued, NORMAL_ACK_MS)
    ready_checks = [(t, status) for t, status, _ in readyz]
    down_checks = [(status, ms) for t, status, ms in readyz if outage.stopped <= t < outage.start_issued]
    first_ready = next((t for t, status in ready_checks if t >= outage.start_issued and status == 200), None)
    answer_times = answered_at(events, record)
    resumed = min((t for t in answer_times.values() if t >= outage.ready), default=None)
    since = lambda t: None if t is None else round(t - outage.start_issued, 2)  # noqa: E731
    return {
        "rate": args.rate, "seconds": args.before + args.down + args.after, "down_seconds": args.down,
        "workers": args.workers, "web_workers": args.web_workers, "posted": len(sent),
        "non_2xx": sum(1 for s in sent if not is_2xx(s)),
        "before": {"posts": len(before), "non_2xx": sum(1 for s in before if not is_2xx(s)),
                   "ack_ms": latency_summary([ack_ms(s) for s in before])},
        "pg_ctl_stop_seconds": round(outage.stopped - outage.stop_issued, 2),
        "while_stopping": {"posts": len(stopping), "statuses": _statuses(stopping),
                           "ms": latency_summary([ack_ms(s) for s in stopping])},
        "while_down": {"posts": len(down), "statuses": _statuses(down),
                       "non_5xx": sum(1 for s in down if not 500 <= s.status < 600),
                       "ms": latency_summary([ack_ms(s) for s in down]), "target_ms": FAST_5XX_MS},
        "while_starting": {"posts": len(starting), "statuses": _statuses(starting)},
        "recovery": {
            "pg_ctl_start_seconds": round(outage.ready - outage.start_issued, 2),
            "first_2xx_s": since(after_start[0].ack if after_start else None),
            "acks_normal_s": since(normal), "normal_ack_ms": NORMAL_ACK_MS,
            "readyz_ready_s": since(first_ready), "first_answer_after_restart_s": since(resumed),
            "target_s": RECOVERY_SECONDS, "times_from": "pg_ctl start issued"},
        "readyz": {
            "while_down_checks": len(down_checks), "while_down_ready": sum(1 for s, _ in down_checks if s == 200),
            "while_down_statuses": dict(Counter(str(s) for s, _ in down_checks)),
            "while_down_ms": latency_summary([ms for _, ms in down_checks])},
    }


def _statuses(sent: Iterable[Sent]) -> dict[str, int]:
    """Statuses by count ("0": no HTTP answer at all)."""
    return {str(k): v for k, v in sorted(Counter(s.status for s in sent).items())}


# -- scenario b: LINE's reply endpoint failing -----------------------------------------------------

def run_reply_faults(args: argparse.Namespace) -> dict[str, Any]:
    """Scenario b: a baseline phase, then the same load with the reply endpoint failing and hanging."""
    postgres = PrivatePostgres()
    try:
        postgres.start()
        stack = _start_stack(postgres.url("faults_bench"), args.workers, args.web_workers)
        try:
            return _reply_fault_phases(args, stack)
        finally:
            _stop(stack.processes)
    finally:
        postgres.destroy()


def _reply_fault_phases(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    count = int(args.rate * args.phase_seconds)
    record, finish_polling = _start_poller(stack.emulator_url)
    baseline = _phase(args, stack, record, distinct_events(count, args.seed, now_ms=int(time.time() * 1000)))
    faults = [{"endpoint": "reply", "mode": "error_before", "status": 500, "probability": args.error_share,
               "count": -1},
              {"endpoint": "reply", "mode": "hang", "seconds": args.hang_seconds, "probability": args.hang_share,
               "count": -1}]
    for fault in faults:
        requests.post(f"{stack.emulator_url}/_emulator/faults", json=fault, timeout=5).raise_for_status()
    faulty_events = distinct_events(count, args.seed + 1, now_ms=int(time.time() * 1000), first=count)
    faulty = _phase(args, stack, record, faulty_events)
    requests.delete(f"{stack.emulator_url}/_emulator/faults", timeout=5).raise_for_status()
    finish_polling()
    calls = requests.get(f"{stack.emulator_url}/_emulator/requests", timeout=30).json()
    faulty["line_calls"] = _line_calls(calls, faulty_events)
    figures = {"rate": args.rate, "phase_seconds": args.phase_seconds, "workers": args.workers,
               "faults": faulty, "baseline": baseline,
               "injected": {"reply_500_share": args.error_share, "reply_hang_share": args.hang_share,
                            "hang_seconds": args.hang_seconds},
               "processes_alive_at_end": stack.alive()}
    figures["targets_met"] = reply_fault_targets(figures)
    return figures


def _phase(args: argparse.Namespace, stack: Stack, record: Record,
           events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter() + 0.5
    sent = _open_loop(stack.port, events, args.rate, args.client_threads, start)
    _await_answers(events, record, args.grace)
    answered = answered_at(events, record)
    waits = [(answered[e["webhookEventId"]] - s.started) * 1000 for e, s in zip(events, sent)
             if e["webhookEventId"] in answered]
    return {"posted": len(sent), "non_2xx": sum(1 for s in sent if not is_2xx(s)),
            "ack_ms": latency_summary([(s.ack - s.due) * 1000 for s in sent if s.ack is not None]),
            "answered": len(answered), "unanswered": len(events) - len(answered),
            "answer_ms": latency_summary(waits),
            "last_answer_after_load_s": round(max(answered.values(), default=start) - sent[-1].due, 1)}


def _line_calls(calls: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the workers sent LINE for these events: replies and pushes by status."""
    tokens = {e["replyToken"] for e in events}
    users = {e["source"]["userId"] for e in events}
    replies: Counter[int] = Counter()
    pushes: Counter[int] = Counter()
    for call in calls:
        body = call.get("body") if isinstance(call.get("body"), dict) else {}
        if call["path"].endswith("/message/reply") and body.get("replyToken") in tokens:
            replies[call["status"]] += 1
        elif call["path"].endswith("/message/push") and body.get("to") in users:
            pushes[call["status"]] += 1
    return {"reply_by_status": {str(k): v for k, v in sorted(replies.items())},
            "push_by_status": {str(k): v for k, v in sorted(pushes.items())}}


# -- main ------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("all", "pg_outage", "reply_faults", "pg_hang"), default="all",
                        help="all: pg_outage and reply_faults; pg_hang (PostgreSQL frozen, not stopped) only alone")
    parser.add_argument("--rate", type=float, default=50, help="webhook posts per second (open loop)")
    parser.add_argument("--before", type=float, default=10, help="pg_outage: seconds of load before the stop")
    parser.add_argument("--down", type=float, default=30, help="pg_outage: seconds the database stays down")
    parser.add_argument("--after", type=float, default=20, help="pg_outage: seconds of load after the restart")
    parser.add_argument("--phase-seconds", type=float, default=15, help="reply_faults: seconds of each phase")
    parser.add_argument("--error-share", type=float, default=0.2, help="reply_faults: share of replies failing 500")
    parser.add_argument("--hang-share", type=float, default=0.05, help="reply_faults: share of replies hanging")
    parser.add_argument("--hang-seconds", type=float, default=3.0,
                        help="reply_faults: how long a hang lasts (the SDK gives up after 10 s)")
    parser.add_argument("--workers", type=int, default=2, help="`madoguchi worker` processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--client-threads", type=int, default=32)
    parser.add_argument("--grace", type=float, default=120, help="seconds to wait for answers after a load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print their JSON."""
    args = _parser().parse_args(argv)
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL server binaries not found in {PG_BIN} (set BENCH_PG_BIN)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind through `finally`: no process left behind
    result: dict[str, Any] = {"machine_cores": os.cpu_count(), "worker_nice": WORKER_NICE}
    if args.scenario in ("all", "pg_outage"):
        result["pg_outage"] = run_pg_outage(args)
    if args.scenario in ("all", "reply_faults"):
        result["reply_faults"] = run_reply_faults(args)
    if args.scenario == "pg_hang":
        result["pg_hang"] = run_pg_outage(args, freeze=True)
    result["load_average"] = round(os.getloadavg()[0], 2)
    result["all_targets_met"] = all(all(result[name]["targets_met"].values())
                                    for name in ("pg_outage", "reply_faults", "pg_hang") if name in result)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=2, ensure_ascii=False))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        name = "webhook_faults.json" if args.scenario == "all" else f"webhook_faults_{args.scenario}.json"
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
