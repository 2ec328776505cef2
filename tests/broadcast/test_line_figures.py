"""Delivery reports beside LINE's daily figures (the insight API), asked of the emulator over real HTTP."""
from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from broadcast.compose import text_message
from broadcast.delivery import finish_deliveries, send_due_chunks
from broadcast.insight import DailyInsights, InsightClient, LineDayFigures
from broadcast.reports import delivery_days, delivery_report, line_figures_for, reports_csv
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_now
from core.clock import JST
from tests.broadcast.conftest import EMULATOR_TOKEN, Emulated, add_followers, user_id
from tests.conftest import FIXED_NOW

DAY = date(2026, 4, 1)            # FIXED_NOW is 18:00 on this day in Japan
INSIGHT = "/v2/bot/insight/message/delivery"


class Ticker:
    """A monotonic clock the test moves (the insight cache's idea of elapsed time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def line_time(emulated: Emulated) -> Iterator[list[datetime]]:
    """The emulator's clock, set by the test: [when] is "now" at LINE."""
    now = [FIXED_NOW]
    emulated.state.clock = lambda: now[0].timestamp()
    yield now


def _insights(emulated: Emulated, ticker: Ticker) -> DailyInsights:
    return DailyInsights(InsightClient(access_token=EMULATOR_TOKEN, api_base=emulated.server.url), clock=ticker)


def _deliver(db: sessionmaker, emulated: Emulated, followers: int, *, at: datetime = FIXED_NOW,
             passes: tuple[datetime, ...] | None = None) -> int:
    with db.begin() as session:
        add_followers(session, followers)
        broadcast = compose_broadcast(session, title="防災訓練", messages=[text_message("防災訓練のお知らせ")],
                                      segment=Segment(), now=at)
        send_now(session, broadcast.id, now=at)
    for when in passes or (at,):
        with db.begin() as session:
            send_due_chunks(session, emulated.line, now=when, limit=1 if passes else 10)
    with db.begin() as session:
        finish_deliveries(session, now=(passes or (at,))[-1])
    return broadcast.id


def test_the_report_shows_lines_daily_totals_once_the_day_is_over_never_before(
        db: sessionmaker, emulated: Emulated, line_time: list[datetime]) -> None:
    broadcast_id = _deliver(db, emulated, 1001)
    emulated.line.push(user_id(5000), [text_message("職員からの返信")], retry_key=str(uuid.uuid4()))
    ticker = Ticker()
    insights = _insights(emulated, ticker)
    with db() as session:
        report = delivery_report(session, broadcast_id)
    assert (report.sent, report.delivery_days) == (3, (DAY,))

    line = insights.figures(delivery_days([report]))
    assert line_figures_for(report, line) == [LineDayFigures(DAY, "unready")]
    header, row = reports_csv([report], line).splitlines()
    assert header.endswith("delivery_days_jst,line_account_daily_status,line_account_daily_api_multicast,"
                           "line_account_daily_api_broadcast,line_account_daily_api_push,line_account_daily_total")
    assert row.endswith(",2026-04-01,unready,,,,")   # no number where LINE gave none

    line_time[0] += timedelta(days=1)
    ticker.now += 601   # "unready" is asked again after ten minutes
    [day] = line_figures_for(report, insights.figures(delivery_days([report])))
    # The whole account's day: the broadcast's 1001 multicast messages and a staff member's push.
    assert (day.status, day.api_multicast, day.api_broadcast, day.api_push, day.total) == ("ready", 1001, 0, 1, 1002)
    row = reports_csv([report], {DAY: day}).splitlines()[1]
    assert row.startswith(f"{broadcast_id},防災訓練,done,False,1001,3,3,0,0,0")   # our own counts, unchanged
    assert row.endswith(",2026-04-01,ready,1001,0,1,1002")


