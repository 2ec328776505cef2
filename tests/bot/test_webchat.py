"""The homepage web chat API: the same answers and logs as LINE, guarded for a public web page."""
from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from bot.app import create_app
from bot.webchat import MAX_BODY_BYTES, SlidingWindowLimiter
from core.config import ConfigurationError, Settings
from faq.models import QuestionLog, QuestionOutcome
from inquiries.models import Inquiry
from inquiries.services import reply_as_staff

CITY_SITE = "https://www.city.minato.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the city's homepage allowed to call the API."""
    return settings.with_changes(webchat_allowed_origins=(CITY_SITE,))


@pytest.fixture
def make_client(settings, line, seeded_faq, clock) -> Iterator[Callable[..., FlaskClient]]:
    """A client for an app built with some settings changed (for the rate-limit and proxy cases)."""
    apps: list[Flask] = []

    def build(**changes: object) -> FlaskClient:
        apps.append(create_app(settings.with_changes(**changes), line=line, clock=clock, start_worker=False))
        return apps[-1].test_client()

    yield build
    for application in apps:
        application.extensions["madoguchi"].engine.dispose()


def _ask(client: FlaskClient, text: str, session_id: str | None = None) -> dict:
    body = {"text": text} if session_id is None else {"text": text, "session_id": session_id}
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _questions(session_factory) -> list[QuestionLog]:
    with session_factory() as session:
        return list(session.scalars(select(QuestionLog).order_by(QuestionLog.id)))


def _inquiries(session_factory) -> list[Inquiry]:
    with session_factory() as session:
        return list(session.scalars(select(Inquiry).order_by(Inquiry.id)))


# --- the four outcomes ---------------------------------------------------------------------------------

def test_a_question_is_answered_with_the_faq_entry_its_category_and_feedback_buttons(client) -> None:
    reply = _ask(client, "粗大ごみはどのように出せばよいですか")
    assert reply["outcome"] == "answered"
    assert reply["answer"]["faq_id"] == "t-gomi-001" and reply["answer"]["category"] == "ごみ・リサイクル"
    assert reply["messages"][0].startswith("粗大ごみは事前申込制です") and "（分野：ごみ・リサイクル）" in reply["messages"][-1]
    assert [(a["type"], a["helpful"], a["label"]) for a in reply["actions"]] == [
        ("feedback", True, "役に立った"), ("feedback", False, "役に立たなかった")]
    assert reply["candidates"] == []


def test_an_ambiguous_question_offers_candidates_and_a_choice_answers_it(client, session_factory) -> None:
    offer = _ask(client, "住民票")
    assert offer["outcome"] == "candidates" and offer["messages"][0].startswith("もしかして")
    assert 1 <= len(offer["candidates"]) <= 3 and offer["answer"] is None
    assert {"faq_id": "t-jumin-001", "question": "住民票の写しはどこで取れますか。"} in offer["candidates"]
    response = client.post("/api/chat/choose", json={
        "session_id": offer["session_id"], "question_id": offer["question_id"], "faq_id": "t-jumin-001"})
    assert response.status_code == 200
    chosen = response.get_json()
    assert chosen["outcome"] == "answered" and chosen["messages"][0].startswith("住民票の写しは市民課窓口")
    assert chosen["actions"][0]["type"] == "feedback"
    [question] = _questions(session_factory)
    assert (question.outcome, question.faq_external_id) == (QuestionOutcome.ANSWERED, "t-jumin-001")


def test_an_unanswerable_question_apologises_and_offers_to_ask_staff(client) -> None:
    reply = _ask(client, "宇宙ステーションへの行き方を教えてください")
    assert reply["outcome"] == "unanswered" and reply["messages"][0].startswith("申し訳ありません")
    assert reply["actions"] == [{"type": "inquiry", "label": "職員に問い合わせる"}]


