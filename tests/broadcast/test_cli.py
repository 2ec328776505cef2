"""`madoguchi broadcast …` end to end: the database, the command, and the LINE emulator."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.cli import main
from tests.broadcast.conftest import EMULATOR_TOKEN, Emulated, add_followers


@pytest.fixture
def env(database_url: str, emulated: Emulated, monkeypatch: pytest.MonkeyPatch) -> Emulated:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MADOGUCHI_DEMO", "1")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", EMULATOR_TOKEN)
    monkeypatch.setenv("LINE_API_BASE", emulated.server.url)
    return emulated


def test_an_emergency_command_reaches_every_follower_in_one_broadcast_call(
        env: Emulated, db: sessionmaker, capsys: pytest.CaptureFixture[str]) -> None:
    with db.begin() as session:
        add_followers(session, 250)
    env.state.add_followers(250)
    assert main(["broadcast", "emergency", "--text", "土砂災害警戒情報が発表されました。"]) == 0
    assert "250 recipients, 1/1 calls accepted, 0 failed" in capsys.readouterr().out
    [call] = env.state.list_requests(path="/v2/bot/message/broadcast")
    assert call["body"]["messages"][0]["text"] == "【緊急】土砂災害警戒情報が発表されました。"
    assert env.state.delivery_summary()["recipients"] == 250


def test_compose_refuses_a_plain_http_image_with_the_reason(env: Emulated, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["broadcast", "compose", "--title", "写真", "--image", "http://city.example.jp/a.jpg"]) == 1
    assert "https://" in capsys.readouterr().err


def test_compose_send_deliver_and_report_as_csv(env: Emulated, db: sessionmaker, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with db.begin() as session:
        add_followers(session, 501)
    assert main(["broadcast", "compose", "--title", "秋祭り", "--text", "秋祭りを開催します",
                 "--event", "秋祭り|11月3日 10時|中央公園", "--category", "events"]) == 0
    out = capsys.readouterr().out
    assert "broadcast 1 (draft)" in out and "reaches: 501 followers" in out
    assert main(["broadcast", "send", "1"]) == 0
    assert main(["broadcast", "send", "1"]) == 1  # pressed again: still one delivery
    from broadcast.worker import DeliveryWorker
    assert DeliveryWorker(db, env.line, threads=2).run_until_done(timeout=30)
    assert main(["broadcast", "report", "1", "--csv", str(tmp_path / "r.csv")]) == 0
    row = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert row.startswith("1,秋祭り,done,False,501,2,2,0,0,0")
    assert "unready" in row  # LINE's daily figures were asked for: today's come tomorrow
    assert env.state.delivery_summary()["deliveries"] == 501


def test_a_segment_that_matches_nobody_is_reported_and_nothing_is_sent(
        env: Emulated, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["broadcast", "compose", "--title", "北地区", "--text", "北地区のお知らせ", "--area", "kita"]) == 1
    assert "kita" in capsys.readouterr().err  # the demo city's areas are not seeded here
    assert main(["broadcast", "compose", "--title", "全員", "--text", "お知らせ"]) == 0
    assert "nobody matches" in capsys.readouterr().out
    assert main(["broadcast", "send", "1"]) == 0
    assert "nothing was sent" in capsys.readouterr().out
    assert env.state.list_requests() == []


def test_a_worker_run_until_done_finishes_an_emergency_whose_command_died(
        env: Emulated, db: sessionmaker) -> None:
    from broadcast.services import send_emergency
    from tests.conftest import FIXED_NOW

    with db.begin() as session:
        add_followers(session, 20)
        send_emergency(session, text="津波注意報", now=FIXED_NOW)  # planned; the command died before sending
    env.state.add_followers(20)
    assert main(["broadcast", "worker", "--until-done", "--threads", "2"]) == 0
    assert env.state.delivery_summary()["recipients"] == 20
    assert len(env.state.list_requests(path="/v2/bot/message/broadcast")) == 1
