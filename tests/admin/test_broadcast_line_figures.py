"""The broadcasts pages and CSV show LINE's daily totals beside our counts, asked of the emulator over HTTP."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from admin.models import Role
from admin.views.broadcasts import LINE_INSIGHTS_KEY
from broadcast.compose import text_message
from broadcast.delivery import finish_deliveries, send_due_chunks
from broadcast.line_client import BulkLineClient
from broadcast.pacing import Pacer
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_now
from core.config import Settings
from emulator.app import EmulatorConfig, create_app as create_emulator
from emulator.state import EmulatorState, state_of
from tests.broadcast.conftest import add_followers
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, FIXED_NOW, ServerThread

NOT_YET = "LINEの集計は翌日以降に表示されます。"
FAILED = "LINEの集計を取得できませんでした。"


@dataclass
class Line:
    """The emulator, with a clock the test sets ([0] is "now" at LINE)."""

    server: ServerThread
    state: EmulatorState
    now: list[datetime]


@pytest.fixture
def line_emulator() -> Iterator[Line]:
    server = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                         channel_access_token=ACCESS_TOKEN)))
    state = state_of(server.server.app)
    now = [FIXED_NOW]
    state.clock = lambda: now[0].timestamp()
    yield Line(server, state, now)
    server.stop()


@pytest.fixture
def settings(settings: Settings, line_emulator: Line) -> Settings:
    """The app's LINE is the emulator (the insight calls go there)."""
    return settings.with_changes(line_api_base=line_emulator.server.url)


def _delivered(session_factory: sessionmaker, line: Line, followers: int) -> int:
    bulk = BulkLineClient(access_token=ACCESS_TOKEN, api_base=line.server.url, pacer=Pacer({}, clock=lambda: 0.0))
    with session_factory.begin() as session:
        add_followers(session, followers)
        broadcast = compose_broadcast(session, title="防災訓練のお知らせ", messages=[text_message("防災訓練を行います")],
                                      segment=Segment(), now=FIXED_NOW)
        send_now(session, broadcast.id, now=FIXED_NOW)
    with session_factory.begin() as session:
        send_due_chunks(session, bulk, now=FIXED_NOW)
        finish_deliveries(session, now=FIXED_NOW)
    return broadcast.id


def _csv_row(client, broadcast_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.get("/admin/broadcasts/report.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return next(row for row in rows if row["broadcast_id"] == str(broadcast_id))


def test_the_pages_and_csv_say_lines_figures_come_tomorrow_then_show_them(
        signed_in, session_factory: sessionmaker, line_emulator: Line, app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(Role.EDITOR)
    broadcast_id = _delivered(session_factory, line_emulator, 700)

    page = client.get(f"/admin/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert "送信済み 2 ／ 失敗 0" in page
    assert "LINEの集計（アカウント全体の1日の合計）" in page and "この配信だけの数ではありません" in page
    assert NOT_YET in page and 'data-status="unready"' in page
    listing = client.get("/admin/broadcasts/").get_data(as_text=True)
    assert "4/1：翌日以降に表示" in listing
    row = _csv_row(client, broadcast_id)
    assert (row["sent"], row["delivery_days_jst"], row["line_account_daily_status"]) == ("2", "2026-04-01", "unready")
    assert row["line_account_daily_total"] == row["line_account_daily_api_multicast"] == ""

    line_emulator.now[0] += timedelta(days=1)             # the day is over in Japan: LINE has counted it
    app.extensions[LINE_INSIGHTS_KEY].clock = lambda: 10.0 ** 9   # and the cached "unready" is old
    page = client.get(f"/admin/broadcasts/{broadcast_id}").get_data(as_text=True)
    assert NOT_YET not in page and 'data-status="ready"' in page
    assert '<td>2026-04-01</td>' in page and "<td>700</td>" in page
    assert "4/1：700" in client.get("/admin/broadcasts/").get_data(as_text=True)
    row = _csv_row(client, broadcast_id)
    assert [row[k] for k in ("line_account_daily_status", "line_account_daily_api_multicast",
                             "line_account_daily_api_broadcast", "line_account_daily_api_push",
                             "line_account_daily_total")] == ["ready", "700", "0", "0", "700"]


def test_a_failing_insight_call_never_breaks_the_pages(
        signed_in, session_factory: sessionmaker, line_emulator: Line) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(Role.EDITOR)
    broadcast_id = _delivered(session_factory, line_emulator, 3)
    line_emulator.now[0] += timedelta(days=1)
    line_emulator.state.add_fault("insight", "error_before", count=-1, status=503)
    response = client.get(f"/admin/broadcasts/{broadcast_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert FAILED in page and "送信済み 1 ／ 失敗 0" in page   # our own counts are still there
    listing = client.get("/admin/broadcasts/")
    assert listing.status_code == 200 and "4/1：取得できませんでした" in listing.get_data(as_text=True)
    row = _csv_row(client, broadcast_id)
    assert (row["line_account_daily_status"], row["line_account_daily_total"]) == ("error", "")


def test_a_broadcast_not_sent_yet_shows_no_line_figures(signed_in, session_factory: sessionmaker,
                                                         line_emulator: Line) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(Role.EDITOR)
    with session_factory.begin() as session:
        draft = compose_broadcast(session, title="下書き", messages=[text_message("まだ送りません")], segment=Segment(),
                                  now=FIXED_NOW)
    page = client.get(f"/admin/broadcasts/{draft.id}").get_data(as_text=True)
    assert "LINEの集計（アカウント全体" not in page
    assert line_emulator.state.list_requests(path="/v2/bot/insight/message/delivery") == []
