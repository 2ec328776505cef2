"""Inquiries to staff over LINE: write one, add to it, and answer the replies staff push back."""
from __future__ import annotations

from typing import Any

from core.conversation import current_conversation, enter_conversation, leave_conversation
from faq.models import QuestionLog
from handlers import replies, texts
from handlers.context import HandlerContext
from handlers.params import int_param
from inquiries.models import Inquiry, InquiryMessage
from inquiries.services import add_citizen_message, close, open_inquiry

CONVERSATION = "inquiry"
COMPOSE, OPEN = "compose", "open"


def start_inquiry(params: dict[str, str], ctx: HandlerContext) -> None:
    """From the menu: ask the citizen to write their inquiry."""
    if ctx.line_user is None:
        return
    enter_conversation(ctx.session, ctx.line_user.line_user_id, CONVERSATION, COMPOSE, now=ctx.now)
    ctx.reply(replies.text(texts.INQUIRY_COMPOSE, quick_replies=[replies.postback_action(texts.CANCEL, "cancel")]))


def inquire_about_question(params: dict[str, str], ctx: HandlerContext) -> None:
    """After an unanswered question: pass that very question to staff."""
    question = ctx.session.get(QuestionLog, int_param(params, "q"))
    user_id = ctx.line_user_id
    if question is None or user_id is None or question.line_user_id != user_id or not question.text:
        start_inquiry(params, ctx)  # nothing to carry over: let them write it
        return
    inquiry = open_inquiry(ctx.session, channel="line", text=question.text, now=ctx.now, line_user_id=user_id,
                           question_log_id=question.id)
    _received(inquiry, ctx)


def on_inquiry_text(event: Any, ctx: HandlerContext) -> None:
    """While an inquiry conversation is going on, the citizen's words go to staff."""
    user_id = ctx.line_user_id or ""
    state = current_conversation(ctx.session, user_id, now=ctx.now)
    text = (event.message.text or "").strip()
    if not text:  # only spaces (「　」): the inquiry services refuse empty text, which failed the event
        cancel_action = replies.postback_action(texts.CANCEL, "cancel")
        ctx.reply(replies.text(texts.INQUIRY_COMPOSE, quick_replies=[cancel_action]))
        return
    inquiry = ctx.session.get(Inquiry, (state.data or {}).get("inquiry_id", 0)) if state else None
    if inquiry is None or not inquiry.is_open:
        inquiry = open_inquiry(ctx.session, channel="line", text=text, now=ctx.now, line_user_id=user_id)
        _received(inquiry, ctx)
        return
    add_citizen_message(ctx.session, inquiry, text, now=ctx.now)
    enter_conversation(ctx.session, user_id, CONVERSATION, OPEN, now=ctx.now, data={"inquiry_id": inquiry.id})
    ctx.reply(replies.text(texts.INQUIRY_APPENDED.format(receipt=inquiry.receipt_number),
                           quick_replies=[replies.postback_action(texts.INQUIRY_FINISH, "inquiry_done")]))


def finish_writing(params: dict[str, str], ctx: HandlerContext) -> None:
    """The citizen is done adding to the inquiry; their next words are questions again."""
    if ctx.line_user is not None:
        leave_conversation(ctx.session, ctx.line_user.line_user_id)
    ctx.reply(replies.text(texts.INQUIRY_DONE))


def cancel(params: dict[str, str], ctx: HandlerContext) -> None:
    """Leave whatever multi-step conversation the citizen was in."""
    if ctx.line_user is not None:
        leave_conversation(ctx.session, ctx.line_user.line_user_id)
    ctx.reply(replies.text(texts.CONVERSATION_CANCELLED, quick_replies=replies.main_menu()))


def reply_to_staff(params: dict[str, str], ctx: HandlerContext) -> None:
    """「返信する」 under a staff reply: the next messages join that inquiry."""
    inquiry = _own_open_inquiry(params, ctx)
    if inquiry is None:
        ctx.reply(replies.text(texts.INQUIRY_UNAVAILABLE, quick_replies=replies.main_menu()))
        return
    enter_conversation(ctx.session, inquiry.line_user_id or "", CONVERSATION, OPEN, now=ctx.now,
                       data={"inquiry_id": inquiry.id})
    ctx.reply(replies.text(texts.INQUIRY_REOPENED.format(receipt=inquiry.receipt_number),
                           quick_replies=[replies.postback_action(texts.CANCEL, "cancel")]))


def resolve(params: dict[str, str], ctx: HandlerContext) -> None:
    """「解決した」 under a staff reply: the citizen closes their inquiry."""
    inquiry = _own_open_inquiry(params, ctx)
    if inquiry is None:
        ctx.reply(replies.text(texts.INQUIRY_UNAVAILABLE, quick_replies=replies.main_menu()))
        return
    close(ctx.session, inquiry.id, now=ctx.now)
    leave_conversation(ctx.session, inquiry.line_user_id or "")
    ctx.reply(replies.text(texts.INQUIRY_CLOSED_THANKS.format(receipt=inquiry.receipt_number)))


def staff_reply_messages(inquiry: Inquiry, message: InquiryMessage) -> list[dict]:
    """What a citizen receives when staff answer (pushed by the worker)."""
    parts = replies.split_text(texts.INQUIRY_STAFF_REPLY.format(receipt=inquiry.receipt_number, text=message.text))
    actions = [replies.postback_action(texts.INQUIRY_REPLY_BUTTON, "inquiry_reply", i=str(inquiry.id)),
               replies.postback_action(texts.INQUIRY_RESOLVED_BUTTON, "inquiry_close", i=str(inquiry.id))]
    return [replies.text(part) for part in parts[:-1]] + [replies.text(parts[-1], quick_replies=actions)]


def _received(inquiry: Inquiry, ctx: HandlerContext) -> None:
    enter_conversation(ctx.session, inquiry.line_user_id or "", CONVERSATION, OPEN, now=ctx.now,
                       data={"inquiry_id": inquiry.id})
    ctx.reply(replies.text(texts.INQUIRY_RECEIVED.format(receipt=inquiry.receipt_number),
                           quick_replies=[replies.postback_action(texts.INQUIRY_FINISH, "inquiry_done")]))


def _own_open_inquiry(params: dict[str, str], ctx: HandlerContext) -> Inquiry | None:
    inquiry = ctx.session.get(Inquiry, int_param(params, "i"))
    user_id = ctx.line_user_id
    if inquiry is None or user_id is None or inquiry.line_user_id != user_id or not inquiry.is_open:
        return None
    return inquiry

