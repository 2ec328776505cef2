"""GET /v2/bot/insight/message/delivery as insight.yml describes it, counted from what the emulator accepted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from flask.testing import FlaskClient

from emulator.state import EmulatorState
from tests.emulator.conftest import ALICE, BOB, RETRY_KEY, TOKEN, FakeBot, FakeClock, LineApi, reply_token, text

INSIGHT_YML = Path(__file__).resolve().parents[3] / "shared" / "specs" / "line-openapi" / "insight.yml"
PATH = "/v2/bot/insight/message/delivery"
JST = timezone(timedelta(hours=9))
# 2026-04-01 23:30 JST: half an hour before the day ends in Japan (14:30 UTC, still the same UTC day).
LATE_EVENING = datetime(2026, 4, 1, 23, 30, tzinfo=JST).timestamp()


def _response_schema() -> dict[str, Any]:
    spec = yaml.safe_load(INSIGHT_YML.read_text(encoding="utf-8"))
    schema = dict(spec["components"]["schemas"]["GetNumberOfMessageDeliveriesResponse"])
    schema.pop("externalDocs", None)
    # Nothing beyond the spec's properties may appear in our answers.
    return {**schema, "additionalProperties": False}


def _figures(line: LineApi, day: str) -> dict[str, Any]:
    response = line.get(f"{PATH}?date={day}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    jsonschema.validate(body, _response_schema())
    return body


@pytest.fixture
def evening(clock: FakeClock) -> FakeClock:
    clock.now = LATE_EVENING
    return clock


def test_a_day_is_unready_until_it_ends_in_japan_then_counts_messages_per_recipient(
        line: LineApi, client: FlaskClient, evening: FakeClock) -> None:
    client.post("/_emulator/followers", json={"count": 3})
    # Two message objects to two users: LINE counts recipients, not bubbles (2, not 4).
    two_bubbles = {"to": [ALICE, BOB], "messages": [text(), text("2")]}
    assert line.post("/v2/bot/message/multicast", two_bubbles).status_code == 200
    assert line.push(ALICE, text(), text("2"), text("3")).status_code == 200
    assert line.post("/v2/bot/message/broadcast", {"messages": [text()]}).status_code == 200   # 3 followers
    assert line.post("/v2/bot/message/narrowcast", {"messages": [text()]}).status_code == 202
    assert _figures(line, "20260401") == {"status": "unready"}

    evening.advance(31 * 60)  # 00:01 JST on 2 April (still 1 April in UTC)
    assert _figures(line, "20260401") == {
        "status": "ready", "broadcast": 0, "targeting": 0, "autoResponse": 0, "welcomeResponse": 0, "chat": 0,
        "apiBroadcast": 3, "apiPush": 1, "apiMulticast": 2, "apiNarrowcast": 3, "apiReply": 0}
    assert _figures(line, "20260402") == {"status": "unready"}   # today
    assert _figures(line, "20260403") == {"status": "unready"}   # the future


def test_the_day_is_japans_not_utcs(line: LineApi, evening: FakeClock) -> None:
    evening.advance(60 * 60)  # 00:30 JST on 2 April = 15:30 UTC on 1 April
    assert line.push(ALICE, text()).status_code == 200
    evening.advance(24 * 60 * 60)
    assert _figures(line, "20260401")["apiPush"] == 0
    assert _figures(line, "20260402")["apiPush"] == 1


def test_replies_count_and_blocked_users_and_accepted_retries_do_not(
        line: LineApi, client: FlaskClient, state: EmulatorState, evening: FakeClock, bot: FakeBot) -> None:
    assert line.reply(reply_token(client), text(), text("2")).status_code == 200
    state.touch_user(BOB).is_following = False
    body = {"to": [ALICE, BOB], "messages": [text()]}
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 200
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 409
    # Accepted, then the answer was lost: LINE sent it, so it counts.
    state.add_fault("push", "error_after")
    assert line.push(ALICE, text()).status_code == 500
    evening.advance(60 * 60)
    figures = _figures(line, "20260401")
    assert (figures["apiReply"], figures["apiMulticast"], figures["apiPush"]) == (1, 1, 1)


@pytest.mark.parametrize("query", ["", "?date=", "?date=2026-04-01", "?date=2026041", "?date=202604011",
                                   "?date=20261332", "?date=２０２６０４０１"])
def test_a_missing_or_malformed_date_is_400(line: LineApi, query: str) -> None:
    response = line.get(PATH + query)
    assert response.status_code == 400
    assert "date" in response.get_json()["message"]


def test_days_before_line_counted_are_out_of_service(line: LineApi) -> None:
    assert _figures(line, "20170228") == {"status": "out_of_service"}
    assert _figures(line, "20170301")["status"] == "ready"


def test_it_needs_the_channel_access_token_like_every_endpoint(client: FlaskClient) -> None:
    assert client.get(f"{PATH}?date=20260401").status_code == 401
    wrong = client.get(f"{PATH}?date=20260401", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401


def test_faults_can_be_put_on_the_insight_endpoint(line: LineApi, client: FlaskClient) -> None:
    assert client.post("/_emulator/faults", json={"endpoint": "insight", "mode": "error_before"}).status_code == 201
    assert line.get(f"{PATH}?date=20260401").status_code == 500
    assert line.get(f"{PATH}?date=20260401").status_code == 200


def test_a_reset_forgets_the_counts(line: LineApi, client: FlaskClient, evening: FakeClock) -> None:
    assert line.push(ALICE, text()).status_code == 200
    client.post("/_emulator/reset")
    evening.advance(60 * 60)
    assert _figures(line, "20260401")["apiPush"] == 0