def test_a_greeting_is_answered_politely_and_counted_as_meaningless(client, session_factory) -> None:
    reply = _ask(client, "こんにちは！")
    assert reply["outcome"] == "meaningless" and "メッセージありがとうございます" in reply["messages"][0]
    assert _questions(session_factory)[0].outcome is QuestionOutcome.MEANINGLESS


def test_every_question_is_logged_on_the_web_channel_under_the_visitors_session(client, session_factory) -> None:
    first = _ask(client, "粗大ごみはどのように出せばよいですか")
    second = _ask(client, "住民票", first["session_id"])
    assert second["session_id"] == first["session_id"]
    logged = _questions(session_factory)
    assert [(q.channel, q.web_session_id, q.line_user_id) for q in logged] == [
        ("web", first["session_id"], None)] * 2
    assert [q.id for q in logged] == [first["question_id"], second["question_id"]]
    assert logged[0].faq_external_id == "t-gomi-001" and logged[1].candidate_ids


@pytest.mark.parametrize("session_id", [None, "", "short", "x" * 65, "has spaces and ! marks 123456", 12345, ["a"]])
def test_a_visitor_without_a_usable_session_id_is_given_a_new_random_one(client, session_id) -> None:
    reply = client.post("/api/chat", json={"text": "避難所はどこにありますか", "session_id": session_id}).get_json()
    assert isinstance(reply["session_id"], str) and reply["session_id"] != session_id
    assert 16 <= len(reply["session_id"]) <= 64


def test_two_new_visitors_never_share_a_session(client) -> None:
    assert _ask(client, "こんにちは")["session_id"] != _ask(client, "こんにちは")["session_id"]


