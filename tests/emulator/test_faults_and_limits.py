"""Rate limits (429) and switchable faults (500 before/after accepting, hangs)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from flask.testing import FlaskClient

from emulator.state import EmulatorState
from tests.emulator.conftest import ALICE, RETRY_KEY, FakeBot, FakeClock, LineApi, say, text


def fault(client: FlaskClient, **spec: object) -> dict:
    response = client.post("/_emulator/faults", json=spec)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bot_messages(client: FlaskClient, user: str = ALICE) -> list[dict]:
    return [m for m in client.get(f"/_emulator/messages?user_id={user}").get_json()
            if m["from"] == "bot"]


def test_rate_limits_are_off_by_default(line: LineApi, client: FlaskClient) -> None:
    assert client.get("/_emulator/rate_limits").get_json()["enabled"] is False
    assert all(line.push(ALICE).status_code == 200 for _ in range(5))


def test_the_request_over_the_limit_gets_429(line: LineApi, client: FlaskClient,
                                            clock: FakeClock) -> None:
    client.post("/_emulator/rate_limits", json={"enabled": True, "limits": {"push": 2}})
    statuses = [line.push(ALICE).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert line.push(ALICE).get_json() == {
        "message": "The API rate limit has been exceeded. Try again later."}


def test_the_rate_limit_window_slides_after_a_second(line: LineApi, client: FlaskClient,
                                                    clock: FakeClock) -> None:
    client.post("/_emulator/rate_limits", json={"enabled": True, "limits": {"push": 1}})
    assert line.push(ALICE).status_code == 200
    clock.advance(0.5)
    assert line.push(ALICE).status_code == 429
    clock.advance(0.5)
    assert line.push(ALICE).status_code == 200


def test_rate_limits_are_counted_per_endpoint(line: LineApi, client: FlaskClient,
                                             clock: FakeClock) -> None:
    client.post("/_emulator/rate_limits", json={"enabled": True, "limits": {"multicast": 1}})
    body = {"to": [ALICE], "messages": [text()]}
    assert line.post("/v2/bot/message/multicast", body).status_code == 200
    assert line.post("/v2/bot/message/multicast", body).status_code == 429
    assert line.push(ALICE).status_code == 200


def test_an_unknown_rate_limit_name_is_refused(client: FlaskClient) -> None:
    response = client.post("/_emulator/rate_limits", json={"limits": {"pushh": 1}})
    assert response.status_code == 400


def test_error_before_answers_500_and_sends_nothing(line: LineApi, client: FlaskClient) -> None:
    fault(client, endpoint="push", mode="error_before")
    assert line.push(ALICE, retry_key=RETRY_KEY).status_code == 500
    assert bot_messages(client) == []
    # Nothing was accepted, so the retry with the same key goes through.
    assert line.push(ALICE, retry_key=RETRY_KEY).status_code == 200
    assert len(bot_messages(client)) == 1


def test_error_after_sends_then_answers_500_and_the_retry_gets_409(
        line: LineApi, client: FlaskClient) -> None:
    fault(client, endpoint="multicast", mode="error_after", status=503)
    body = {"to": [ALICE], "messages": [text()]}
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 503
    assert len(bot_messages(client)) == 1
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 409
    assert len(bot_messages(client)) == 1


def test_error_after_spends_the_reply_token(line: LineApi, client: FlaskClient,
                                           bot: FakeBot) -> None:
    token = say(client, text="こんにちは")["reply_token"]
    fault(client, endpoint="reply", mode="error_after")
    assert line.reply(token).status_code == 500
    assert line.reply(token).get_json() == {"message": "Invalid reply token"}


def test_hang_waits_the_given_seconds_then_answers_normally(
        line: LineApi, client: FlaskClient, state: EmulatorState) -> None:
    slept: list[float] = []
    state.sleep = slept.append
    fault(client, endpoint="push", mode="hang", seconds=3)
    assert line.push(ALICE).status_code == 200
    assert slept == [3.0]


def test_a_fault_lasts_for_its_count(line: LineApi, client: FlaskClient) -> None:
    fault(client, endpoint="push", mode="error_before", count=2)
    assert [line.push(ALICE).status_code for _ in range(3)] == [500, 500, 200]


def test_a_fault_with_count_minus_one_lasts_until_cleared(line: LineApi,
                                                         client: FlaskClient) -> None:
    fault(client, endpoint="*", mode="error_before", count=-1)
    assert [line.push(ALICE).status_code for _ in range(3)] == [500, 500, 500]
    assert client.delete("/_emulator/faults").get_json() == {"cleared": 1}
    assert line.push(ALICE).status_code == 200


def test_a_fault_hits_only_its_endpoint(line: LineApi, client: FlaskClient) -> None:
    fault(client, endpoint="broadcast", mode="error_before")
    assert line.push(ALICE).status_code == 200
    assert line.post("/v2/bot/message/broadcast", {"messages": [text()]}).status_code == 500


def test_a_content_fault_breaks_the_download(line: LineApi, client: FlaskClient,
                                            bot: FakeBot) -> None:
    message_id = say(client, type="image", image_base64="aGVsbG8=")["event"]["message"]["id"]
    fault(client, endpoint="content", mode="error_before")
    assert line.get(f"/v2/bot/message/{message_id}/content").status_code == 500
    assert line.get(f"/v2/bot/message/{message_id}/content").status_code == 200


def test_faults_are_listed_with_their_remaining_count(client: FlaskClient) -> None:
    fault(client, endpoint="push", mode="hang", count=3, seconds=1)
    listed = client.get("/_emulator/faults").get_json()
    assert [(f["endpoint"], f["mode"], f["count"]) for f in listed] == [("push", "hang", 3)]


def test_a_malformed_fault_is_refused(client: FlaskClient) -> None:
    assert client.post("/_emulator/faults", json={"endpoint": "push", "mode": "explode"}
                       ).status_code == 400
    assert client.post("/_emulator/faults", json={"endpoint": "nowhere", "mode": "hang"}
                       ).status_code == 400


def test_concurrent_retries_with_one_key_are_accepted_exactly_once(app: Flask,
                                                                   client: FlaskClient) -> None:
    def push(_: int) -> int:
        return LineApi(app.test_client()).push(ALICE, retry_key=RETRY_KEY).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(push, range(16)))
    assert statuses == [200] + [409] * 15
    assert len(bot_messages(client)) == 1
