"""Fixtures for the emulator tests: a fresh emulator per test, a fake clock, a fake bot."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request, Response

from emulator.app import EmulatorConfig, create_app
from emulator.state import EmulatorState, state_of

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
ALICE = "U" + "0123456789abcdef" * 2
BOB = "U" + "fedcba9876543210" * 2
RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000"


def text(body: str = "こんにちは", **extra: Any) -> dict[str, Any]:
    """Return a text message object."""
    return {"type": "text", "text": body, **extra}


class FakeClock:
    """A clock the test moves by hand, so no test waits for real time."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class LineApi:
    """The bot's side of the Messaging API: the test client with a bearer token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(self, path: str, body: Any = None, *, retry_key: str | None = None,
             token: str | None = TOKEN, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        if body is not None:
            kwargs["json"] = body
        return self.client.post(path, headers=headers, **kwargs)

    def get(self, path: str) -> TestResponse:
        return self.client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(path, headers={"Authorization": f"Bearer {TOKEN}"})

    def push(self, to: str = ALICE, *messages: dict[str, Any], **kwargs: Any) -> TestResponse:
        return self.post("/v2/bot/message/push", {"to": to, "messages": list(messages or [text()])},
                         **kwargs)

    def reply(self, token: str, *messages: dict[str, Any]) -> TestResponse:
        return self.post("/v2/bot/message/reply",
                         {"replyToken": token, "messages": list(messages or [text()])})


@dataclass
class Delivery:
    """One request the fake bot received."""

    body: bytes
    headers: dict[str, str]


@dataclass
class FakeBot:
    """A tiny WSGI server standing in for Madoguchi's webhook; records what LINE posts."""

    url: str = ""
    status: int = 200
    received: list[Delivery] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.received.append(Delivery(request.get_data(), dict(request.headers)))
        return Response("OK", status=self.status)(environ, start_response)


@pytest.fixture
def app() -> Flask:
    return create_app(EmulatorConfig(channel_secret=SECRET, channel_access_token=TOKEN))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def state(app: Flask) -> EmulatorState:
    return state_of(app)


@pytest.fixture
def clock(state: EmulatorState) -> FakeClock:
    fake = FakeClock()
    state.clock = fake
    return fake


@pytest.fixture
def line(client: FlaskClient) -> LineApi:
    return LineApi(client)


@pytest.fixture
def bot(client: FlaskClient) -> Iterator[FakeBot]:
    fake = FakeBot()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}/callback"
    # A short poll interval keeps shutdown (and so each test) fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    client.post("/_emulator/config", json={"webhook_url": fake.url})
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def say(client: FlaskClient, **payload: Any) -> dict[str, Any]:
    """Play the citizen through /_emulator/say and return its JSON answer."""
    payload.setdefault("user_id", ALICE)
    response = client.post("/_emulator/say", json=payload)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reply_token(client: FlaskClient, user_id: str = ALICE) -> str:
    """Have the citizen say something and return the reply token the bot got."""
    return say(client, user_id=user_id, text="ごみの日はいつ？")["reply_token"]
