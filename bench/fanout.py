"""Broadcast fan-out against the LINE emulator: `python -m bench.fanout --recipients N --faults SPEC --kills K --json`.

Starts the emulator (rate limits on: multicast 200/s), fills a database with N followers, plans one
broadcast to everyone, runs `madoguchi broadcast worker` processes until the emulator has seen every
recipient, optionally `kill -9`-ing the workers K times at random moments and restarting them. Every
figure comes from the emulator's own record (GET /_emulator/recipients), not from our database.
`--emergency` instead times `madoguchi broadcast emergency` (one broadcast-endpoint call).
`--demo` sends with `madoguchi demo` itself (SQLite, its inline worker; pointed at this emulator with
--line-api), so that `--kills` kill the whole demo process.

SPEC: `error_before=0.01,error_after=0.005,hang=0.005` (probability per multicast call); hangs last
--hang-seconds (default 8 s, longer than the client's 5 s timeout). Writes bench/results/fanout*.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import insert, text

from bot.migrate import upgrade
from broadcast.compose import text_message
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_now
from core.db import make_engine, make_session_factory, utcnow
from core.models import LineUser

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TOKEN = "bench-access-token"
LINE_MULTICAST_PER_SECOND = 200
DEFAULT_DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bcast_bench")


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and print its JSON."""
    args = _parser().parse_args(argv)
    if args.demo:
        args.workers = 1
        if args.database_url == DEFAULT_DATABASE:
            args.database_url = f"sqlite:///{tempfile.mkdtemp(prefix='fanout-demo-')}/demo.db"
    emulator, url = _start_emulator()
    try:
        _configure(url, args)
        engine = _fresh_database(args.database_url, args.recipients)
        result = _emergency(args, url) if args.emergency else _fanout(args, url, engine)
        engine.dispose()
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(10)
    result.update(machine_cores=os.cpu_count(), load_average=round(os.getloadavg()[0], 2))
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=2, ensure_ascii=False))
    if args.out:
        (RESULTS / args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--faults", default="", help="error_before=P,error_after=P,hang=P")
    parser.add_argument("--hang-seconds", type=float, default=8.0)
    parser.add_argument("--kills", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--batch", type=int, default=10, help="chunks per transaction")
    parser.add_argument("--emergency", action="store_true", help="time `madoguchi broadcast emergency` instead")
    parser.add_argument("--demo", action="store_true", help="send with `madoguchi demo` (SQLite) instead of workers")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", help="also write the JSON to bench/results/OUT")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    return parser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_emulator() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "emulator", "--port", str(port), "--channel-access-token", TOKEN],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/_emulator/config", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the emulator did not start")


def _configure(url: str, args: argparse.Namespace) -> None:
    requests.post(f"{url}/_emulator/config", json={"record_conversations": False}).raise_for_status()
    requests.post(f"{url}/_emulator/rate_limits", json={"enabled": True}).raise_for_status()
    for item in filter(None, (part.strip() for part in args.faults.split(","))):
        mode, _, probability = item.partition("=")
        requests.post(f"{url}/_emulator/faults", json={
            "endpoint": "broadcast" if args.emergency else "multicast", "mode": mode.strip(), "count": -1,
            "probability": float(probability), "seconds": args.hang_seconds}).raise_for_status()
    if args.emergency:
        requests.post(f"{url}/_emulator/followers", json={"count": args.recipients}).raise_for_status()


def _fresh_database(database_url: str, recipients: int) -> Any:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    now = utcnow()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("INSERT INTO line_users (line_user_id, first_seen_at, followed_at) "
                                    "SELECT 'U' || lpad(to_hex(n), 32, '0'), :now, :now FROM generate_series(0, :last) n"),
                               {"now": now, "last": recipients - 1})
        else:
            connection.execute(insert(LineUser), [{"line_user_id": f"U{n:032x}", "first_seen_at": now,
                                                   "followed_at": now} for n in range(recipients)])
    return engine


def _summary(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/_emulator/recipients", timeout=30).json()


def _worker_env(args: argparse.Namespace, url: str) -> dict[str, str]:
    rate = 190 / args.workers
    return {**os.environ, "DATABASE_URL": args.database_url, "MADOGUCHI_DEMO": "1", "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE": url, "BROADCAST_RATE_LIMITS": f"multicast={rate}", "PYTHONUNBUFFERED": "1"}


def _start_workers(args: argparse.Namespace, url: str) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "bot.cli", "broadcast", "worker", "--threads", str(args.threads),
               "--batch", str(args.batch)]
    if args.demo:  # the whole embedded default: web tier, inline worker and scheduler in one process
        command = [sys.executable, "-m", "bot.cli", "demo", "--port", str(_free_port()), "--line-api", url]
    return [subprocess.Popen(command, cwd=ROOT, env=_worker_env(args, url), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(args.workers)]


def _fanout(args: argparse.Namespace, url: str, engine: Any) -> dict[str, Any]:
    sessions = make_session_factory(engine)
    started = time.time()
    with sessions.begin() as session:
        broadcast = compose_broadcast(session, title="bench", messages=[text_message("ベンチマーク配信です")],
                                      segment=Segment(), now=utcnow())
        chunks = send_now(session, broadcast.id, now=utcnow())
    plan_seconds = time.time() - started
    rng = random.Random(args.seed)
    floor = chunks / LINE_MULTICAST_PER_SECOND
    kill_at = sorted(rng.uniform(0.1, 0.9) * floor for _ in range(args.kills))
    spawned = time.time()
    workers = _start_workers(args, url)
    resumes = []
    try:
        summary = _wait(url, args, workers, spawned, kill_at, resumes)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
    return _result(args, summary, chunks=chunks, floor=floor, plan_seconds=plan_seconds, spawned=spawned,
                   resumes=resumes)


def _wait(url: str, args: argparse.Namespace, workers: list[subprocess.Popen], spawned: float, kill_at: list[float],
          resumes: list[float]) -> dict[str, Any]:
    summary = _summary(url)
    while summary["recipients"] < args.recipients and time.time() - spawned < args.timeout:
        if kill_at and summary["first_request_at"] and time.time() - summary["first_request_at"] >= kill_at[0]:
            kill_at.pop(0)
            resumes.append(_kill_and_restart(url, args, workers))
        time.sleep(0.1)
        summary = _summary(url)
    time.sleep(args.hang_seconds + 1 if args.faults else 0.5)  # let hung calls finish: they may still deliver
    return _summary(url)


def _kill_and_restart(url: str, args: argparse.Namespace, workers: list[subprocess.Popen]) -> float:
    """kill -9 every worker, start them again; returns seconds from restart to LINE's next accepted call."""
    for worker in workers:
        worker.kill()
        worker.wait()
    calls = _summary(url)["calls"]
    restarted = time.time()
    workers[:] = _start_workers(args, url)
    while _summary(url)["calls"] == calls and time.time() - restarted < 60:
        time.sleep(0.02)
    return round(time.time() - restarted, 3)


def _result(args: argparse.Namespace, summary: dict[str, Any], *, chunks: int, floor: float, plan_seconds: float,
            spawned: float, resumes: list[float]) -> dict[str, Any]:
    first, last = summary["first_request_at"] or spawned, summary["last_delivery_at"] or spawned
    return {"recipients": args.recipients, "delivered": summary["recipients"], "duplicates": summary["duplicates"],
            "lost": args.recipients - summary["recipients"], "seconds": round(last - first, 3),
            "floor_seconds": round(floor, 3), "requests": summary["requests"], "chunks": chunks,
            "seconds_from_worker_start": round(last - spawned, 3), "plan_seconds": round(plan_seconds, 3),
            "faults": args.faults, "hang_seconds": args.hang_seconds if args.faults else None, "kills": args.kills,
            "resume_seconds": resumes, "workers": args.workers, "threads": args.threads, "batch": args.batch,
            "database": args.database_url.split(":")[0], "sender": "madoguchi demo" if args.demo else "workers"}


def _emergency(args: argparse.Namespace, url: str) -> dict[str, Any]:
    env = {**_worker_env(args, url), "BROADCAST_RATE_LIMITS": ""}
    started = time.time()
    process = subprocess.run([sys.executable, "-m", "bot.cli", "broadcast", "emergency", "--text", "避難指示（ベンチマーク）"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.timeout)
    summary = _summary(url)
    first_call = requests.get(f"{url}/_emulator/requests?path=/v2/bot/message/broadcast").json()
    return {"recipients": args.recipients, "delivered": summary["recipients"], "duplicates": summary["duplicates"],
            "lost": args.recipients - summary["recipients"], "requests": summary["requests"], "chunks": 1,
            "first_call_after_command_seconds": round((summary["first_request_at"] or started) - started, 3),
            "all_handed_to_line_seconds": round((summary["last_delivery_at"] or started) - started, 3),
            "command_seconds": round(time.time() - started, 3), "exit_status": process.returncode,
            "broadcast_calls": len(first_call), "database": args.database_url.split(":")[0]}


if __name__ == "__main__":
    sys.exit(main())
