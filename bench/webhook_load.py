"""Webhook load against the real processes: `python -m bench.webhook_load --rate R --seconds S --json`.

Starts the LINE emulator (accepting any reply token, since these events never went through it),
migrates a fresh PostgreSQL database, imports the sample FAQ, starts `madoguchi serve` (gunicorn)
and W `madoguchi worker` processes, then posts correctly signed webhook bodies OPEN-LOOP: request i
is due at start + i/R whether or not earlier ones were answered, so a slow server shows up as
latency instead of as a lower offered rate. Mix: 80% text questions (sample-FAQ paraphrases and
some the FAQ cannot answer), 10% postbacks, 10% follows; users drawn from a pool.

ack_ms is measured from the moment a request was *due* (so client-side queueing counts against us,
never for us). "answered" comes from the emulator's record: a reply with the event's token, or a
push to its user; the record is polled every POLL_SECONDS, so answer times are upper bounds within
that resolution. With --nginx the posts go through nginx configured by the deployment's own site file
(bench/nginx_front.py), which refuses webhooks past what the web tier can queue (503s count as
non-2xx, and their latency counts in ack_ms). Writes bench/results/webhook_load_<rate>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import csv
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import requests
from sqlalchemy import create_engine, text

from bench.nginx_front import nginx_command

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
FAQ_CSV = ROOT / "faq" / "sample" / "minato_faq.csv"
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
DESTINATION = "U" + "f" * 32
DEFAULT_DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/load_bench")
POLL_SECONDS = 0.1
# Answering runs at low priority, as CPUWeight=25 gives the workers in deploy/systemd: in a surge the
# acknowledging web tier gets the CPU first. The emulator too: it plays LINE's servers, whose work is
# not on our cores in production, so here it may take from the answering side but not from the acks.
WORKER_NICE = 10
EMULATOR_NICE = WORKER_NICE
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
# Questions the sample FAQ has no answer for: the bot must still say something (an apology, a menu).
UNANSWERABLE = ["市長の好きな食べ物は？", "明日の天気を教えて", "おすすめのラーメン屋ある？", "宇宙ステーションの見学予約",
                "ふるさと納税の返礼品に牛肉はある？", "猫が迷子になった", "ｗｉｆｉのパスワード", "あいうえお"]
POSTBACKS = ["action=browse", "action=browse&c=ごみ・リサイクル", "action=news", "action=browse&c=税金"]


# -- pure parts (tested in tests/bench/test_webhook_load.py) ----------------------------------------

def faq_questions(path: Path = FAQ_CSV) -> list[str]:
    """Every question and paraphrase of the sample FAQ, in file order."""
    questions: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            questions.append(row["question"])
            questions.extend(p.strip() for p in (row.get("paraphrases") or "").split("|") if p.strip())
    return questions


def user_pool(size: int) -> list[str]:
    """LINE-shaped user ids U + 32 hex digits."""
    return [f"U{0xbe7c0000 + n:032x}" for n in range(size)]


def make_event(number: int, rng: random.Random, questions: Sequence[str], users: Sequence[str],
               *, now_ms: int) -> dict[str, Any]:
    """Event `number` of the mix: 80% text (1 in 8 unanswerable), 10% postback, 10% follow."""
    roll = rng.random()
    event: dict[str, Any] = {
        "mode": "active", "timestamp": now_ms, "source": {"type": "user", "userId": rng.choice(users)},
        "webhookEventId": f"01BENCH{number:019d}", "deliveryContext": {"isRedelivery": False},
        "replyToken": f"benchreply{number:022d}"}
    if roll < 0.8:
        said = rng.choice(UNANSWERABLE) if rng.random() < 0.125 else rng.choice(questions)
        event.update(type="message", message={"id": str(700000000000000000 + number), "type": "text",
                                              "text": said, "quoteToken": f"q{number:019d}"})
    elif roll < 0.9:
        event.update(type="postback", postback={"data": rng.choice(POSTBACKS)})
    else:
        event.update(type="follow", follow={"isUnblocked": False})
    return event


def signed_body(event: dict[str, Any], secret: str) -> tuple[bytes, str]:
    """The body LINE posts for one event and its X-Line-Signature."""
    raw = json.dumps({"destination": DESTINATION, "events": [event]}, ensure_ascii=False).encode("utf-8")
    return raw, base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# -- processes -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, what: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def _env(database_url: str, emulator_url: str, web_workers: int) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "LINE_API_BASE": emulator_url, "LINE_DATA_API_BASE": emulator_url, "MADOGUCHI_INLINE_WORKER": "0",
            "MADOGUCHI_WEB_WORKERS": str(web_workers), "PYTHONUNBUFFERED": "1"}


def _fresh_database(database_url: str) -> None:
    base, _, name = database_url.rpartition("/")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL)


def _spawn(command: list[str], env: dict[str, str] | None = None, *, nice: int = 0) -> subprocess.Popen:
    # A session of its own, so gunicorn's workers go down with their arbiter.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, preexec_fn=(lambda: os.nice(nice)) if nice else None)
    if nice:
        _lower_session_priority(process.pid, nice)
    return process


def _lower_session_priority(pid: int, nice: int) -> None:
    # Linux schedules each session as a group of its own (autogroup) and shares the CPU between the
    # groups by the group's nice value, not by its processes': a worker session at nice 10 got as much
    # CPU as the web tier's. systemd services are sessions (and cgroups) of their own as well, hence
    # CPUWeight= in deploy/systemd. Popen returns after the child's setsid and exec, so the group exists.
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:
        pass  # a kernel without autogroups: the processes' own nice value is what counts


def cpu_seconds(session_ids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named session's processes, with their reaped children (Linux /proc).

    Reaped children count through their parent's cutime/cstime: gunicorn recycles its workers and
    the postmaster its backends, and a plain sum over live processes would lose what they used.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(session_ids, 0.0)
    roles = {sid: role for role, sid in session_ids.items()}
    used["postgres"] = 0.0  # every postgres process on the machine (the server is shared, not ours alone)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, tail = stat.read_text().rpartition(")")
        except OSError:
            continue  # the process ended meanwhile
        fields = tail.split()  # after "(comm)": state ppid pgrp session ... utime (11) stime cutime cstime (14)
        role = "postgres" if head.endswith("(postgres") else roles.get(int(fields[3]))
        if role is not None:
            used[role] += sum(int(f) for f in fields[11:15]) / ticks
    return used


def start_nginx(processes: list[subprocess.Popen], *, upstream_port: int) -> int:
    """nginx with the deployment's site in front of `madoguchi serve` (appended to `processes`); its port."""
    port, directory = _free_port(), Path(tempfile.mkdtemp(prefix="madoguchi-nginx-"))
    atexit.register(shutil.rmtree, directory, True)  # its configuration and logs
    processes.append(_spawn(nginx_command(port=port, upstream_port=upstream_port, directory=directory)))
    _wait_http(f"http://127.0.0.1:{port}/healthz", "nginx")
    return port


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(25)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def start_stack(processes: list[subprocess.Popen], *, database_url: str, web_workers: int,
                workers: int) -> tuple[int, str]:
    """Emulator, a fresh migrated database with the sample FAQ, `madoguchi serve` and W workers.

    Appends each process to `processes` as it starts (emulator, serve, workers — in that order), so
    the caller's `finally: _stop(processes)` stops whatever started. Returns (serve's port, emulator URL).
    """
    emulator_port, port = _free_port(), _free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    env = _env(database_url, emulator_url, web_workers)
    processes.append(_spawn([sys.executable, "-m", "emulator", "--port", str(emulator_port), "--channel-secret",
                             SECRET, "--channel-access-token", TOKEN,
                             "--webhook-url", f"http://127.0.0.1:{port}/callback"], nice=EMULATOR_NICE))
    _wait_http(f"{emulator_url}/_emulator/config", "the emulator")
    # The events never went through the emulator, so it accepts any reply token (once each).
    requests.post(f"{emulator_url}/_emulator/config", json={"record_conversations": False,
                                                            "accept_any_reply_token": True}).raise_for_status()
    _fresh_database(database_url)
    _cli(env, "db", "upgrade")
    _cli(env, "faq", "import", str(FAQ_CSV))
    processes.append(_spawn([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], env))
    processes.extend(_spawn([sys.executable, "-m", "bot.cli", "worker"], env, nice=WORKER_NICE)
                     for _ in range(workers))
    _wait_http(f"http://127.0.0.1:{port}/healthz", "madoguchi serve")
    return port, emulator_url


