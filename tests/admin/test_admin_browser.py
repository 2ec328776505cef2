"""The admin in headless Chromium, as a staff member uses it, with LINE played by the emulator.

Screenshots of each screen are saved in tests/artifacts/ (the README's come from here).
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from admin.models import Role
from faq.models import FaqEntry
from faq.stats import question_stats
from tests.admin.conftest import PASSWORD
from tests.browser import launch_browser, screenshot
from tests.conftest import LiveStack, TEST_CORPUS
from tests.webhook_events import USER


@pytest.fixture
def browser() -> Iterator[object]:
    yield from launch_browser()


@pytest.fixture
def page(browser, stack: LiveStack, make_staff):  # type: ignore[no-untyped-def]
    """A signed-in admin page on the live stack."""
    make_staff("tanaka", Role.ADMIN)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{stack.madoguchi.url}/admin/login")
    screenshot(page, "admin-login")
    page.get_by_label("ログインID").fill("tanaka")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()


def _count_entries(stack: LiveStack) -> int:
    with stack.app.extensions["madoguchi"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(FaqEntry)) or 0


def _wait_for_bot(stack: LiveStack, path: str, count: int) -> list[dict]:
    calls = stack.wait_for(path, count)
    assert len(calls) >= count, f"LINE did not receive {count} call(s) on {path}"
    return calls


def test_importing_a_broken_file_shows_the_rows_and_imports_nothing_then_the_fixed_one_imports(
        page, stack: LiveStack, tmp_path: Path) -> None:
    before = _count_entries(stack)
    lines = TEST_CORPUS.read_text(encoding="utf-8-sig").splitlines()
    lines.append("new-001,ごみ・リサイクル,,質問のない回答,,,1")
    lines.append("new-002,ごみ・リサイクル,蛍光灯はどう捨てますか。,有害ごみの日に出してください。,蛍光管の捨て方,,1")
    broken = tmp_path / "faq.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    page.get_by_role("link", name="よくある質問").first.click()
    page.get_by_role("link", name="取り込み").click()
    page.get_by_label("ファイル").set_input_files(str(broken))
    page.get_by_role("button", name="確認する").click()
    errors = page.locator("#import-errors")
    assert "13行目：question が空です" in errors.inner_text()
    screenshot(page, "admin-faq-import-errors")
    assert _count_entries(stack) == before

    del lines[-2]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    page.get_by_label("ファイル").set_input_files(str(broken))
    page.get_by_role("button", name="確認する").click()
    assert "件を取り込めます" in page.locator("#import-preview").inner_text()
    screenshot(page, "admin-faq-import-preview")
    page.get_by_role("button", name="この内容で取り込む").click()
    assert "取り込みました" in page.locator(".flash").inner_text()
    assert _count_entries(stack) == before + 1
    screenshot(page, "admin-faq-list")


def test_triaging_an_unanswered_question_into_a_paraphrase_answers_it_at_once(page, stack: LiveStack) -> None:
    question = "ペットが亡くなったときの火葬はどこに頼めばいいですか"
    stack.say(USER, text=question)
    _wait_for_bot(stack, "/v2/bot/message/reply", 1)
    page.goto(f"{stack.madoguchi.url}/admin/triage/")
    group = page.locator("section.triage", has_text=question)
    assert "1件" in group.inner_text()
    screenshot(page, "admin-triage")
    group.get_by_label("IDを指定").fill("t-gomi-001")
    group.get_by_role("button", name="このFAQに加える").click()
    assert "言い換えに加えました" in page.locator(".flash").inner_text()

    page.goto(f"{stack.madoguchi.url}/admin/faq/try")
    page.get_by_label("市民になったつもりで質問を入力").fill(question)
    page.get_by_role("button", name="試す").click()
    result = page.locator("#try-result")
    assert result.locator("[data-outcome]").get_attribute("data-outcome") == "answered"
    assert "t-gomi-001" in result.locator("tbody tr").first.inner_text()
    screenshot(page, "admin-faq-try")


def test_a_reply_to_an_inquiry_reaches_the_citizen_on_line(page, stack: LiveStack) -> None:
    stack.say(USER, type="postback", data="action=inquiry")
    _wait_for_bot(stack, "/v2/bot/message/reply", 1)
    stack.say(USER, text="公園の水飲み場が壊れて水が出ません")
    receipt_reply = _wait_for_bot(stack, "/v2/bot/message/reply", 2)[-1]
    number = re.search(r"受付番号：(\d{4}-\d{4})", receipt_reply["body"]["messages"][0]["text"]).group(1)

    page.get_by_role("link", name="問い合わせ").first.click()
    page.get_by_role("link", name=number).click()
    assert "公園の水飲み場が壊れて水が出ません" in page.locator("#conversation").inner_text()
    page.get_by_label("定型文").select_option(label="受付のお知らせ")
    page.get_by_label("回答（市民のLINEに届きます）").fill("ご連絡ありがとうございます。本日中に修理します。")
    page.get_by_role("button", name="回答を送る").click()
    assert "回答を送信しました" in page.locator(".flash").inner_text()
    [push] = _wait_for_bot(stack, "/v2/bot/message/push", 1)
    assert push["body"]["to"] == USER and "本日中に修理します" in push["body"]["messages"][-1]["text"]
    deadline = time.monotonic() + 5
    while "LINEに送信済み" not in page.locator("#conversation").inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
        page.reload()
    assert "LINEに送信済み" in page.locator("#conversation").inner_text()
    screenshot(page, "admin-inquiry")


def test_the_dashboard_shows_the_numbers_in_the_database(page, stack: LiveStack) -> None:
    for text in ("避難所はどこにありますか", "こんにちは", "宇宙ステーションへの行き方を教えてください"):
        stack.say(USER, text=text)
    _wait_for_bot(stack, "/v2/bot/message/reply", 3)
    page.goto(f"{stack.madoguchi.url}/admin/")
    with stack.app.extensions["madoguchi"].session_factory() as session:
        stats = question_stats(session)
    table = page.locator("#stats-table")
    for key in ("total_questions", "meaningless", "meaningful", "unanswered"):
        assert table.locator(f"[data-key={key}]").inner_text() == f"{stats[key]:,}"
    assert table.locator("[data-key=answer_rate]").inner_text() == f"{stats['answer_rate'] * 100:.2f}%"
    screenshot(page, "admin-dashboard")


def test_a_report_is_found_on_the_map_and_its_status_change_reaches_the_citizen(page, stack: LiveStack) -> None:
    from tests.reports.samples import submitted_report

    runtime = stack.app.extensions["madoguchi"]
    with runtime.session_factory.begin() as session:
        receipt = submitted_report(session, line_user_id=USER).report.receipt_number
    page.get_by_role("link", name="通報").first.click()
    page.locator("#report-map[data-count='1']").wait_for()
    assert page.locator("#report-map .leaflet-interactive").count() == 1  # drawn even without map tiles
    screenshot(page, "admin-reports")
    page.get_by_role("link", name=receipt).click()
    assert "穴があります" in page.locator("#report-description").inner_text()
    page.get_by_label("新しい状態").select_option("resolved")
    page.get_by_label("市民へのメッセージ（LINEに届きます。「対応しない」では必須）").fill("修理が完了しました。")
    page.get_by_role("button", name="変更する").click()
    assert "状態を「完了」にしました" in page.locator(".flash").inner_text()
    assert "完了" in page.locator("#report-history").inner_text()
    [push] = _wait_for_bot(stack, "/v2/bot/message/push", 1)
    assert push["body"]["to"] == USER and any("修理が完了しました" in m.get("text", "") for m in push["body"]["messages"])
    screenshot(page, "admin-report")


def _line_deliveries(stack: LiveStack, timeout: float = 8.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = [c for path in ("/v2/bot/message/multicast", "/v2/bot/message/broadcast")
                 for c in stack.recorded(path) if c["status"] == 200]
        if calls:
            return calls
        time.sleep(0.1)
    return []


def test_a_broadcast_is_composed_previewed_and_sent_to_its_segment(page, stack: LiveStack) -> None:
    for user in (USER, "U" + "2" * 32):
        stack.say(user, type="follow")
    _wait_for_bot(stack, "/v2/bot/message/reply", 2)
    page.get_by_role("link", name="配信").first.click()
    page.get_by_role("link", name="新しい配信").click()
    page.get_by_label("件名（管理用。市民には表示されません）").fill("子育て広場のお知らせ")
    page.get_by_label("本文 1").fill("今週土曜日、子育て広場を開きます。")
    page.get_by_label("子育て").check()
    page.locator("#segment-size", has_text="2").wait_for()  # nobody chose yet: everyone receives every category
    screenshot(page, "admin-broadcast-compose")
    page.get_by_role("button", name="下書きを保存してプレビュー").click()
    assert "今週土曜日、子育て広場を開きます。" in page.locator(".phone-preview").inner_text()
    assert page.locator("#recipients").inner_text() == "2"
    page.get_by_label("内容と送る相手を確認しました").check()
    page.get_by_role("button", name="今すぐ送る").click()
    assert "送信を始めました" in page.locator(".flash").inner_text()
    [call] = _line_deliveries(stack)
    assert sorted(call["body"]["to"]) == sorted([USER, "U" + "2" * 32])
    screenshot(page, "admin-broadcast")
    # Beside our counts, LINE's daily totals for the account: today's are published only tomorrow.
    line_figures = page.locator("#line-figures")
    deadline = time.monotonic() + 5
    while not line_figures.count() and time.monotonic() < deadline:  # until the worker has recorded the chunk
        time.sleep(0.1)
        page.reload()
    assert "アカウント全体の1日の合計" in line_figures.inner_text()
    assert "LINEの集計は翌日以降に表示されます。" in line_figures.inner_text()
    screenshot(page, "admin-broadcast-line-figures")


def test_the_emergency_screen_asks_for_confirmation_then_reaches_everyone(page, stack: LiveStack) -> None:
    stack.say(USER, type="follow")
    _wait_for_bot(stack, "/v2/bot/message/reply", 1)
    page.goto(f"{stack.madoguchi.url}/admin/broadcasts/emergency")
    page.get_by_label("本文（冒頭に【緊急】が付きます）").fill("避難指示：みなと川の水位が上がっています。")
    page.get_by_label("確認のため「緊急配信」と入力してください").fill("はい")
    page.get_by_role("button", name="緊急配信を送る").click()
    assert "「緊急配信」と入力してください" in page.locator(".flash").inner_text()
    assert _line_deliveries(stack, timeout=0.5) == []
    page.get_by_label("確認のため「緊急配信」と入力してください").fill("緊急配信")
    page.get_by_role("button", name="緊急配信を送る").click()
    [call] = _line_deliveries(stack)
    assert "避難指示" in call["body"]["messages"][0]["text"]
    screenshot(page, "admin-emergency")


def test_a_broadcast_is_scheduled_for_later(page, stack: LiveStack) -> None:
    from broadcast.models import Broadcast, BroadcastStatus

    page.goto(f"{stack.madoguchi.url}/admin/broadcasts/new")
    page.get_by_label("件名（管理用。市民には表示されません）").fill("粗大ごみ収集日のお知らせ")
    page.get_by_label("本文 1").fill("来週月曜日は粗大ごみの収集日です。")
    page.get_by_role("button", name="下書きを保存してプレビュー").click()
    page.get_by_label("送信日時").fill("2099-06-01T09:00")
    page.get_by_role("button", name="予約する").click()
    assert "2099-06-01 09:00 に送信するよう予約しました" in page.locator(".flash").inner_text()
    with stack.app.extensions["madoguchi"].session_factory() as session:
        [broadcast] = session.scalars(select(Broadcast)).all()
    assert broadcast.status is BroadcastStatus.SCHEDULED and broadcast.send_at.year == 2099
    screenshot(page, "admin-broadcast-scheduled")
