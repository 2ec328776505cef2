"""Text messages: a citizen's question, answered from the FAQ."""
from __future__ import annotations

from typing import Any

from faq.match import Match, Outcome
from faq.models import QuestionOutcome
from faq.services import log_question
from handlers import replies, texts
from handlers.context import HandlerContext

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
    result = ctx.answerer.match(question)
    log_question(ctx.session, channel="line", line_user_id=_user_id(ctx), text=question,
                 outcome=QuestionOutcome(result.outcome.value),
                 faq_external_id=result.hits[0].faq_id if result.outcome is Outcome.ANSWERED else None,
                 confidence=result.confidence, now=ctx.now)
    ctx.reply(*reply_for(result, ctx))


def reply_for(result: Match, ctx: HandlerContext) -> list[dict]:
    """The messages that tell the citizen what the engine found."""
    if result.outcome is Outcome.ANSWERED:
        document = ctx.answerer.index.get(result.hits[0].faq_id)
        if document is not None:
            footer = texts.ANSWER_FOOTER.format(category=document.category) if document.category else ""
            return [replies.text(document.answer + footer)]
    if result.outcome in (Outcome.ANSWERED, Outcome.CANDIDATES) and result.hits:
        # Choosing a candidate sends its question as text, which then matches it exactly.
        actions = [replies.message_action(hit.question) for hit in result.hits[:3]]
        return [replies.text(texts.CANDIDATES_INTRO + "\n" + _numbered(h.question for h in result.hits[:3]),
                             quick_replies=actions)]
    if result.outcome is Outcome.MEANINGLESS:
        return [replies.text(texts.MEANINGLESS, quick_replies=replies.main_menu())]
    return [replies.text(texts.UNANSWERED, quick_replies=replies.main_menu())]


def _numbered(questions: Any) -> str:
    return "\n".join(f"{number}. {question}" for number, question in enumerate(questions, start=1))


def _user_id(ctx: HandlerContext) -> str | None:
    return ctx.line_user.line_user_id if ctx.line_user else None
