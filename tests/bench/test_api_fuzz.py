"""The API fuzz benchmark, small (bench/api_fuzz.py): schemathesis over docs/openapi.yaml, served at
GET /api/openapi.yaml, finds no server error and no answer the description does not allow; and the
5xx it found once stay fixed (NUL and lone surrogates in web chat text, NUL and far dates in Open311).
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from bench import api_fuzz
from bot.app import create_app
from core.config import Settings
from core.line_gateway import RecordingLineGateway
from reports.config import report_config
from tests import conftest


@pytest.fixture
def fuzz_app(settings: Settings, line: RecordingLineGateway, seeded_faq: None,
             clock: conftest.TestClock) -> Iterator[Flask]:
    """The test app with an Open311 key, no web chat rate limit (the fuzz would hit it) and one public report."""
    application = create_app(settings.with_changes(webchat_rate_limit=0, open311_api_keys=(api_fuzz.API_KEY,)),
                             line=line, clock=clock, start_worker=False)
    api_fuzz.seed_report(application)
    yield application
    application.extensions["madoguchi"].engine.dispose()


def test_the_description_is_served_and_names_every_api_route(client: FlaskClient, app: Flask) -> None:
    response = client.get("/api/openapi.yaml")
    assert response.status_code == 200 and response.content_type.startswith("application/yaml")
    spec = yaml.safe_load(response.data)
    documented = {path.replace("{format}", "<fmt>") for path in spec["paths"]}
    routes = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/api/chat", "/open311/")) and not rule.rule.startswith("/api/chat/static")}
    documented = {path.replace("{service_code}", "<code>").replace("{service_request_id}", "<request_id>")
                  for path in documented}
    assert routes == documented


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(fuzz_app: Flask) -> None:
    result = api_fuzz.fuzz(fuzz_app, examples=5)
    assert result["operations"] == 14
    assert result["requests"] > 100
    assert result["server_errors"] == 0, result["findings"]
    assert result["failures"] == 0, result["findings"]
    assert set(result["checks"]) >= {"not_a_server_error", "response_schema_conformance"}


# --- what the fuzz found (each was a 500, or a 503 on PostgreSQL) ----------------------------------------

SESSION = "regression-visitor-0000000000"


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfff"])
@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/inquiry", "/api/chat/inquiry/messages"])
def test_web_chat_text_with_nul_or_a_lone_surrogate_is_a_400(fuzz_app: Flask, path: str, text: str) -> None:
    client = fuzz_app.test_client()
    client.post("/api/chat/inquiry", json={"session_id": SESSION, "text": "道路の穴"})  # for the follow-up
    raw = ('{"session_id": "%s", "text": %s}' % (SESSION, _json_string(text))).encode()
    response = client.post(path, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def _json_string(text: str) -> str:
    """A JSON string literal with every character escaped (json.dumps would refuse nothing, but be explicit)."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'


@pytest.mark.parametrize("query", [
    "service_code=a%00b", "service_request_id=a%00b", "status=open%00",
    "start_date=9999-12-31T23:59:59%2B00:00&end_date=9999-12-31T23:59:59-14:00",
    "start_date=0001-01-01T00:00:00%2B14:00", "end_date=0001-01-01T00:00:00%2B14:00",
])
def test_open311_queries_with_nul_or_dates_at_the_calendars_ends_are_a_400(fuzz_app: Flask, query: str) -> None:
    response = fuzz_app.test_client().get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


def test_an_open311_request_id_with_nul_is_not_found(fuzz_app: Flask) -> None:
    assert fuzz_app.test_client().get("/open311/v2/requests/a%00b.json").status_code == 404


def test_an_open311_post_with_nul_is_a_400(fuzz_app: Flask) -> None:
    code = report_config(fuzz_app.extensions["madoguchi"].settings).catalogue.categories[0].code
    response = fuzz_app.test_client().post("/open311/v2/requests.json", data={
        "api_key": api_fuzz.API_KEY, "service_code": code, "address_string": "市役所\x00前", "description": "穴"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/chat/feedback", "/api/chat/choose", "/api/chat/inquiry"])
def test_a_question_id_beyond_the_integer_column_is_a_400(fuzz_app: Flask, path: str) -> None:
    body = {"session_id": SESSION, "question_id": 2**31, "helpful": True, "faq_id": "gomi-001", "text": "穴"}
    assert fuzz_app.test_client().post(path, json=body).status_code == 400
