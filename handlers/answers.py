"""Replies that carry FAQ answers: the answer with its feedback buttons, and もしかして candidates."""
from __future__ import annotations

from collections.abc import Sequence

from core.line_gateway import LineMessage
from faq.index import FaqDocument
from faq.match import Hit
from handlers import replies, texts

MAX_CANDIDATES = 3


def answer_messages(document: FaqDocument, question_id: int) -> list[LineMessage]:
    """The answer (split if long), its category, and 役に立った / 役に立たなかった on the last message."""
    footer = texts.ANSWER_FOOTER.format(category=document.category) if document.category else ""
    parts = replies.split_text(document.answer + footer)
    feedback = [
        replies.postback_action(texts.FEEDBACK_HELPFUL, "feedback", q=str(question_id), v="1"),
        replies.postback_action(texts.FEEDBACK_NOT_HELPFUL, "feedback", q=str(question_id), v="0"),
    ]
    messages = [replies.text(part) for part in parts[:-1]]
    messages.append(replies.text(parts[-1], quick_replies=feedback))
    return messages


def candidates_message(hits: Sequence[Hit], question_id: int) -> LineMessage:
    """もしかして: up to three FAQ questions to choose from, listed in full and as quick replies."""
    offered = list(hits[:MAX_CANDIDATES])
    listing = "\n".join(f"{number}. {hit.question}" for number, hit in enumerate(offered, start=1))
    actions = [replies.postback_action(f"{number}. {hit.question}", "choose", q=str(question_id), f=hit.faq_id,
                                       display_text=hit.question)
               for number, hit in enumerate(offered, start=1)]
    return replies.text(texts.CANDIDATES_INTRO + "\n" + listing, quick_replies=actions)