# -- load ------------------------------------------------------------------------------------------

@dataclass
class Sent:
    """One webhook post: when it was due, when it went out, how it ended."""

    due: float
    started: float = 0.0
    status: int = 0
    ack: float | None = None
    token: str = ""
    user: str = ""


@dataclass
class Record:
    """Replies and pushes seen at the emulator, stamped with when the poller saw them."""

    replies: dict[str, float] = field(default_factory=dict)
    pushes: dict[str, list[float]] = field(default_factory=dict)


class Poster:
    """Posts pre-signed bodies over one keep-alive connection per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def post(self, raw: bytes, signature: str, sent: Sent) -> None:
        """Post one body; fill in status and ack time (status 0: connection failed)."""
        sent.started = time.perf_counter()
        for _ in range(2):  # a keep-alive connection the server closed is reopened once
            try:
                connection = getattr(self.local, "connection", None) or self._connect()
                connection.request("POST", "/callback", body=raw, headers={
                    "Content-Type": "application/json; charset=utf-8", "X-Line-Signature": signature})
                response = connection.getresponse()
                response.read()
                sent.status, sent.ack = response.status, time.perf_counter()
                return
            except (OSError, http.client.HTTPException):
                self.local.connection = None
        sent.ack = time.perf_counter()

    def _connect(self) -> http.client.HTTPConnection:
        self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return self.local.connection


class AsyncSender:
    """The open-loop client: one asyncio loop, keep-alive connections, no threads fighting for the GIL.

    A thread per connection (Poster) measured its own scheduling: at 500 posts a second its 64
    threads added tens of milliseconds to the tail of what it called ack latency.
    """

    def __init__(self, port: int, *, max_connections: int) -> None:
        self.port = port
        self.max_connections = max_connections

    def run(self, bodies: Sequence[tuple[bytes, str]], sent: Sequence[Sent]) -> None:
        """Post body n at sent[n].due (perf_counter time), whatever happened to the earlier ones."""
        asyncio.run(self._run(bodies, sent))

    async def _run(self, bodies: Sequence[tuple[bytes, str]], sent: Sequence[Sent]) -> None:
        idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        slots = asyncio.Semaphore(self.max_connections)  # beyond this, a post waits (and its lag counts)
        tasks = []
        for body, item in zip(bodies, sent):
            delay = item.due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._post(body, item, idle, slots)))
        await asyncio.gather(*tasks)
        for _, writer in idle:
            writer.close()

    async def _post(self, body: tuple[bytes, str], item: Sent, idle: list, slots: asyncio.Semaphore) -> None:
        raw, signature = body
        request = (f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json; charset=utf-8\r\n"
                   f"X-Line-Signature: {signature}\r\nContent-Length: {len(raw)}\r\n\r\n").encode() + raw
        async with slots:
            item.started = time.perf_counter()
            for attempt in range(2):  # a keep-alive connection the server closed: once more on a new one
                try:
                    reader, writer = (idle.pop() if idle and attempt == 0
                                      else await asyncio.open_connection("127.0.0.1", self.port))
                except OSError:
                    break
                try:
                    writer.write(request)
                    item.status, keep_alive = await asyncio.wait_for(_read_response(reader), timeout=10)
                    item.ack = time.perf_counter()
                    if keep_alive:
                        idle.append((reader, writer))
                    else:
                        writer.close()
                    return
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                    writer.close()
            item.ack = time.perf_counter()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response (its body by Content-Length); return its status and whether it keeps alive."""
    status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in lines if line)
    headers = {name.strip().lower(): value.strip() for name, _, value in fields}
    if int(headers.get("content-length", 0)):
        await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split(" ", 2)[1]), headers.get("connection", "").lower() != "close"


