"""A damage report over real HTTP: the emulator plays two citizens, Madoguchi answers through line-bot-sdk.

From the rich menu's 通報する (postback action=report) to a receipt; the photo fetched from the
emulator's content API and stored without EXIF; staff's status change pushed back; a second
citizen at the same spot linked as a duplicate and told so.
"""
from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from bot.app import create_app
from core.config import Settings
from emulator.app import EmulatorConfig, create_app as create_emulator
from reports.models import PhotoStatus, Report
from reports.services import change_status
from reports.status import ReportStatus
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, ServerThread
from tests.reports.samples import CITY_HALL, NEAR_CITY_HALL, jpeg_with_gps

CITIZEN = "U" + "a" * 32
NEIGHBOUR = "U" + "b" * 32


@pytest.fixture
def stack(settings: Settings, seeded_faq: None, tmp_path: Path) -> Iterator[tuple[ServerThread, object, Path]]:
    """Madoguchi (inline worker on, photos under tmp) and the emulator, pointed at each other."""
    emulator = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                           channel_access_token=ACCESS_TOKEN)))
    media = tmp_path / "media"
    app = create_app(settings.with_changes(line_api_base=emulator.url, line_data_api_base=emulator.url,
                                           inline_worker=True, media_dir=str(media)))
    madoguchi = ServerThread(app)
    requests.post(f"{emulator.url}/_emulator/config", json={"webhook_url": madoguchi.url + "/callback"}, timeout=5)
    yield emulator, app, media
    madoguchi.stop()
    app.extensions["madoguchi"].worker.stop()
    app.extensions["madoguchi"].engine.dispose()
    emulator.stop()


class Citizen:
    """One LINE user in the emulator: says things and reads what the bot sent back."""

    def __init__(self, emulator: ServerThread, user_id: str) -> None:
        self.url, self.user_id, self.seen = emulator.url, user_id, 0

    def say(self, **event: object) -> dict:
        """Send an event and wait for the bot's answer to it; returns its last message."""
        said = requests.post(f"{self.url}/_emulator/say", json={"user_id": self.user_id, **event}, timeout=5).json()
        assert said["status"] == 200, said
        return self.wait_for("bot")[-1]

    def wait_for(self, sender: str, timeout: float = 10.0) -> list[dict]:
        """Messages from `sender` that arrived since the last look."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chat = requests.get(f"{self.url}/_emulator/messages", params={"user_id": self.user_id, "since": self.seen},
                                timeout=5).json()
            new = [entry for entry in chat if entry["from"] == sender]
            if new:
                time.sleep(0.1)  # a reply of several messages is recorded one by one
                chat = requests.get(f"{self.url}/_emulator/messages",
                                    params={"user_id": self.user_id, "since": self.seen}, timeout=5).json()
                self.seen = chat[-1]["seq"]
                return [entry["message"] for entry in chat if entry["from"] == sender]
            time.sleep(0.05)
        raise AssertionError(f"nothing from {sender} for {self.user_id}")

    def tap(self, message: dict, label: str) -> dict:
        """Tap a quick-reply button of a message."""
        action = next(i["action"] for i in message["quickReply"]["items"] if i["action"]["label"] == label)
        return self.say(type="postback", data=action["data"])


def _report(citizen: Citizen, point: tuple[float, float]) -> str:
    message = citizen.say(type="postback", data="action=report")  # the rich menu's 通報する
    message = citizen.tap(message, "道路の穴・段差")
    photo = base64.b64encode(jpeg_with_gps()).decode()
    message = citizen.say(type="image", image_base64=photo, content_type="image/jpeg")
    message = citizen.tap(message, "次へ")
    message = citizen.say(type="location", latitude=point[0], longitude=point[1], address="みなと市中央1丁目")
    message = citizen.tap(message, "危険はない")
    message = citizen.say(text="歩道に大きな穴があります")
    return citizen.tap(message, "送信する")["text"]


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_citizen_reports_through_the_emulator_and_hears_about_the_repair(stack) -> None:
    emulator, app, media = stack
    citizen, neighbour = Citizen(emulator, CITIZEN), Citizen(emulator, NEIGHBOUR)
    receipt = re.search(r"受付番号：(R\d{6}-\d{4})", _report(citizen, CITY_HALL)).group(1)
    runtime = app.extensions["madoguchi"]
    with runtime.session_factory() as session:
        report = session.scalars(select(Report).where(Report.receipt_number == receipt)).one()
    assert report.status is ReportStatus.RECEIVED

    def photo_stored() -> bool:
        with runtime.session_factory() as session:
            return session.get(Report, report.id).photos[0].status is PhotoStatus.STORED
    runtime.worker.notify()
    _wait(photo_stored)
    with runtime.session_factory() as session:
        key = session.get(Report, report.id).photos[0].storage_key
    with Image.open(media / key) as stored:
        assert not stored.getexif() and max(stored.size) <= 2048

    assert "すでに通報をいただいています" in _report(neighbour, NEAR_CITY_HALL)

    with runtime.session_factory.begin() as session:
        change_status(session, report.id, ReportStatus.RESOLVED, staff_name="道路管理課 田中",
                      message="穴を補修しました。", now=runtime.clock())
    runtime.worker.notify()
    [pushed] = citizen.wait_for("bot")
    assert receipt in pushed["text"] and "穴を補修しました" in pushed["text"]
    [told] = neighbour.wait_for("bot")
    assert "対応が完了しました" in told["text"]
