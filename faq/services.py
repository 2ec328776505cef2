"""FAQ services: import a corpus into the tables, read documents for the engine, log questions.

They take a Session and never commit: the CLI, the admin and the webhook worker own the transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from faq.corpus_csv import LIST_SEPARATOR, FaqRow, split_list
from faq.index import FaqDocument
from faq.models import FaqCategory, FaqEntry, FaqEntryVersion, FaqParaphrase, QuestionLog, QuestionOutcome


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


def import_rows(session: Session, rows: Sequence[FaqRow], *, staff: str, now: datetime) -> ImportSummary:
    """Create or update entries by external id; a changed entry's version goes up. Rows were validated already."""
    # New categories are created in the order the file first names them: that becomes their display order.
    categories = _categories_by_name(session, list(dict.fromkeys(row.category for row in rows if row.category)))
    existing = {e.external_id: e for e in session.scalars(select(FaqEntry).where(
        FaqEntry.external_id.in_([row.id for row in rows])))}
    created = updated = unchanged = 0
    for row in rows:
        entry = existing.get(row.id)
        if entry is None:
            entry = FaqEntry(external_id=row.id, version=1)
            session.add(entry)
            created += 1
        elif _row_of(entry) == row:
            unchanged += 1
            continue
        else:
            keep_version(session, entry)
            updated += 1
        _apply(entry, row, categories.get(row.category), staff=staff, now=now)
    session.flush()
    return ImportSummary(created, updated, unchanged)


def keep_version(session: Session, entry: FaqEntry) -> None:
    """Store the entry as it is now in its history, and count the next version (before any change)."""
    session.add(FaqEntryVersion(
        entry_id=entry.id, version=entry.version, category=entry.category.name if entry.category else "",
        question=entry.question, answer=entry.answer, keywords=entry.keywords, enabled=entry.enabled,
        changed_by=entry.updated_by, changed_at=entry.updated_at))
    entry.version += 1


def _categories_by_name(session: Session, names: list[str]) -> dict[str, FaqCategory]:
    found = {c.name: c for c in session.scalars(select(FaqCategory).where(FaqCategory.name.in_(names)))}
    next_order = (session.scalar(select(func.max(FaqCategory.sort_order))) or 0) + 1
    for name in names:
        if name not in found:
            found[name] = FaqCategory(name=name, sort_order=next_order)
            session.add(found[name])
            next_order += 1
    return found


def _apply(entry: FaqEntry, row: FaqRow, category: FaqCategory | None, *, staff: str, now: datetime) -> None:
    entry.category = category
    entry.question, entry.answer, entry.enabled = row.question, row.answer, row.enabled
    entry.keywords = LIST_SEPARATOR.join(row.keywords)
    entry.updated_at, entry.updated_by = now, staff
    # Staff-linked paraphrases were learnt from citizens: a corpus re-import must not drop them.
    # Rows that stay are kept as they are (replacing them would clash on the unique (entry, text)).
    by_text = {p.text: p for p in entry.paraphrases}
    kept = [p for p in entry.paraphrases if p.source == "staff" or p.text in row.paraphrases]
    added = [FaqParaphrase(text=text, source="corpus", created_at=now) for text in row.paraphrases if text not in by_text]
    entry.paraphrases = kept + added


def _row_of(entry: FaqEntry) -> FaqRow:
    return FaqRow(
        id=entry.external_id, category=entry.category.name if entry.category else "",
        question=entry.question, answer=entry.answer,
        paraphrases=tuple(p.text for p in entry.paraphrases if p.source == "corpus"),
        keywords=split_list(entry.keywords), enabled=entry.enabled,
    )


def export_rows(session: Session) -> list[FaqRow]:
    """Every entry as a corpus row, in id order (staff paraphrases included, so nothing learnt is lost)."""
    entries = session.scalars(select(FaqEntry).order_by(FaqEntry.external_id)).all()
    return [FaqRow(
        id=e.external_id, category=e.category.name if e.category else "", question=e.question, answer=e.answer,
        paraphrases=tuple(p.text for p in e.paraphrases), keywords=split_list(e.keywords), enabled=e.enabled,
    ) for e in entries]


