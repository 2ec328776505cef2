"""Postbacks: the buttons and quick replies a citizen taps. Data is `action=…&…`, checked before use."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faq.services import list_categories, questions_in_category, record_choice, record_feedback
from handlers import replies, texts
from handlers.answers import answer_messages
from handlers import inquiry, preferences, report
from handlers import news
from handlers.context import HandlerContext
from handlers.params import int_param, parse_postback_data

BROWSE_LIMIT = 12  # LINE shows at most 13 quick replies


def on_postback(event: Any, ctx: HandlerContext) -> None:
    """Run the action named in the postback data; anything unknown or forged gets a polite reply."""
    params = parse_postback_data(event.postback.data or "")
    action = POSTBACK_ACTIONS.get(params.get("action", ""))
    if action is None:
        ctx.reply(replies.text(texts.UNKNOWN_ACTION, quick_replies=replies.main_menu()))
        return
    action(params, ctx)


def _maintenance(params: dict[str, str], ctx: HandlerContext) -> None:
    ctx.reply(replies.text(texts.MAINTENANCE))


def _menu(params: dict[str, str], ctx: HandlerContext) -> None:
    ctx.reply(replies.text(texts.MENU_PROMPT, quick_replies=replies.main_menu()))


def _ask(params: dict[str, str], ctx: HandlerContext) -> None:
    ctx.reply(replies.text(texts.ASK_PROMPT))


def _browse(params: dict[str, str], ctx: HandlerContext) -> None:
    categories = list_categories(ctx.session)[:BROWSE_LIMIT]
    if not categories:
        ctx.reply(replies.text(texts.CATEGORY_EMPTY))
        return
    actions = [replies.postback_action(name, "category", c=name) for name in categories]
    ctx.reply(replies.text(texts.BROWSE_PROMPT, quick_replies=actions))


def _category(params: dict[str, str], ctx: HandlerContext) -> None:
    category = params.get("c", "")
    questions = questions_in_category(ctx.session, category, limit=BROWSE_LIMIT) if category else []
    if not questions:
        ctx.reply(replies.text(texts.CATEGORY_EMPTY, quick_replies=replies.main_menu()))
        return
    actions = [replies.message_action(question) for question in questions]
    ctx.reply(replies.text(texts.CATEGORY_PROMPT.format(category=category), quick_replies=actions))


def _choose(params: dict[str, str], ctx: HandlerContext) -> None:
    """A もしかして candidate was chosen: answer it, and count the question as answered."""
    question_id, faq_id = int_param(params, "q"), params.get("f", "")
    document = ctx.answerer.index.get(faq_id)
    chosen = record_choice(ctx.session, question_id, faq_id, line_user_id=ctx.line_user_id) if document else None
    if chosen is None or document is None:
        ctx.reply(replies.text(texts.CHOICE_EXPIRED, quick_replies=replies.main_menu()))
        return
    ctx.reply(*answer_messages(document, chosen.id))


def _feedback(params: dict[str, str], ctx: HandlerContext) -> None:
    helpful = params.get("v") == "1"
    if params.get("v") not in ("0", "1") or record_feedback(
            ctx.session, int_param(params, "q"), helpful, line_user_id=ctx.line_user_id, now=ctx.now) is None:
        ctx.reply(replies.text(texts.UNKNOWN_ACTION, quick_replies=replies.main_menu()))
        return
    if helpful:
        ctx.reply(replies.text(texts.FEEDBACK_THANKS))
        return
    ask_staff = replies.postback_action(texts.ASK_STAFF, "inquire", q=params.get("q", ""))
    ctx.reply(replies.text(texts.FEEDBACK_SORRY, quick_replies=[ask_staff]))



POSTBACK_ACTIONS: dict[str, Callable[[dict[str, str], HandlerContext], None]] = {
    "ask": _ask,
    "browse": _browse,
    "category": _category,
    "choose": _choose,
    "feedback": _feedback,
    "inquiry": inquiry.start_inquiry,
    "inquire": inquiry.inquire_about_question,
    "inquiry_done": inquiry.finish_writing,
    "inquiry_reply": inquiry.reply_to_staff,
    "inquiry_close": inquiry.resolve,
    "cancel": inquiry.cancel,
    "prefs": preferences.show_editor,
    "prefs_show": preferences.show_summary,
    "prefs_later": preferences.later,
    "pref_toggle": preferences.toggle,
    "pref_area": preferences.choose_area,
    "pref_area_set": preferences.set_area_choice,
    "pref_done": preferences.done,
    **report.REPORT_ACTIONS,  # report, report_cat, report_submit, … (the rich menu's 通報する sends action=report)
    "menu": _menu,
    "emergency": news.show_emergency,
    "news": news.show_news,
    "maintenance": _maintenance,
}
