"""What an idle worker costs: `python -m bench.worker_idle [--seconds S] [--workers W] --json`.

A city's bot is quiet most of the time, on a small server. W `madoguchi worker` processes start on a
fresh PostgreSQL database with the sample FAQ and nothing to do; after a settling time (their index
build), the CPU they and PostgreSQL use over S seconds is reported as a share of one core. LINE is
never called (nothing to answer), so no emulator runs. Writes bench/results/worker_idle.json.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from typing import Any

from bench.webhook_load import (FAQ_CSV, _cli, _env, _fresh_database, _spawn, _stop, add_output_options, cpu_seconds,
                                report)

SETTLE_SECONDS = 15.0  # start-up: imports, the FAQ index build


def measure(database_url: str, *, workers: int, seconds: float) -> dict[str, Any]:
    """Start the workers, let them settle, read their CPU and PostgreSQL's over `seconds`."""
    _fresh_database(database_url)
    env = _env(database_url, "http://127.0.0.1:9", 2)  # a LINE nobody listens on: never called
    _cli(env, "db", "upgrade")
    _cli(env, "faq", "import", str(FAQ_CSV))
    processes: list[subprocess.Popen] = []
    try:
        processes.extend(_spawn([sys.executable, "-m", "bot.cli", "worker"], env) for _ in range(workers))
        time.sleep(SETTLE_SECONDS)
        sessions = {f"worker{n}": p.pid for n, p in enumerate(processes)}
        before, start = cpu_seconds(sessions), time.perf_counter()
        time.sleep(seconds)
        after, wall = cpu_seconds(sessions), time.perf_counter() - start
    finally:
        _stop(processes)
    used = {role: round((after[role] - before[role]) / wall * 100, 2) for role in after}
    return {"workers": workers, "seconds": round(wall, 1), "percent_of_a_core": used}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    add_output_options(parser, default_out="worker_idle.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report(measure(args.database_url, workers=args.workers, seconds=args.seconds), args, default_out="worker_idle.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
