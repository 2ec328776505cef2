"""LINE's own SDK (v3) talks to the emulator as it talks to LINE: the contract both ways.

The emulator runs on a real socket here; a bot built on the SDK's WebhookParser and MessagingApi
receives a webhook, checks its signature and replies while the emulator's request is still open.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
import requests
from linebot.v3.messaging import (ApiClient, ApiException, Configuration, MessagingApi,
                                  MessagingApiBlob, MulticastRequest, PostbackAction,
                                  PushMessageRequest, ReplyMessageRequest, RichMenuArea,
                                  RichMenuBounds, RichMenuRequest, RichMenuSize,
                                  ShowLoadingAnimationRequest, TextMessage)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import MessageEvent, TextMessageContent
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from emulator.app import EmulatorConfig, create_app
from tests.emulator.conftest import ALICE, RETRY_KEY, SECRET, TOKEN


def _serve(app: Any) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def emulator_url() -> Iterator[str]:
    server, thread = _serve(create_app(EmulatorConfig(SECRET, TOKEN)))
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def api(emulator_url: str) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=emulator_url, access_token=TOKEN)) as client:
        yield MessagingApi(client)


class EchoBot:
    """A minimal SDK-based bot: verify, parse, reply with the same text."""

    def __init__(self, emulator_url: str) -> None:
        self.parser = WebhookParser(SECRET)
        self.configuration = Configuration(host=emulator_url, access_token=TOKEN)
        self.events: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        events = self.parser.parse(request.get_data(as_text=True),
                                   request.headers["X-Line-Signature"])
        self.events.extend(events)
        with ApiClient(self.configuration) as client:
            for event in events:
                if isinstance(event, MessageEvent) and isinstance(event.message,
                                                                  TextMessageContent):
                    MessagingApi(client).reply_message(ReplyMessageRequest(
                        reply_token=event.reply_token,
                        messages=[TextMessage(text=f"「{event.message.text}」ですね")]))
        return Response("OK")(environ, start_response)


def test_an_sdk_bot_verifies_parses_and_replies_while_the_webhook_is_open(
        emulator_url: str) -> None:
    bot = EchoBot(emulator_url)
    server, thread = _serve(bot)
    try:
        with requests.Session() as http:
            http.trust_env = False
            http.post(f"{emulator_url}/_emulator/config",
                      json={"webhook_url": f"http://127.0.0.1:{server.server_port}/"})
            answer = http.post(f"{emulator_url}/_emulator/say",
                               json={"user_id": ALICE, "text": "ごみの日"}).json()
            conversation = http.get(f"{emulator_url}/_emulator/messages",
                                    params={"user_id": ALICE}).json()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert answer["status"] == 200
    assert bot.events[0].message.text == "ごみの日"
    assert [m["message"]["text"] for m in conversation] == ["ごみの日", "「ごみの日」ですね"]


def test_the_sdk_reads_push_multicast_and_retry_conflicts(api: MessagingApi) -> None:
    pushed = api.push_message(PushMessageRequest(to=ALICE, messages=[TextMessage(text="お知らせ")]),
                              x_line_retry_key=RETRY_KEY)
    assert pushed.sent_messages[0].id
    with pytest.raises(ApiException) as conflict:
        api.push_message(PushMessageRequest(to=ALICE, messages=[TextMessage(text="お知らせ")]),
                         x_line_retry_key=RETRY_KEY)
    assert conflict.value.status == 409
    api.multicast(MulticastRequest(to=[ALICE], messages=[TextMessage(text="防災")]))


def test_the_sdk_reads_an_invalid_reply_token_as_400(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as invalid:
        api.reply_message(ReplyMessageRequest(reply_token="0" * 32,
                                              messages=[TextMessage(text="x")]))
    assert invalid.value.status == 400
    assert "Invalid reply token" in invalid.value.body


def test_the_sdk_manages_rich_menus_and_shows_the_loading_animation(
        api: MessagingApi, emulator_url: str) -> None:
    created = api.create_rich_menu(RichMenuRequest(
        size=RichMenuSize(width=2500, height=843), selected=True, name="メニュー",
        chat_bar_text="メニュー", areas=[RichMenuArea(
            bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
            action=PostbackAction(data="menu=faq"))]))
    with ApiClient(Configuration(host=emulator_url, access_token=TOKEN)) as client:
        MessagingApiBlob(client).set_rich_menu_image(
            created.rich_menu_id, body=bytearray(b"\x89PNG\r\n\x1a\n"),
            _headers={"Content-Type": "image/png"})
    api.set_default_rich_menu(created.rich_menu_id)
    assert api.get_default_rich_menu_id().rich_menu_id == created.rich_menu_id
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [created.rich_menu_id]
    api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=ALICE, loading_seconds=5))
