"""Text messages: a citizen's question, answered from the FAQ."""
from __future__ import annotations

import unicodedata
from typing import Any

from core.line_gateway import LineMessage
from core.metrics import QUESTIONS
from faq.match import Match, Outcome
from faq.models import QuestionOutcome
from faq.services import log_question
from handlers import replies, texts
from handlers.answers import MAX_CANDIDATES, answer_messages, candidates_message
from handlers.context import HandlerContext
from handlers.postback import POSTBACK_ACTIONS

MAX_QUESTION_LENGTH = 5000


def on_text(event: Any, ctx: HandlerContext) -> None:
    """Answer a question: the FAQ entry, a few candidates to choose from, or an honest apology."""
    question = (event.message.text or "").strip()
    if not question:
        ctx.reply(replies.text(texts.EMPTY_TEXT, quick_replies=replies.main_menu()))
        return
    if len(question) > MAX_QUESTION_LENGTH:
        ctx.reply(replies.text(texts.TOO_LONG.format(limit=MAX_QUESTION_LENGTH)))
        return
    command = POSTBACK_ACTIONS.get(texts.COMMAND_WORDS.get(unicodedata.normalize("NFKC", question), ""))
    if command is not None:  # 「受信設定」「設定を確認」… typed instead of tapped
        command({}, ctx)
        return
    result = ctx.answerer.match(question)
    offered = [hit.faq_id for hit in result.hits[:MAX_CANDIDATES]] if result.outcome is Outcome.CANDIDATES else []
    question_id = log_question(
        ctx.session, channel="line", line_user_id=ctx.line_user_id,
        text=question, outcome=QuestionOutcome(result.outcome.value),
        faq_external_id=result.hits[0].faq_id if result.outcome is Outcome.ANSWERED else None,
        candidate_ids=offered, confidence=result.confidence, now=ctx.now)
    QUESTIONS.labels(channel="line", outcome=result.outcome.value).inc()
    ctx.reply(*reply_for(result, question_id, ctx))


def reply_for(result: Match, question_id: int, ctx: HandlerContext) -> list[LineMessage]:
    """The messages that tell the citizen what the engine found."""
    if result.outcome is Outcome.ANSWERED:
        document = ctx.answerer.index.get(result.hits[0].faq_id)
        if document is not None:
            return answer_messages(document, question_id)
    if result.outcome is Outcome.CANDIDATES and result.hits:
        return [candidates_message(result.hits, question_id)]
    if result.outcome is Outcome.MEANINGLESS:
        return [replies.text(texts.MEANINGLESS, quick_replies=replies.main_menu())]
    ask_staff = replies.postback_action(texts.ASK_STAFF, "inquire", q=str(question_id))
    return [replies.text(texts.UNANSWERED, quick_replies=[ask_staff, *replies.main_menu()])]
