"""The Messaging API endpoints behave as messaging-api.yml and LINE's reference describe."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from emulator.state import EmulatorState
from tests.emulator.conftest import (ALICE, BOB, RETRY_KEY, FakeBot, FakeClock, LineApi,
                                     reply_token, say, text)


def test_a_request_without_a_token_is_refused_with_401(line: LineApi) -> None:
    response = line.push(ALICE, token=None)
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("Authorization header required")


def test_a_request_with_a_wrong_token_is_refused_with_401(line: LineApi) -> None:
    response = line.push(ALICE, token="not-the-token")
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("Authentication failed")


def test_every_answer_carries_a_request_id(line: LineApi) -> None:
    assert line.push(ALICE).headers["X-Line-Request-Id"]


def test_a_valid_reply_token_delivers_the_reply_once(line: LineApi, client: FlaskClient,
                                                    bot: FakeBot) -> None:
    token = reply_token(client)
    first = line.reply(token, text("毎週月曜日です"))
    assert first.status_code == 200
    sent = first.get_json()["sentMessages"]
    assert len(sent) == 1 and sent[0]["id"] and sent[0]["quoteToken"]
    second = line.reply(token, text("もう一度"))
    assert second.status_code == 400
    assert second.get_json() == {"message": "Invalid reply token"}


def test_an_unknown_reply_token_is_invalid(line: LineApi) -> None:
    response = line.reply("0" * 32)
    assert response.status_code == 400
    assert response.get_json() == {"message": "Invalid reply token"}


def test_a_reply_token_expires_after_its_validity(line: LineApi, client: FlaskClient,
                                                 bot: FakeBot, clock: FakeClock) -> None:
    token = reply_token(client)
    clock.advance(60)
    assert line.reply(token).get_json() == {"message": "Invalid reply token"}


def test_a_reply_token_is_still_good_just_before_it_expires(line: LineApi, client: FlaskClient,
                                                           bot: FakeBot, clock: FakeClock) -> None:
    token = reply_token(client)
    clock.advance(59.9)
    assert line.reply(token).status_code == 200


def test_the_reply_token_validity_can_be_configured(line: LineApi, client: FlaskClient,
                                                   bot: FakeBot, clock: FakeClock) -> None:
    client.post("/_emulator/config", json={"reply_token_ttl_seconds": 5})
    token = reply_token(client)
    clock.advance(5)
    assert line.reply(token).status_code == 400


def test_an_invalid_reply_body_does_not_spend_the_token(line: LineApi, client: FlaskClient,
                                                       bot: FakeBot) -> None:
    token = reply_token(client)
    assert line.reply(token, *[text()] * 6).status_code == 400
    assert line.reply(token).status_code == 200


def test_a_reply_lands_in_the_conversation_of_the_user_who_spoke(
        line: LineApi, client: FlaskClient, bot: FakeBot) -> None:
    line.reply(reply_token(client, BOB), text("こんにちは、ボブさん"))
    conversation = client.get(f"/_emulator/messages?user_id={BOB}").get_json()
    assert [(m["from"], m["via"]) for m in conversation] == [("user", "text"), ("bot", "reply")]
    assert conversation[1]["message"]["text"] == "こんにちは、ボブさん"


def test_a_retry_key_on_reply_is_rejected(line: LineApi) -> None:
    response = line.post("/v2/bot/message/reply", {"replyToken": "x", "messages": [text()]},
                         retry_key=RETRY_KEY)
    assert response.status_code == 400


def test_push_answers_sent_messages_with_ids_and_quote_tokens(line: LineApi) -> None:
    response = line.push(ALICE, text("お知らせ"), {"type": "sticker", "packageId": "446",
                                                  "stickerId": "1988"})
    assert response.status_code == 200
    sent = response.get_json()["sentMessages"]
    assert len(sent) == 2 and all(m["id"] and m["quoteToken"] for m in sent)


def test_push_to_a_malformed_user_id_is_refused(line: LineApi) -> None:
    response = line.push("U123")
    assert response.status_code == 400
    assert response.get_json()["details"][0]["property"] == "to"


def test_multicast_reaches_every_recipient_and_answers_an_empty_object(
        line: LineApi, client: FlaskClient) -> None:
    response = line.post("/v2/bot/message/multicast", {"to": [ALICE, BOB], "messages": [text()]})
    assert response.status_code == 200 and response.get_json() == {}
    for user in (ALICE, BOB):
        messages = client.get(f"/_emulator/messages?user_id={user}").get_json()
        assert [m["via"] for m in messages] == ["multicast"]


@pytest.mark.parametrize("count, status", [(500, 200), (501, 400)])
def test_multicast_takes_at_most_500_recipients(line: LineApi, count: int, status: int) -> None:
    to = [f"U{i:032x}" for i in range(count)]
    response = line.post("/v2/bot/message/multicast", {"to": to, "messages": [text()]})
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["details"] == [
            {"message": "Size must be between 1 and 500", "property": "to"}]


def test_multicast_with_no_recipients_is_refused(line: LineApi) -> None:
    response = line.post("/v2/bot/message/multicast", {"to": [], "messages": [text()]})
    assert response.status_code == 400


def test_broadcast_reaches_friends_but_not_users_who_blocked(
        line: LineApi, client: FlaskClient, bot: FakeBot) -> None:
    say(client, user_id=ALICE, type="follow")
    say(client, user_id=BOB, type="follow")
    say(client, user_id=BOB, type="unfollow")
    assert line.post("/v2/bot/message/broadcast", {"messages": [text("防災情報")]}).status_code == 200
    assert [m["via"] for m in client.get(f"/_emulator/messages?user_id={ALICE}").get_json()
            if m["from"] == "bot"] == ["broadcast"]
    assert all(m["from"] == "user" for m in client.get(
        f"/_emulator/messages?user_id={BOB}").get_json())


def test_narrowcast_is_accepted_with_202_and_a_request_id(line: LineApi) -> None:
    response = line.post("/v2/bot/message/narrowcast", {"messages": [text()]})
    assert response.status_code == 202
    assert response.get_json() == {}
    assert response.headers["X-Line-Request-Id"]


def test_a_repeated_retry_key_answers_409_with_the_first_sent_messages(line: LineApi) -> None:
    first = line.push(ALICE, retry_key=RETRY_KEY)
    again = line.push(ALICE, retry_key=RETRY_KEY)
    assert again.status_code == 409
    assert again.get_json() == {"message": "The retry key is already accepted",
                                "sentMessages": first.get_json()["sentMessages"]}
    assert again.headers["X-Line-Accepted-Request-Id"] == first.headers["X-Line-Request-Id"]


def test_a_repeated_retry_key_does_not_send_twice(line: LineApi, client: FlaskClient) -> None:
    for _ in range(3):
        line.post("/v2/bot/message/multicast", {"to": [ALICE], "messages": [text()]},
                  retry_key=RETRY_KEY)
    assert len(client.get(f"/_emulator/messages?user_id={ALICE}").get_json()) == 1


def test_a_multicast_retry_answers_409_without_sent_messages(line: LineApi) -> None:
    body = {"to": [ALICE], "messages": [text()]}
    line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY)
    again = line.post("/v2/bot/message/multicast", body, retry_key=RETRY_KEY)
    assert again.status_code == 409
    assert again.get_json() == {"message": "The retry key is already accepted"}


def test_a_retry_key_is_forgotten_after_the_dedup_window(line: LineApi, clock: FakeClock,
                                                        state: EmulatorState) -> None:
    line.push(ALICE, retry_key=RETRY_KEY)
    clock.advance(state.retry_window)
    assert line.push(ALICE, retry_key=RETRY_KEY).status_code == 200


def test_a_rejected_request_does_not_use_up_its_retry_key(line: LineApi) -> None:
    assert line.push(ALICE, *[text()] * 6, retry_key=RETRY_KEY).status_code == 400
    assert line.push(ALICE, retry_key=RETRY_KEY).status_code == 200


def test_a_retry_key_that_is_not_a_uuid_is_refused(line: LineApi) -> None:
    assert line.push(ALICE, retry_key="not-a-uuid").status_code == 400


def test_content_sent_by_a_user_can_be_downloaded(line: LineApi, client: FlaskClient,
                                                 bot: FakeBot) -> None:
    answer = say(client, type="image", image_base64="iVBORw0KGgo=", content_type="image/png")
    response = line.get(f"/v2/bot/message/{answer['event']['message']['id']}/content")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == b"\x89PNG\r\n\x1a\n"


def test_unknown_content_is_not_found(line: LineApi) -> None:
    assert line.get("/v2/bot/message/123/content").status_code == 404


def test_the_loading_animation_is_accepted_with_202(line: LineApi) -> None:
    response = line.post("/v2/bot/chat/loading/start", {"chatId": ALICE, "loadingSeconds": 10})
    assert response.status_code == 202 and response.get_json() == {}


@pytest.mark.parametrize("seconds", [0, 7, 65, "20"])
def test_the_loading_animation_needs_5_to_60_seconds_in_steps_of_5(line: LineApi,
                                                                   seconds: object) -> None:
    response = line.post("/v2/bot/chat/loading/start", {"chatId": ALICE, "loadingSeconds": seconds})
    assert response.status_code == 400


def test_the_profile_of_a_known_user_is_returned(line: LineApi, client: FlaskClient,
                                                bot: FakeBot) -> None:
    say(client, type="follow", display_name="伊予太郎")
    assert line.get(f"/v2/bot/profile/{ALICE}").get_json() == {
        "userId": ALICE, "displayName": "伊予太郎", "language": "ja"}


def test_the_profile_of_an_unknown_user_is_not_found(line: LineApi) -> None:
    response = line.get(f"/v2/bot/profile/{BOB}")
    assert response.status_code == 404
    assert response.get_json() == {"message": "Not found"}


def test_quota_consumption_counts_pushed_recipients_but_not_replies(
        line: LineApi, client: FlaskClient, bot: FakeBot) -> None:
    line.reply(reply_token(client))
    line.push(ALICE)
    line.post("/v2/bot/message/multicast", {"to": [ALICE, BOB], "messages": [text()]})
    assert line.get("/v2/bot/message/quota/consumption").get_json() == {"totalUsage": 3}
    assert line.get("/v2/bot/message/quota").get_json() == {"type": "none"}


def test_bot_info_names_the_webhook_destination(line: LineApi, state: EmulatorState) -> None:
    info = line.get("/v2/bot/info").get_json()
    assert info["userId"] == state.bot_user_id
    assert {"basicId", "displayName", "chatMode", "markAsReadMode"} <= set(info)


def test_an_unknown_api_path_answers_json_404(line: LineApi) -> None:
    response = line.get("/v2/bot/nothing")
    assert response.status_code == 404 and response.get_json() == {"message": "Not found"}


def test_a_push_to_a_user_who_blocked_is_accepted_but_never_shown(
        line: LineApi, client: FlaskClient, bot: FakeBot) -> None:
    say(client, type="unfollow")
    assert line.push(ALICE, text("届かない")).status_code == 200
    assert [m["from"] for m in client.get(f"/_emulator/messages?user_id={ALICE}").get_json()] == [
        "user"]
    assert line.get("/v2/bot/message/quota/consumption").get_json() == {"totalUsage": 0}


def test_a_load_test_can_have_any_reply_token_accepted_once(line: LineApi, client: FlaskClient) -> None:
    client.post("/_emulator/config", json={"accept_any_reply_token": True})
    first = line.reply("nevertoldtotheemulator", text("はい"))
    again = line.reply("nevertoldtotheemulator", text("はい"))
    assert first.status_code == 200
    assert again.status_code == 400 and again.get_json()["message"] == "Invalid reply token"
