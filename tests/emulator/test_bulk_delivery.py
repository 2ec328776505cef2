"""What benchmarks need from the emulator: a delivery counter, bulk followers, lean recording, faults by probability."""

from __future__ import annotations

from flask.testing import FlaskClient

from emulator.state import EmulatorState
from tests.emulator.conftest import ALICE, BOB, RETRY_KEY, LineApi, text


def test_the_recipients_counter_counts_deliveries_and_duplicates(line: LineApi, client: FlaskClient) -> None:
    body = {"to": [ALICE, BOB], "messages": [text()]}
    assert line.post("/v2/bot/message/multicast", body).status_code == 200
    assert line.post("/v2/bot/message/multicast", {"to": [ALICE], "messages": [text()]}).status_code == 200
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 200
    assert line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY).status_code == 409  # not counted
    summary = client.get("/_emulator/recipients").get_json()
    assert (summary["recipients"], summary["deliveries"], summary["duplicates"], summary["calls"]) == (2, 5, 3, 3)
    assert summary["requests"] == 4 and summary["first_request_at"] <= summary["last_delivery_at"]


def test_bulk_followers_are_reached_by_one_broadcast(line: LineApi, client: FlaskClient) -> None:
    assert client.post("/_emulator/followers", json={"count": 1000}).get_json() == {"users": 1000}
    assert line.post("/v2/bot/message/broadcast", {"messages": [text()]}).status_code == 200
    assert client.get("/_emulator/recipients").get_json()["recipients"] == 1000
    assert client.post("/_emulator/followers", json={"count": -1}).status_code == 400


def test_without_recorded_conversations_only_counts_are_kept(line: LineApi, client: FlaskClient) -> None:
    client.post("/_emulator/config", json={"record_conversations": False})
    assert line.post("/v2/bot/message/multicast", {"to": [ALICE, BOB], "messages": [text()]}).status_code == 200
    assert client.get(f"/_emulator/messages?user_id={ALICE}").get_json() == []
    assert client.get("/_emulator/requests").get_json()[0]["body"]["to"] == 2
    assert client.post("/_emulator/config", json={"record_conversations": "no"}).status_code == 400


def test_a_fault_with_a_probability_hits_only_some_calls(line: LineApi, client: FlaskClient,
                                                         state: EmulatorState) -> None:
    response = client.post("/_emulator/faults", json={"endpoint": "push", "mode": "error_before", "count": -1,
                                                      "probability": 0.5})
    assert response.status_code == 201 and response.get_json()["probability"] == 0.5
    statuses = [line.push(ALICE).status_code for _ in range(200)]
    assert 50 < statuses.count(500) < 150 and statuses.count(200) == 200 - statuses.count(500)
    assert client.post("/_emulator/faults", json={"endpoint": "push", "mode": "hang", "probability": 0}).status_code == 400