def _poll(emulator_url: str, record: Record, stop: threading.Event) -> None:
    """Stamp each reply/push with the perf_counter time it was first seen."""
    since = {REPLY_PATH: 0, PUSH_PATH: 0}
    session = requests.Session()
    while not stop.wait(POLL_SECONDS):
        for path in since:
            try:
                calls = session.get(f"{emulator_url}/_emulator/requests", params={"path": path, "since": since[path]},
                                    timeout=5).json()
            except requests.RequestException:
                continue
            seen = time.perf_counter()
            for call in calls:
                since[path] = max(since[path], call["seq"])
                if call["status"] != 200 or not isinstance(call.get("body"), dict):
                    continue
                if path == REPLY_PATH:
                    record.replies.setdefault(call["body"].get("replyToken", ""), seen)
                else:
                    record.pushes.setdefault(str(call["body"].get("to")), []).append(seen)


def _run_load(args: argparse.Namespace, port: int, emulator_url: str) -> dict[str, Any]:
    rng = random.Random(args.seed)
    questions, users = faq_questions(), user_pool(args.users)
    total = int(args.rate * args.seconds)
    now_ms = int(time.time() * 1000)
    events = [make_event(n, rng, questions, users, now_ms=now_ms) for n in range(total)]
    bodies = [signed_body(event, SECRET) for event in events]
    interval = 1.0 / args.rate
    record, stop = Record(), threading.Event()
    poller = threading.Thread(target=_poll, args=(emulator_url, record, stop), daemon=True)
    poller.start()
    start = time.perf_counter() + 0.5
    sent = [Sent(due=start + n * interval, token=e["replyToken"], user=e["source"]["userId"])
            for n, e in enumerate(events)]
    AsyncSender(port, max_connections=args.client_connections).run(bodies, sent)
    load_end = time.perf_counter()
    offered_seconds = max(item.started for item in sent) - start
    deadline = load_end + args.grace
    while time.perf_counter() < deadline and len(record.replies) + sum(map(len, record.pushes.values())) < total:
        time.sleep(POLL_SECONDS)
    time.sleep(POLL_SECONDS * 2)
    stop.set()
    poller.join(10)
    return {**_summary(args, sent, record), "offered_rate": round(total / offered_seconds, 1),
            "ack_throughput": round(total / (load_end - start), 1),
            "acks_2xx_per_second": round(sum(1 for s in sent if 200 <= s.status < 300) / (load_end - start), 1),
            "front": "nginx (deploy/nginx/madoguchi.conf)" if args.nginx else "gunicorn"}


