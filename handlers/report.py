"""Damage reports over LINE (道路・公園の通報): the rich menu's 通報する to a receipt number.

Thin: each LINE event becomes one answer for the step table (reports/flow.py), stored on the draft
by reports/drafts.py; the reply is the next step's question. The draft, not memory, holds the step,
so a citizen can ask the FAQ something mid-way, or wander off to another menu, and carry on later.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from core.conversation import enter_conversation, leave_conversation
from core.line_gateway import LineMessage
from handlers import replies
from handlers import report_texts as texts
from handlers.context import HandlerContext
from handlers.params import int_param
from handlers.report_replies import (category_actions, cancel_action, outside_city, photo_received, prompt,
                                     urgent_call)
from reports.config import ReportConfig, report_config
from reports.drafts import (MAX_DESCRIPTION, abandon_draft, apply_input, current_draft, facts_of,
                            has_photo_message, start_draft, step_of)
from reports.flow import Decision, Input, Problem, Step, takes_text
from reports.models import Report
from reports.services import submit_report
from reports.status import ReportStatus

CONVERSATION = "report"
Action = Callable[[dict[str, str], HandlerContext], None]


def _config(ctx: HandlerContext) -> ReportConfig:
    return report_config(getattr(ctx, "settings", None))



def _draft(ctx: HandlerContext) -> Report | None:
    user_id = ctx.line_user_id
    return current_draft(ctx.session, user_id, now=ctx.now) if user_id else None


def _keep_conversation(ctx: HandlerContext, draft: Report) -> None:
    # The conversation row only routes the citizen's messages here; it lives as long as the draft.
    enter_conversation(ctx.session, draft.line_user_id or "", CONVERSATION, draft.step, now=ctx.now,
                       data={"report_id": draft.id}, ttl=_config(ctx).draft_ttl)


def _ask(ctx: HandlerContext, draft: Report, *lead: LineMessage) -> None:
    _keep_conversation(ctx, draft)
    ctx.reply(*lead, prompt(draft, _config(ctx)))


# Postback actions (the rich menu's 通報する sends action=report).

def start_report(params: dict[str, str], ctx: HandlerContext) -> None:
    """通報する: a new draft, or the offer to carry on with the one in progress."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    draft = current_draft(ctx.session, user_id, now=ctx.now)
    if draft is not None and step_of(draft) is not Step.CATEGORY:
        _keep_conversation(ctx, draft)
        actions = [replies.postback_action(texts.RESUME, "report_resume"),
                   replies.postback_action(texts.START_OVER, "report_new"), cancel_action()]
        ctx.reply(replies.text(texts.RESUME_OFFER, quick_replies=actions))
        return
    draft = draft or start_draft(ctx.session, user_id, now=ctx.now, ttl=_config(ctx).draft_ttl)
    _keep_conversation(ctx, draft)
    ctx.reply(replies.text(texts.START, quick_replies=category_actions(_config(ctx).catalogue)))


def start_over(params: dict[str, str], ctx: HandlerContext) -> None:
    """最初から: drop the draft in progress and begin again."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    draft = start_draft(ctx.session, user_id, now=ctx.now, ttl=_config(ctx).draft_ttl)
    _keep_conversation(ctx, draft)
    ctx.reply(replies.text(texts.START, quick_replies=category_actions(_config(ctx).catalogue)))


def resume(params: dict[str, str], ctx: HandlerContext) -> None:
    """続きから: ask the current step's question again."""
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    _ask(ctx, draft)


def more_categories(params: dict[str, str], ctx: HandlerContext) -> None:
    """ほかの種類: the next page of categories."""
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    _keep_conversation(ctx, draft)
    ctx.reply(prompt(draft, _config(ctx), page=int_param(params, "p")))


def choose_category(params: dict[str, str], ctx: HandlerContext) -> None:
    """A category was tapped."""
    code = params.get("c", "")
    if _config(ctx).catalogue.category(code) is None:
        code = ""
    _answer_with(ctx, Input.CATEGORY, value=code, valid=bool(code))