def test_a_ready_day_is_asked_once_an_unready_one_again_after_a_while(
        emulated: Emulated, line_time: list[datetime]) -> None:
    ticker = Ticker()
    insights = _insights(emulated, ticker)
    yesterday, today = DAY - timedelta(days=1), DAY
    insights.figures([yesterday, today])
    ticker.now += 60
    assert {d: f.status for d, f in insights.figures([yesterday, today]).items()} == {yesterday: "ready",
                                                                                      today: "unready"}
    assert len(emulated.state.list_requests(path=INSIGHT)) == 2
    ticker.now += 10 ** 6
    insights.figures([yesterday, today])
    asked = [r["path"] for r in emulated.state.list_requests(path=INSIGHT)]
    assert len(asked) == 3   # only the unready day again


def test_a_broadcast_delivered_across_midnight_reports_both_days(
        db: sessionmaker, emulated: Emulated, line_time: list[datetime]) -> None:
    before_midnight = datetime(2026, 4, 1, 23, 59, 59, tzinfo=JST)
    after_midnight = before_midnight + timedelta(seconds=2)
    line_time[0] = before_midnight
    with db.begin() as session:
        add_followers(session, 600)
        broadcast = compose_broadcast(session, title="夜間", messages=[text_message("夜間工事")], segment=Segment(),
                                      now=before_midnight)
        send_now(session, broadcast.id, now=before_midnight)
    with db.begin() as session:
        send_due_chunks(session, emulated.line, now=before_midnight, limit=1)
    line_time[0] = after_midnight
    with db.begin() as session:
        send_due_chunks(session, emulated.line, now=after_midnight, limit=1)
    line_time[0] += timedelta(days=1)
    with db() as session:
        report = delivery_report(session, broadcast.id)
    assert report.delivery_days == (date(2026, 4, 1), date(2026, 4, 2))
    line = _insights(emulated, Ticker()).figures(report.delivery_days)
    assert [(f.api_multicast, f.total) for f in line_figures_for(report, line)] == [(500, 500), (100, 100)]
    assert reports_csv([report], line).splitlines()[1].endswith(
        ",2026-04-01;2026-04-02,ready;ready,500;100,0;0,0;0,500;100")


def test_a_report_without_deliveries_asks_line_nothing(db: sessionmaker, emulated: Emulated) -> None:
    with db.begin() as session:
        broadcast = compose_broadcast(session, title="下書き", messages=[text_message("まだ")], segment=Segment(),
                                      now=FIXED_NOW)
    with db() as session:
        report = delivery_report(session, broadcast.id)
    assert report.delivery_days == () and delivery_days([report]) == set()
    assert reports_csv([report]).splitlines()[1].endswith(",,,,,,")


def test_a_failing_line_is_an_error_asked_once_not_an_exception(
        emulated: Emulated, line_time: list[datetime]) -> None:
    emulated.state.add_fault("insight", "error_before", count=-1)
    days = [DAY - timedelta(days=n) for n in range(1, 9)]
    line = _insights(emulated, Ticker()).figures(days)
    assert {f.status for f in line.values()} == {"error"} and all(f.total is None for f in line.values())
    # After the first failure the other days are not asked (a few were already on their way).
    assert len(emulated.state.list_requests(path=INSIGHT)) <= 4


def test_a_hanging_or_unreachable_line_gives_up_quickly() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)   # accepts connections, never answers
        hanging = InsightClient(access_token="t", api_base=f"http://127.0.0.1:{listener.getsockname()[1]}",
                                timeout=(0.2, 0.2))
        started = time.monotonic()
        assert hanging.message_deliveries(DAY) == LineDayFigures(DAY, "error")
        assert time.monotonic() - started < 2
    assert InsightClient(access_token="t", api_base="http://127.0.0.1:9").message_deliveries(DAY).status == "error"


def test_lines_statuses_and_a_wrong_token_come_through_as_they_are(emulated: Emulated) -> None:
    client = InsightClient(access_token=EMULATOR_TOKEN, api_base=emulated.server.url)
    assert client.message_deliveries(date(2017, 2, 28)) == LineDayFigures(date(2017, 2, 28), "out_of_service")
    wrong = InsightClient(access_token="wrong", api_base=emulated.server.url)
    assert wrong.message_deliveries(date(2020, 1, 1)).status == "error"