def _answer_time(item: Sent, record: Record, used_pushes: dict[str, int]) -> float | None:
    if item.token in record.replies:
        return record.replies[item.token]
    pushes = record.pushes.get(item.user, [])
    position = used_pushes.get(item.user, 0)
    if position < len(pushes):
        used_pushes[item.user] = position + 1
        return pushes[position]
    return None


def _summary(args: argparse.Namespace, sent: list[Sent], record: Record) -> dict[str, Any]:
    acked = [s for s in sent if 200 <= s.status < 300]
    acks = [(s.ack - s.due) * 1000 for s in sent if s.ack is not None and s.status]
    lag = [(s.started - s.due) * 1000 for s in sent if s.started]
    used: dict[str, int] = {}
    answers = []
    for item in acked:
        seen = _answer_time(item, record, used)
        if seen is not None:
            answers.append((seen - item.started) * 1000)
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {"rate": args.rate, "seconds": args.seconds, "sent": len(sent),
            "non_2xx": len(sent) - len(acked), "connection_errors": sum(1 for s in sent if s.status == 0),
            "ack_ms_p50": rounded(percentile(acks, 50)), "ack_ms_p99": rounded(percentile(acks, 99)),
            "ack_ms_max": rounded(max(acks, default=None)),
            "answered": len(answers), "unanswered": len(acked) - len(answers),
            "answer_ms_p50": rounded(percentile(answers, 50)), "answer_ms_p99": rounded(percentile(answers, 99)),
            "answered_within_2s": sum(1 for a in answers if a <= 2000),
            "client_lag_ms_p99": rounded(percentile(lag, 99)),
            "workers": args.workers, "worker_nice": WORKER_NICE, "web_workers": args.web_workers,
            "grace_seconds": args.grace,
            "answer_resolution_ms": POLL_SECONDS * 1000, "machine_cores": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 2)}