def test_question_text_is_never_written_to_the_log(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    reply = _ask(client, "宇宙ステーションへの行き方を教えてください")
    client.post("/api/chat/inquiry", json={"session_id": reply["session_id"], "text": "私の電話番号は090-0000-0000です"})
    assert "宇宙ステーション" not in caplog.text and "090-0000-0000" not in caplog.text


# --- choices and feedback belong to the visitor who asked -----------------------------------------------

def test_another_session_cannot_choose_a_candidate_of_my_question(client, session_factory) -> None:
    offer = _ask(client, "住民票")
    stranger = _ask(client, "こんにちは")["session_id"]
    response = client.post("/api/chat/choose", json={
        "session_id": stranger, "question_id": offer["question_id"], "faq_id": "t-jumin-001"})
    assert response.status_code == 404 and "ご利用いただけません" in response.get_json()["message"]
    assert _questions(session_factory)[0].outcome is QuestionOutcome.CANDIDATES


def test_a_faq_that_was_not_offered_cannot_be_chosen(client, session_factory) -> None:
    offer = _ask(client, "住民票")
    for faq_id in ("t-bousai-001", "no-such-faq"):
        response = client.post("/api/chat/choose", json={
            "session_id": offer["session_id"], "question_id": offer["question_id"], "faq_id": faq_id})
        assert response.status_code == 404
    assert _questions(session_factory)[0].faq_external_id is None


def test_feedback_on_my_answer_is_stored_and_the_last_word_counts(client, session_factory) -> None:
    reply = _ask(client, "避難所はどこにありますか")
    ids = {"session_id": reply["session_id"], "question_id": reply["question_id"]}
    sorry = client.post("/api/chat/feedback", json={**ids, "helpful": False}).get_json()
    assert "お役に立てず申し訳ありません" in sorry["messages"][0]
    thanks = client.post("/api/chat/feedback", json={**ids, "helpful": True}).get_json()
    assert "ご評価ありがとうございます" in thanks["messages"][0]
    [question] = _questions(session_factory)
    assert question.helpful is True and question.feedback_at is not None


def test_another_session_cannot_give_feedback_on_my_question(client, session_factory) -> None:
    reply = _ask(client, "避難所はどこにありますか")
    stranger = _ask(client, "こんにちは")["session_id"]
    response = client.post("/api/chat/feedback", json={
        "session_id": stranger, "question_id": reply["question_id"], "helpful": False})
    assert response.status_code == 404 and response.get_json()["message"].startswith("申し訳ありません")
    assert _questions(session_factory)[0].helpful is None


def test_feedback_on_a_question_that_was_not_answered_is_refused(client) -> None:
    reply = _ask(client, "宇宙ステーションへの行き方を教えてください")
    response = client.post("/api/chat/feedback", json={
        "session_id": reply["session_id"], "question_id": reply["question_id"], "helpful": True})
    assert response.status_code == 404


@pytest.mark.parametrize("path, body", [
    ("/api/chat/choose", {"question_id": "1", "faq_id": "t-jumin-001"}),
    ("/api/chat/choose", {"question_id": True, "faq_id": "t-jumin-001"}),
    ("/api/chat/choose", {"question_id": -1, "faq_id": "t-jumin-001"}),
    ("/api/chat/choose", {"question_id": 1, "faq_id": "x" * 65}),
    ("/api/chat/choose", {"question_id": 1}),
    ("/api/chat/feedback", {"question_id": 1, "helpful": "yes"}),
    ("/api/chat/feedback", {"question_id": 2**80, "helpful": True}),
    ("/api/chat/feedback", {"helpful": True}),
])
def test_a_choice_or_feedback_with_fields_of_the_wrong_kind_is_a_polite_400(client, path, body) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400 and response.get_json()["message"].startswith("申し訳ありません")


# --- inquiries -------------------------------------------------------------------------------------------

def test_an_inquiry_gets_a_receipt_number_and_is_stored_for_the_web_visitor(client, session_factory) -> None:
    reply = _ask(client, "宇宙ステーションへの行き方を教えてください")
    response = client.post("/api/chat/inquiry", json={
        "session_id": reply["session_id"], "question_id": reply["question_id"], "text": "宇宙への行き方を知りたいです"})
    assert response.status_code == 200
    receipt = response.get_json()
    assert receipt["receipt_number"] in receipt["message"] and "受け付けました" in receipt["message"]
    [inquiry] = _inquiries(session_factory)
    assert (inquiry.receipt_number, inquiry.channel, inquiry.web_session_id, inquiry.line_user_id) == (
        receipt["receipt_number"], "web", reply["session_id"], None)
    assert inquiry.question_log_id == reply["question_id"]
    assert [m.text for m in inquiry.messages] == ["宇宙への行き方を知りたいです"]


def test_a_visitor_reads_staff_replies_to_their_open_inquiry(client, session_factory, clock) -> None:
    session_id = _ask(client, "こんにちは")["session_id"]
    receipt = client.post("/api/chat/inquiry", json={"session_id": session_id, "text": "犬の登録について"}).get_json()
    with session_factory.begin() as session:
        inquiry_id = session.scalars(select(Inquiry.id)).one()
        reply_as_staff(session, inquiry_id, "保健センターで登録できます。", staff_name="山田", now=clock())
    found = client.get(f"/api/chat/inquiry?session_id={session_id}").get_json()
    assert found["inquiry"]["receipt_number"] == receipt["receipt_number"]
    assert found["inquiry"]["status"] == "answered" and "回答あり" in found["message"]
    assert [(m["author"], m["text"]) for m in found["inquiry"]["messages"]] == [
        ("citizen", "犬の登録について"), ("staff", "保健センターで登録できます。")]
    assert "山田" not in str(found)  # staff are shown by role, not by name


def test_another_session_sees_no_inquiry_of_mine(client) -> None:
    mine = _ask(client, "こんにちは")["session_id"]
    client.post("/api/chat/inquiry", json={"session_id": mine, "text": "犬の登録について"})
    stranger = _ask(client, "こんにちは")["session_id"]
    for query in (f"?session_id={stranger}", "", "?session_id=../../etc"):
        found = client.get("/api/chat/inquiry" + query).get_json()
        assert found["inquiry"] is None and found["message"] == "現在、受付中のお問い合わせはありません。"


def test_another_session_cannot_attach_an_inquiry_to_my_question(client, session_factory) -> None:
    question_id = _ask(client, "宇宙ステーションへの行き方を教えてください")["question_id"]
    stranger = _ask(client, "こんにちは")["session_id"]
    response = client.post("/api/chat/inquiry", json={"session_id": stranger, "question_id": question_id, "text": "x"})
    assert response.status_code == 404 and _inquiries(session_factory) == []


def test_a_follow_up_joins_the_visitors_open_inquiry(client, session_factory) -> None:
    session_id = _ask(client, "こんにちは")["session_id"]
    receipt = client.post("/api/chat/inquiry", json={"session_id": session_id, "text": "犬の登録について"}).get_json()
    added = client.post("/api/chat/inquiry/messages", json={"session_id": session_id, "text": "狂犬病の注射も"})
    assert added.status_code == 200 and receipt["receipt_number"] in added.get_json()["message"]
    [inquiry] = _inquiries(session_factory)
    assert [m.text for m in inquiry.messages] == ["犬の登録について", "狂犬病の注射も"]
    nobody = client.post("/api/chat/inquiry/messages", json={"text": "こんにちは"})
    assert nobody.status_code == 404


@pytest.mark.parametrize("text, expected", [("   ", "空のよう"), ("あ" * 2001, "2000文字以内"), (None, "読み取れません")])
def test_an_empty_or_overlong_inquiry_is_refused_with_a_reason(client, session_factory, text, expected) -> None:
    response = client.post("/api/chat/inquiry", json={"text": text})
    assert response.status_code == 400 and expected in response.get_json()["message"]
    assert _inquiries(session_factory) == []


# --- input limits -----------------------------------------------------------------------------------------

def test_a_question_over_500_characters_is_refused_with_a_clear_message(client, session_factory) -> None:
    response = client.post("/api/chat", json={"text": "ご" * 501})
    assert response.status_code == 400
    assert response.get_json() == {"error": "text_too_long", "message": (
        "メッセージが長すぎるため読み取れませんでした。お手数ですが、500文字以内に短くして送ってください。")}
    assert _questions(session_factory) == []


def test_a_question_of_exactly_500_characters_is_answered(client) -> None:
    assert client.post("/api/chat", json={"text": "粗大ごみ" + "。" * 496}).status_code == 200


@pytest.mark.parametrize("text", ["", "   \n", None, 42, ["粗大ごみ"]])
def test_an_empty_or_non_text_question_is_a_400_with_a_message(client, text) -> None:
    response = client.post("/api/chat", json={"text": text})
    assert response.status_code == 400 and response.get_json()["message"]


@pytest.mark.parametrize("body", [b"{", b"", b"[]", b"null", b'"text"', b"\xff\xfe{}", b'{"text": "a"', b"NaN"])
def test_a_malformed_body_is_a_400_never_a_500(client, body) -> None:
    for path in ("/api/chat", "/api/chat/choose", "/api/chat/feedback", "/api/chat/inquiry"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, body)
        assert "読み取れませんでした" in response.get_json()["message"]


def test_a_body_over_16_kib_is_refused_with_413(client, session_factory) -> None:
    big = b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'
    response = client.post("/api/chat", data=big, content_type="application/json")
    assert response.status_code == 413 and "大きすぎます" in response.get_json()["message"]
    assert _questions(session_factory) == []


def test_a_chunked_body_over_16_kib_without_a_length_is_refused_with_413(client) -> None:
    big = b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'
    response = client.post("/api/chat", input_stream=io.BytesIO(big), content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_a_database_failure_is_a_503_with_a_message_not_a_stack_trace(client, session_factory, caplog) -> None:
    with session_factory.begin() as session:
        session.execute(text("DROP TABLE question_log CASCADE" if session.bind.dialect.name == "postgresql"
                             else "DROP TABLE question_log"))
    response = client.post("/api/chat", json={"text": "粗大ごみはどのように出せばよいですか"})
    assert response.status_code == 503 and "時間をおいて" in response.get_json()["message"]
    assert "粗大ごみ" not in caplog.text


# --- CORS -------------------------------------------------------------------------------------------------

def test_the_citys_homepage_may_call_the_api_from_the_browser(client) -> None:
    response = client.post("/api/chat", json={"text": "住民票"}, headers={"Origin": CITY_SITE})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CITY_SITE
    assert "Origin" in response.vary and response.headers["Cache-Control"] == "no-store"


def test_another_site_is_refused_and_gets_no_cors_headers(client, session_factory) -> None:
    for origin in ("https://evil.example", "null", "https://www.city.minato.example.evil.example",
                   "http://www.city.minato.example", "http://[oops", ""):
        response = client.post("/api/chat", json={"text": "住民票"}, headers={"Origin": origin})
        assert response.status_code == 403, origin
        assert "Access-Control-Allow-Origin" not in response.headers and "Origin" in response.vary
        assert "ご利用いただけません" in response.get_json()["message"]
    assert _questions(session_factory) == []


def test_pages_served_by_madoguchi_itself_need_no_allow_list(client) -> None:
    response = client.post("/api/chat", json={"text": "住民票"}, headers={"Origin": "http://localhost"})
    assert response.status_code == 200 and "Origin" in response.vary


def test_a_preflight_from_the_citys_homepage_allows_posting_json(client) -> None:
    response = client.options("/api/chat/feedback", headers={
        "Origin": CITY_SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == CITY_SITE
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0 and "Origin" in response.vary


def test_a_preflight_from_another_site_is_refused(client) -> None:
    response = client.options("/api/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers


def test_preflights_do_not_count_against_the_rate_limit(make_client) -> None:
    client = make_client(webchat_rate_limit=2)
    for _ in range(5):
        client.options("/api/chat", headers={"Origin": CITY_SITE, "Access-Control-Request-Method": "POST"})
    assert client.post("/api/chat", json={"text": "住民票"}).status_code == 200


def test_the_widget_config_answers_cross_origin_with_its_wording(client) -> None:
    response = client.get("/api/chat/config", headers={"Origin": CITY_SITE})
    config = response.get_json()
    assert response.headers["Access-Control-Allow-Origin"] == CITY_SITE
    assert config["texts"]["inquire"] == "職員に問い合わせる" and config["limits"]["question"] == 500
    assert "こんにちは" in config["greeting"]
    assert response.headers["Cache-Control"] == "public, max-age=300" and "Origin" in response.vary


# --- rate limit -------------------------------------------------------------------------------------------

def test_too_many_questions_from_one_address_get_429_with_a_japanese_message(make_client, clock) -> None:
    client = make_client(webchat_rate_limit=3)
    assert [client.post("/api/chat", json={"text": "住民票"}).status_code for _ in range(3)] == [200] * 3
    clock.advance(20)
    refused = client.post("/api/chat", json={"text": "住民票"}, headers={"Origin": CITY_SITE})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "40"
    assert "40秒ほどおいてから" in refused.get_json()["message"]
    assert refused.headers["Access-Control-Allow-Origin"] == CITY_SITE  # so the widget can show the message
    clock.advance(40)
    assert client.post("/api/chat", json={"text": "住民票"}).status_code == 200


def test_each_address_has_its_own_allowance(make_client) -> None:
    client = make_client(webchat_rate_limit=1)
    assert client.post("/api/chat", json={"text": "住民票"}, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    assert client.post("/api/chat", json={"text": "住民票"}, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert client.post("/api/chat", json={"text": "住民票"}, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(make_client) -> None:
    client = make_client(webchat_rate_limit=1)
    for spoofed in ("198.51.100.1", "198.51.100.2"):
        response = client.post("/api/chat", json={"text": "住民票"}, headers={"X-Forwarded-For": spoofed})
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_limited(make_client) -> None:
    client = make_client(webchat_rate_limit=1, webchat_trust_proxy=1)

    def ask(forwarded: str) -> int:
        return client.post("/api/chat", json={"text": "住民票"}, headers={"X-Forwarded-For": forwarded}).status_code

    assert ask("198.51.100.1") == 200
    assert ask("203.0.113.9, 198.51.100.1") == 429  # the client's own claim on the left changes nothing
    assert ask("198.51.100.2") == 200


def test_a_rate_limit_of_zero_means_no_limit(make_client) -> None:
    client = make_client(webchat_rate_limit=0)
    assert {client.post("/api/chat", json={"text": "こんにちは"}).status_code for _ in range(40)} == {200}


def test_the_limiter_counts_over_a_sliding_window_and_refused_calls_do_not_count() -> None:
    limiter = SlidingWindowLimiter(window=60)
    assert [limiter.hit("a", limit=2, now=t) for t in (0, 30)] == [0, 0]
    assert limiter.hit("a", limit=2, now=59) == 1
    assert limiter.hit("a", limit=2, now=60) == 0   # the call at 0 left the window
    assert limiter.hit("a", limit=2, now=61) == 29  # the call at 30 leaves at 90
    assert limiter.hit("b", limit=2, now=61) == 0


def test_the_limiter_forgets_idle_addresses_when_full() -> None:
    limiter = SlidingWindowLimiter(window=60, max_keys=3)
    for number, key in enumerate("abc"):
        limiter.hit(key, limit=1, now=number)
    limiter.hit("d", limit=1, now=100)
    assert limiter.hit("a", limit=1, now=101) == 0 and limiter.hit("d", limit=1, now=101) > 0


# --- configuration, demo page, widget files --------------------------------------------------------------

ENV = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k"}


def test_the_web_chat_settings_default_to_same_origin_30_a_minute_and_no_proxy() -> None:
    settings = Settings.from_env(ENV)
    assert (settings.webchat_allowed_origins, settings.webchat_rate_limit, settings.webchat_trust_proxy) == ((), 30, 0)


def test_the_web_chat_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({**ENV, "WEBCHAT_ALLOWED_ORIGINS": " https://www.City.Minato.example/ ,https://a.example,,",
                                  "WEBCHAT_RATE_LIMIT": "10", "WEBCHAT_TRUST_PROXY": "1"})
    assert settings.webchat_allowed_origins == (CITY_SITE, "https://a.example")
    assert (settings.webchat_rate_limit, settings.webchat_trust_proxy) == (10, 1)


@pytest.mark.parametrize("name, value", [("WEBCHAT_RATE_LIMIT", "thirty"), ("WEBCHAT_RATE_LIMIT", "-1"),
                                         ("WEBCHAT_ALLOWED_ORIGINS", "www.city.minato.example")])
def test_a_bad_web_chat_setting_fails_at_start_with_a_clear_message(name, value) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**ENV, name: value})


def test_the_demo_page_embeds_the_widget_with_one_script_tag(client) -> None:
    page = client.get("/webchat/demo").get_data(as_text=True)
    assert "みなと市" in page
    assert ('<script src="http://localhost/static/widget/madoguchi-widget.js" '
            'data-madoguchi-url="http://localhost" data-title="みなと市 AIチャットボット" defer></script>') in page


@pytest.mark.parametrize("name, kind", [("madoguchi-widget.js", "javascript"), ("madoguchi-widget.css", "text/css")])
def test_the_widget_files_are_served_as_static_files(client, name, kind) -> None:
    response = client.get(f"/static/widget/{name}")
    assert response.status_code == 200 and kind in response.content_type
    response.close()


def test_the_widget_script_carries_no_wording_of_its_own(client) -> None:
    response = client.get("/static/widget/madoguchi-widget.js")
    code = "\n".join(line for line in response.get_data(as_text=True).splitlines()
                     if not line.lstrip().startswith(("*", "/*", "//")))
    response.close()
    assert not any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in code)