def load_documents(session: Session) -> list[FaqDocument]:
    """The enabled entries as the engine's documents."""
    entries = session.scalars(select(FaqEntry).where(FaqEntry.enabled.is_(True)).order_by(FaqEntry.id)).all()
    return [to_document(entry) for entry in entries]


def to_document(entry: FaqEntry) -> FaqDocument:
    """One entry as the engine sees it."""
    return FaqDocument(
        id=entry.external_id, question=entry.question, answer=entry.answer,
        category=entry.category.name if entry.category else "",
        paraphrases=tuple(p.text for p in entry.paraphrases), keywords=split_list(entry.keywords),
    )


def list_categories(session: Session) -> list[str]:
    """Category names that have enabled entries, in display order."""
    statement = (select(FaqCategory.name).join(FaqEntry, FaqEntry.category_id == FaqCategory.id)
                 .where(FaqEntry.enabled.is_(True)).group_by(FaqCategory.id, FaqCategory.name)
                 .order_by(FaqCategory.sort_order, FaqCategory.id))
    return list(session.scalars(statement))


def log_question(session: Session, *, channel: str, line_user_id: str | None = None,
                 web_session_id: str | None = None, text: str, outcome: QuestionOutcome,
                 faq_external_id: str | None, candidate_ids: Sequence[str] = (), confidence: float,
                 now: datetime) -> int:
    """Record a question and what the engine did with it; returns its id (postbacks carry it).

    One INSERT on the session's connection, not an ORM flush: a flush here would also write
    everything else the worker's batch has pending, one round trip per table for every question,
    where the batch's commit writes them all together.
    """
    statement = insert(QuestionLog).returning(QuestionLog.id)
    return session.connection().execute(statement, {
        "channel": channel, "line_user_id": line_user_id, "web_session_id": web_session_id, "text": text,
        "outcome": outcome, "faq_external_id": faq_external_id,
        "candidate_ids": LIST_SEPARATOR.join(candidate_ids), "confidence": confidence, "created_at": now,
    }).scalar_one()


def record_choice(session: Session, question_id: int, faq_external_id: str, *,
                  line_user_id: str | None = None, web_session_id: str | None = None) -> QuestionLog | None:
    """The citizen chose one of the もしかして candidates: the question counts as answered by it.

    None when the question is not this citizen's or the FAQ was not among its candidates (a forged postback).
    """
    question = _own_question(session, question_id, line_user_id, web_session_id)
    if question is None or faq_external_id not in split_list(question.candidate_ids):
        return None
    question.outcome = QuestionOutcome.ANSWERED
    question.faq_external_id = faq_external_id
    return question


def record_feedback(session: Session, question_id: int, helpful: bool, *, line_user_id: str | None = None,
                    web_session_id: str | None = None, now: datetime) -> QuestionLog | None:
    """Store 役に立った / 役に立たなかった on an answered question (the last word counts)."""
    question = _own_question(session, question_id, line_user_id, web_session_id)
    if question is None or question.outcome is not QuestionOutcome.ANSWERED:
        return None
    question.helpful, question.feedback_at = helpful, now
    return question


def _own_question(session: Session, question_id: int, line_user_id: str | None,
                  web_session_id: str | None) -> QuestionLog | None:
    """The question, if it was asked by this LINE user or this web-chat visitor (and not by someone else)."""
    question = session.get(QuestionLog, question_id)
    if question is None:
        return None
    if line_user_id is not None and question.line_user_id == line_user_id:
        return question
    if web_session_id is not None and question.web_session_id == web_session_id:
        return question
    return None


def questions_in_category(session: Session, category: str, *, limit: int = 10) -> list[str]:
    """The first enabled questions of a category, for browsing."""
    statement = (select(FaqEntry.question).join(FaqCategory, FaqEntry.category_id == FaqCategory.id)
                 .where(FaqCategory.name == category, FaqEntry.enabled.is_(True))
                 .order_by(FaqEntry.external_id).limit(limit))
    return list(session.scalars(statement))