# -- main ------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100, help="webhook posts per second (open loop)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="`madoguchi worker` processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--client-connections", type=int, default=256, help="keep-alive connections at most")
    parser.add_argument("--grace", type=float, default=30, help="seconds to wait for answers after the load")
    parser.add_argument("--nginx", action="store_true",
                        help="post through nginx configured by deploy/nginx/madoguchi.conf (bench/nginx_front.py)")
    add_run_options(parser, default_out="webhook_load_<rate>.json")
    return parser


def add_run_options(parser: argparse.ArgumentParser, *, default_out: str) -> None:
    """The options this benchmark shares with bench/worker_drain.py: citizens, database, output."""
    parser.add_argument("--users", type=int, default=2000, help="size of the citizen pool")
    parser.add_argument("--seed", type=int, default=1)
    add_output_options(parser, default_out=default_out)


def add_output_options(parser: argparse.ArgumentParser, *, default_out: str) -> None:
    """The database to run on and where the result goes (`report`)."""
    parser.add_argument("--database-url", default=DEFAULT_DATABASE,
                        help="a PostgreSQL database the run empties first: give runs at the same time different ones")
    parser.add_argument("--out", help=f"file name in bench/results/ (default {default_out})")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--json", action="store_true", help="one line of JSON")


def report(result: dict[str, Any], args: argparse.Namespace, *, default_out: str) -> None:
    """Print the result (one line with --json) and keep it in bench/results/ unless --no-save."""
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=2, ensure_ascii=False))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / (args.out or default_out)).write_text(json.dumps(result, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run one load and print its JSON."""
    args = _parser().parse_args(argv)
    # `timeout` or a Ctrl-C'd parent sends SIGTERM: unwind through `finally` so no process is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes: list[subprocess.Popen] = []
    try:
        port, emulator_url = start_stack(processes, database_url=args.database_url, web_workers=args.web_workers,
                                         workers=args.workers)
        sessions = {"emulator": processes[0].pid, "serve": processes[1].pid,
                    **{f"worker{n}": p.pid for n, p in enumerate(processes[2:])}}
        if args.nginx:
            port = start_nginx(processes, upstream_port=port)
            sessions["nginx"] = processes[-1].pid
        before, wall, client = cpu_seconds(sessions), time.perf_counter(), sum(os.times()[:2])
        result = _run_load(args, port, emulator_url)
        after, wall = cpu_seconds(sessions), time.perf_counter() - wall
        # Share of one core each part used over the load and the grace period (2.0 = both cores).
        result["cores_used"] = {role: round((after[role] - before[role]) / wall, 2) for role in after}
        result["cores_used"]["client"] = round((sum(os.times()[:2]) - client) / wall, 2)
    finally:
        _stop(processes)
    report(result, args, default_out=f"webhook_load_{args.rate:g}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