def photos_done(params: dict[str, str], ctx: HandlerContext) -> None:
    """次へ after the photos."""
    _answer_with(ctx, Input.PHOTOS_DONE)


def skip_location(params: dict[str, str], ctx: HandlerContext) -> None:
    """住所などで伝える: no location message; the place in words instead."""
    _answer_with(ctx, Input.SKIP_LOCATION)


def answer_urgency(params: dict[str, str], ctx: HandlerContext) -> None:
    """危険がある / 危険はない."""
    value = params.get("v")
    _answer_with(ctx, Input.URGENT if value == "1" else Input.NOT_URGENT, valid=value in ("0", "1"))


def no_description(params: dict[str, str], ctx: HandlerContext) -> None:
    """なし: nothing to add."""
    _answer_with(ctx, Input.NO_DESCRIPTION)


def go_back(params: dict[str, str], ctx: HandlerContext) -> None:
    """戻る: one step back (answers already given are kept and can be changed)."""
    _answer_with(ctx, Input.BACK)


def cancel(params: dict[str, str], ctx: HandlerContext) -> None:
    """やめる: drop the draft and leave the conversation."""
    draft, user_id = _draft(ctx), ctx.line_user_id
    if draft is not None:
        abandon_draft(draft, now=ctx.now)
    if user_id is not None:
        leave_conversation(ctx.session, user_id)
    ctx.reply(replies.text(texts.CANCELLED if draft else texts.NOTHING_TO_CANCEL, quick_replies=replies.main_menu()))


def submit(params: dict[str, str], ctx: HandlerContext) -> None:
    """送信する: the receipt number; a second tap (or a redelivered tap) is told it is already in."""
    report = ctx.session.get(Report, int_param(params, "r"))
    user_id = ctx.line_user_id
    if report is None or user_id is None or report.line_user_id != user_id:
        _gone(ctx)
        return
    if report.status is ReportStatus.DRAFT and step_of(report) is not Step.CONFIRM:
        _ask(ctx, report)  # a stale button from an earlier summary
        return
    if report.status is ReportStatus.EXPIRED:
        _gone(ctx)
        return
    submission = submit_report(ctx.session, report.id, _config(ctx), now=ctx.now)
    receipt = submission.report.receipt_number or ""
    if submission.already_submitted:
        ctx.reply(replies.text(texts.ALREADY_SUBMITTED.format(receipt=receipt), quick_replies=replies.main_menu()))
        return
    leave_conversation(ctx.session, user_id)
    department = _config(ctx).catalogue.departments.get(submission.report.department)
    template = texts.RECEIVED_DUPLICATE if submission.duplicate_of else texts.RECEIVED
    ctx.reply(replies.text(template.format(receipt=receipt, department=department.name if department else ""),
                           quick_replies=replies.main_menu()))


REPORT_ACTIONS: dict[str, Action] = {
    "report": start_report, "report_new": start_over, "report_resume": resume, "report_cats": more_categories,
    "report_cat": choose_category, "report_photos_done": photos_done, "report_skip_loc": skip_location,
    "report_urgent": answer_urgency, "report_nodesc": no_description, "report_back": go_back,
    "report_cancel": cancel, "report_submit": submit,
}


# Messages while the report conversation is on (bot/dispatch.py CONVERSATION_DISPATCH).

def on_report_text(event: Any, ctx: HandlerContext) -> None:
    """Typed text: the answer at text steps, a button's word, a category's name — or a question for the FAQ."""
    text = (event.message.text or "").strip()
    command = REPORT_ACTIONS.get(texts.COMMAND_WORDS.get(unicodedata.normalize("NFKC", text), ""))
    if command is not None:
        command({}, ctx)
        return
    draft = _draft(ctx)
    if draft is None:  # submitted or abandoned elsewhere: the words are an ordinary question again
        leave_conversation(ctx.session, ctx.line_user_id or "")
        _ask_faq(event, ctx, reminder=False)
        return
    if takes_text(step_of(draft)) and text:
        if len(text) > MAX_DESCRIPTION:
            ctx.reply(replies.text(texts.TEXT_TOO_LONG.format(limit=MAX_DESCRIPTION)))
            return
        _answer(ctx, draft, Input.TEXT, value=text)
        return
    category = next((c for c in _config(ctx).catalogue.categories if c.name == text), None)
    if step_of(draft) is Step.CATEGORY and category is not None:
        _answer(ctx, draft, Input.CATEGORY, value=category.code)
        return
    _ask_faq(event, ctx, reminder=True)


