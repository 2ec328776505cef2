"""The control API records calls, shows conversations, resets and reconfigures."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.emulator.conftest import ALICE, BOB, RETRY_KEY, FakeBot, LineApi, say, text


def test_every_api_call_is_recorded_with_body_status_and_retry_key(
        line: LineApi, client: FlaskClient) -> None:
    line.push(ALICE, text("お知らせ"), retry_key=RETRY_KEY)
    line.push(ALICE, token="wrong")
    recorded = client.get("/_emulator/requests").get_json()
    assert [(r["seq"], r["method"], r["path"], r["status"], r["retry_key"]) for r in recorded] == [
        (1, "POST", "/v2/bot/message/push", 200, RETRY_KEY),
        (2, "POST", "/v2/bot/message/push", 401, None)]
    assert recorded[0]["body"] == {"to": ALICE, "messages": [text("お知らせ")]}


def test_get_requests_are_recorded_without_a_body(line: LineApi, client: FlaskClient) -> None:
    line.get("/v2/bot/info")
    assert client.get("/_emulator/requests").get_json()[0]["body"] is None


def test_recorded_requests_can_be_filtered_by_path(line: LineApi, client: FlaskClient) -> None:
    line.push(ALICE)
    line.post("/v2/bot/message/broadcast", {"messages": [text()]})
    recorded = client.get("/_emulator/requests?path=/v2/bot/message/broadcast").get_json()
    assert [r["path"] for r in recorded] == ["/v2/bot/message/broadcast"]


def test_recorded_requests_can_be_polled_since_a_seq(line: LineApi, client: FlaskClient) -> None:
    for _ in range(3):
        line.push(ALICE)
    assert [r["seq"] for r in client.get("/_emulator/requests?since=1").get_json()] == [2, 3]


def test_the_control_api_itself_is_not_recorded(client: FlaskClient) -> None:
    client.get("/_emulator/faults")
    assert client.get("/_emulator/requests").get_json() == []


def test_reset_forgets_requests_users_messages_faults_and_tokens(
        line: LineApi, client: FlaskClient, bot: FakeBot) -> None:
    token = say(client, text="こんにちは")["reply_token"]
    line.push(ALICE)
    client.post("/_emulator/faults", json={"endpoint": "push", "mode": "error_before"})
    assert client.post("/_emulator/reset").status_code == 200
    assert client.get("/_emulator/requests").get_json() == []
    assert client.get(f"/_emulator/messages?user_id={ALICE}").get_json() == []
    assert client.get("/_emulator/faults").get_json() == []
    assert line.get(f"/v2/bot/profile/{ALICE}").status_code == 404
    assert line.reply(token).status_code == 400
    assert line.push(ALICE).status_code == 200


def test_reset_keeps_the_webhook_url(client: FlaskClient, bot: FakeBot) -> None:
    client.post("/_emulator/reset")
    assert client.get("/_emulator/config").get_json()["webhook_url"] == bot.url


def test_messages_show_one_users_conversation_in_order(line: LineApi, client: FlaskClient,
                                                      bot: FakeBot) -> None:
    token = say(client, user_id=ALICE, text="粗大ごみの出し方")["reply_token"]
    say(client, user_id=BOB, text="こんにちは")
    line.reply(token, text("申込みが必要です"))
    line.push(ALICE, text("収集日のお知らせ"))
    conversation = client.get(f"/_emulator/messages?user_id={ALICE}").get_json()
    assert [(m["from"], m["via"], m["message"]["text"]) for m in conversation] == [
        ("user", "text", "粗大ごみの出し方"),
        ("bot", "reply", "申込みが必要です"),
        ("bot", "push", "収集日のお知らせ")]
    assert conversation == sorted(conversation, key=lambda m: m["seq"])


def test_messages_can_be_polled_since_a_seq(line: LineApi, client: FlaskClient) -> None:
    line.push(ALICE, text("一通目"))
    first = client.get(f"/_emulator/messages?user_id={ALICE}").get_json()
    line.push(ALICE, text("二通目"))
    newer = client.get(f"/_emulator/messages?user_id={ALICE}&since={first[-1]['seq']}").get_json()
    assert [m["message"]["text"] for m in newer] == ["二通目"]


def test_messages_need_a_user_id(client: FlaskClient) -> None:
    assert client.get("/_emulator/messages").status_code == 400


def test_config_sets_the_webhook_url_and_token_validity(client: FlaskClient) -> None:
    answer = client.post("/_emulator/config", json={
        "webhook_url": "http://127.0.0.1:9/callback", "reply_token_ttl_seconds": 30}).get_json()
    assert answer["webhook_url"] == "http://127.0.0.1:9/callback"
    assert answer["reply_token_ttl_seconds"] == 30


def test_config_refuses_a_webhook_url_that_is_not_http(client: FlaskClient) -> None:
    assert client.post("/_emulator/config", json={"webhook_url": "ftp://x"}).status_code == 400


def test_known_users_are_listed(client: FlaskClient, bot: FakeBot) -> None:
    say(client, type="follow")
    assert client.get("/_emulator/users").get_json() == [
        {"userId": ALICE, "displayName": f"市民{ALICE[-4:]}", "isFollowing": True}]


def test_the_chat_page_and_its_assets_are_served(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "窓口エミュレータ" in page.get_data(as_text=True)
    for asset in ("chat.js", "chat.css"):
        response = client.get(f"/_emulator/static/{asset}")
        assert response.status_code == 200
        response.close()
