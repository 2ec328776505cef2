"""The widget in a real browser: headless Chromium on the demo homepage, against Madoguchi served on a port.

Skipped when Python playwright or Debian's Chromium is missing (`make test` installs both). The browser
is always the system's /usr/bin/chromium, never one Playwright downloads.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from faq.models import QuestionLog
from inquiries.models import Inquiry
from tests.conftest import ServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path("/tmp/widget.png")
TIMEOUT_MS = 15_000

sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed (make test installs it)")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
                allow_module_level=True)
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (starting it is the slow part)."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(app) -> Iterator[ServerThread]:
    """Madoguchi with the test corpus, on a free local port."""
    served = ServerThread(app)
    yield served
    served.stop()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A fresh browser tab (its own localStorage) at a desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def _open_widget(page: Any, url: str) -> Any:
    page.goto(url)
    page.get_by_role("button", name="AIチャットで質問する").click()
    return page.locator(".mg-log")


def _ask(page: Any, text: str) -> None:
    question = page.get_by_label("ご質問", exact=True)
    question.fill(text)
    question.press("Enter")


def test_a_visitor_asks_chooses_gives_feedback_and_passes_a_question_to_staff(page, server, session_factory) -> None:
    log = _open_widget(page, server.url + "/webchat/demo")
    expect(log).to_contain_text("みなと市のAIチャットボットです")
    expect(page.get_by_role("dialog", name="みなと市 AIチャットボット")).to_be_visible()

    _ask(page, "粗大ごみはどのように出せばよいですか")
    expect(log).to_contain_text("粗大ごみは事前申込制です")
    page.get_by_role("button", name="役に立った", exact=True).click()
    expect(log).to_contain_text("ご評価ありがとうございます")
    expect(page.get_by_label("ご質問", exact=True)).to_be_focused()  # the tapped button is disabled now

    _ask(page, "住民票")
    expect(log).to_contain_text("もしかして")
    page.get_by_role("button", name="住民票の写しはどこで取れますか。").click()
    expect(log).to_contain_text("住民票の写しは市民課窓口")

    _ask(page, "宇宙ステーションへの行き方を教えてください")
    expect(log).to_contain_text("まだお答えできません")
    page.get_by_role("button", name="職員に問い合わせる").click()
    details = page.get_by_label("お問い合わせ内容")
    expect(details).to_have_value("宇宙ステーションへの行き方を教えてください")
    details.fill("宇宙への行き方を知りたいです")
    page.get_by_role("button", name="問い合わせを送る").click()
    receipt = page.locator(".mg-receipt-number")
    expect(receipt).to_have_text(re.compile(r"^\d{4}-\d{4}$"))
    page.screenshot(path=str(SCREENSHOT))

    session_id = page.evaluate("localStorage.getItem('madoguchi:session-id')")
    with session_factory() as session:
        questions = session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
        inquiry = session.scalars(select(Inquiry)).one()
    assert {(q.channel, q.web_session_id) for q in questions} == {("web", session_id)}
    assert [q.faq_external_id for q in questions] == ["t-gomi-001", "t-jumin-001", None]
    assert questions[0].helpful is True
    assert (inquiry.receipt_number, inquiry.web_session_id) == (receipt.inner_text(), session_id)
    assert inquiry.question_log_id == questions[2].id


def test_the_host_pages_styles_do_not_reach_into_the_widget(page, server) -> None:
    _open_widget(page, server.url + "/webchat/demo")
    send = page.get_by_role("button", name="送信")
    styles = send.evaluate("b => [getComputedStyle(b).borderStyle, getComputedStyle(b).color]")
    assert styles[0] != "dashed" and styles[1] == "rgb(255, 255, 255)"  # the page paints buttons red and dashed
    page_button = page.locator("main button")
    assert page_button.evaluate("b => getComputedStyle(b).borderStyle") == "dashed"  # and we did not touch it


def test_on_a_phone_the_chat_fills_the_screen_and_works_from_the_keyboard(browser, server) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    phone = context.new_page()
    try:
        phone.goto(server.url + "/webchat/demo")
        launcher = phone.get_by_role("button", name="AIチャットで質問する")
        launcher.focus()
        phone.keyboard.press("Enter")
        panel = phone.get_by_role("dialog")
        expect(phone.get_by_label("ご質問", exact=True)).to_be_focused()
        box = panel.bounding_box()
        assert box is not None and (box["width"], box["height"]) == (375, 667)
        phone.keyboard.type("避難所はどこにありますか")
        phone.keyboard.press("Enter")
        expect(phone.locator(".mg-log")).to_contain_text("ハザードマップ")
        phone.screenshot(path="/tmp/widget-phone.png")
        phone.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_be_focused()
        phone.reload()  # moving to another page of the homepage keeps the conversation
        phone.get_by_role("button", name="AIチャットで質問する").click()
        expect(phone.locator(".mg-log")).to_contain_text("ハザードマップ")
    finally:
        context.close()


def _host_page(script_url: str) -> Any:
    """A WSGI app standing in for the city's own web server, embedding the widget from another origin."""
    html = (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>host</title></head><body>'
            f'<h1>city</h1><script src="{script_url}/static/widget/madoguchi-widget.js" '
            f'data-madoguchi-url="{script_url}" defer></script></body></html>').encode()

    def serve(environ: dict, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(html)))])
        return [html]
    return serve


@pytest.mark.parametrize("allowed", [True, False], ids=["allowed", "not-allowed"])
def test_the_widget_works_on_an_allowed_city_site_and_stays_hidden_on_others(
        page, settings, line, seeded_faq, clock, allowed) -> None:
    city = ServerThread(_host_page("http://127.0.0.1:0"))  # started first: its origin goes on the allow list
    origins = (city.url,) if allowed else ("https://www.city.minato.example",)
    madoguchi_app = create_app(settings.with_changes(webchat_allowed_origins=origins), line=line, clock=clock,
                               start_worker=False)
    madoguchi = ServerThread(madoguchi_app)
    city.server.app = _host_page(madoguchi.url)
    try:
        page.goto(city.url)
        launcher = page.get_by_role("button", name="AIチャットで質問する")
        if not allowed:
            page.wait_for_load_state("networkidle")
            expect(launcher).to_have_count(0)
            return
        launcher.click()
        _ask(page, "粗大ごみはどのように出せばよいですか")
        expect(page.locator(".mg-log")).to_contain_text("粗大ごみは事前申込制です")
    finally:
        madoguchi.stop()
        city.stop()
        madoguchi_app.extensions["madoguchi"].engine.dispose()
