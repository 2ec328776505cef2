"""`madoguchi demo`, the quick start: one process with SQLite, the LINE emulator and the sample FAQ."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.app import EmulatorConfig, create_app as create_emulator
from tests.conftest import ServerThread

ROOT = Path(__file__).resolve().parents[2]
CITIZEN = "U" + "d" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def _bot_messages(emulator_url: str) -> list[dict[str, Any]]:
    messages = requests.get(f"{emulator_url}/_emulator/messages", params={"user_id": CITIZEN}, timeout=5).json()
    return [entry["message"] for entry in messages if entry["from"] != "user"]


def _demo(tmp_path: Path, *arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    secrets = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY")  # the demo has its own
    environment = {**{name: value for name, value in os.environ.items() if name not in secrets},
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "MEDIA_DIR": str(tmp_path / "media"),
                   **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "demo", *arguments], cwd=ROOT, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture
def external_emulator() -> ServerThread:
    server = ServerThread(create_emulator(EmulatorConfig("external-secret", "external-token")))
    yield server
    server.stop()


def test_the_demo_answers_a_citizen_from_the_sample_faq_and_stops_cleanly(tmp_path: Path) -> None:
    port, emulator_port = _free_port(), _free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    process = _demo(tmp_path, "--port", str(port), "--emulator-port", str(emulator_port))
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        _wait_for(f"{emulator_url}/_emulator/config")
        said = requests.post(f"{emulator_url}/_emulator/say", json={"user_id": CITIZEN, "text": "粗大ごみの出し方"},
                             timeout=10)
        assert said.status_code == 200 and said.json()["status"] == 200
        deadline = time.time() + 15
        while not _bot_messages(emulator_url) and time.time() < deadline:
            time.sleep(0.1)
        [answer, *_] = _bot_messages(emulator_url)
        assert answer["type"] == "text" and "粗大ごみ" in answer["text"]
    finally:
        assert _stop(process) == 0


def test_the_demo_can_use_an_emulator_running_elsewhere(tmp_path: Path, external_emulator: ServerThread) -> None:
    # The fan-out benchmark kills the whole demo process; the emulator's record must outlive it.
    port = _free_port()
    process = _demo(tmp_path, "--port", str(port), "--line-api", external_emulator.url,
                    env={"LINE_CHANNEL_SECRET": "external-secret", "LINE_CHANNEL_ACCESS_TOKEN": "external-token"})
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        deadline = time.time() + 20
        while time.time() < deadline:
            menus = requests.get(f"{external_emulator.url}/_emulator/requests",
                                 params={"path": "/v2/bot/richmenu"}, timeout=5).json()
            if menus:
                break
            time.sleep(0.2)
        assert menus, "the demo deployed its rich menu to the external emulator"
    finally:
        assert _stop(process) == 0