def on_report_image(event: Any, ctx: HandlerContext) -> None:
    """A photo: kept as LINE's message id; the worker downloads and cleans it after this reply."""
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    message_id = str(event.message.id)
    if has_photo_message(ctx.session, message_id):  # the same image event, once more
        _ask(ctx, draft)
        return
    decision = _answer(ctx, draft, Input.PHOTO, value=message_id, reply=False)
    if decision.problem is None and decision.step is Step.PHOTOS:
        ctx.reply(photo_received(facts_of(draft).photo_count))
    elif decision.problem is None:
        _ask(ctx, draft)


def on_report_location(event: Any, ctx: HandlerContext) -> None:
    """A LINE location message: checked against the city's boundary before it is taken."""
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    point = (float(event.message.latitude), float(event.message.longitude))
    if step_of(draft) in (Step.LOCATION, Step.PLACE) and not _config(ctx).boundary.contains(point):
        _keep_conversation(ctx, draft)
        ctx.reply(outside_city(_config(ctx)))
        return
    _answer(ctx, draft, Input.LOCATION, value=event.message.address or "", point=point)


def on_report_other(event: Any, ctx: HandlerContext) -> None:
    """A video, sticker, file or voice message mid-report: say what is wanted, and ask again."""
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    kind = getattr(event.message, "type", "")
    wanted = texts.VIDEO_NOT_PHOTO if kind == "video" and step_of(draft) is Step.PHOTOS else _expected(draft)
    _ask(ctx, draft, replies.text(wanted))


# The shared path: apply one answer and say what comes next.

def _answer_with(ctx: HandlerContext, given: Input, *, value: str = "", valid: bool = True) -> None:
    draft = _draft(ctx)
    if draft is None:
        _gone(ctx)
        return
    if not valid:
        _ask(ctx, draft, replies.text(_expected(draft)))
        return
    _answer(ctx, draft, given, value=value)


def _answer(ctx: HandlerContext, draft: Report, given: Input, *, value: str = "",
            point: tuple[float, float] | None = None, reply: bool = True) -> Decision:
    config = _config(ctx)
    decision = apply_input(ctx.session, draft, given, now=ctx.now, value=value, point=point, ttl=config.draft_ttl)
    if decision.problem is not None:
        _ask(ctx, draft, replies.text(_problem_text(decision.problem, draft)))
        return decision
    _keep_conversation(ctx, draft)
    if not reply:
        return decision
    lead = [urgent_call(draft, config)] if given is Input.URGENT else []
    ctx.reply(*lead, prompt(draft, config))
    return decision


def _problem_text(problem: Problem, draft: Report) -> str:
    if problem is Problem.NEED_PHOTO:
        return texts.NEED_PHOTO
    if problem is Problem.TOO_MANY_PHOTOS:
        return texts.TOO_MANY_PHOTOS
    if problem is Problem.NOTHING_BEFORE:
        return texts.FIRST_STEP
    return _expected(draft)


def _expected(draft: Report) -> str:
    return texts.NOT_NOW.format(expected=texts.EXPECTED[draft.step])


def _ask_faq(event: Any, ctx: HandlerContext, *, reminder: bool) -> None:
    # Imported here: handlers.text reaches this module through handlers.postback.
    from handlers.text import on_text

    on_text(event, ctx)
    if reminder and len(ctx.replies) < 5:
        resume_action = replies.postback_action(texts.RESUME, "report_resume")
        ctx.reply(replies.text(texts.REMINDER, quick_replies=[resume_action, cancel_action()]))


def _gone(ctx: HandlerContext) -> None:
    user_id = ctx.line_user_id
    if user_id is not None:
        leave_conversation(ctx.session, user_id)
    ctx.reply(replies.text(texts.DRAFT_GONE, quick_replies=replies.main_menu()))
