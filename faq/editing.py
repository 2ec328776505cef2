"""Staff edits of the FAQ: every change keeps the previous version and who made it.

Services take a Session and never commit. After the commit, the caller refreshes the live
index (FaqAnswerer) so the change answers citizens at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faq.corpus_csv import LIST_SEPARATOR, MAX_ID_LENGTH
from faq.models import FaqCategory, FaqEntry, FaqEntryVersion, FaqParaphrase
from faq.services import keep_version

MAX_QUESTION_LENGTH = 500
MAX_ANSWER_LENGTH = 4000  # leaves room for the category line within LINE's 5,000


class FaqEditError(Exception):
    """An edit that cannot be saved; the message is shown to staff as it is."""


@dataclass(frozen=True)
class EntryDraft:
    """What staff typed into the edit form."""

    question: str
    answer: str
    category: str = ""
    paraphrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    enabled: bool = True


def create_entry(session: Session, external_id: str, draft: EntryDraft, *, staff: str, now: datetime) -> FaqEntry:
    """Add a new entry."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > MAX_ID_LENGTH:
        raise FaqEditError(f"IDを{MAX_ID_LENGTH}文字以内で入力してください。")
    if session.scalar(select(FaqEntry.id).where(FaqEntry.external_id == external_id)) is not None:
        raise FaqEditError(f"ID「{external_id}」はすでに使われています。")
    entry = FaqEntry(external_id=external_id, version=1)
    session.add(entry)
    _apply(session, entry, _checked(draft), staff=staff, now=now)
    session.flush()
    return entry


def update_entry(session: Session, external_id: str, draft: EntryDraft, *, staff: str, now: datetime) -> FaqEntry:
    """Change an entry, keeping what it said before as a version."""
    entry = entry_by_id(session, external_id)
    draft = _checked(draft)
    keep_version(session, entry)
    _apply(session, entry, draft, staff=staff, now=now)
    session.flush()
    return entry


def add_paraphrase(session: Session, external_id: str, text: str, *, staff: str, now: datetime) -> FaqParaphrase:
    """Teach an entry another way citizens ask it (the triage's one-click action)."""
    entry = entry_by_id(session, external_id)
    text = " ".join(text.split())
    if not text or len(text) > MAX_QUESTION_LENGTH:
        raise FaqEditError("言い換えの文が空か、長すぎます。")
    existing = next((p for p in entry.paraphrases if p.text == text), None)
    if existing is not None:
        return existing
    paraphrase = FaqParaphrase(text=text, source="staff", created_at=now)
    entry.paraphrases.append(paraphrase)
    entry.updated_at, entry.updated_by = now, staff
    session.flush()
    return paraphrase


def versions_of(session: Session, external_id: str) -> list[FaqEntryVersion]:
    """Earlier versions of an entry, newest first."""
    entry = entry_by_id(session, external_id)
    return list(session.scalars(select(FaqEntryVersion).where(FaqEntryVersion.entry_id == entry.id)
                                .order_by(FaqEntryVersion.version.desc())))


def entry_by_id(session: Session, external_id: str) -> FaqEntry:
    """The entry with this id, or FaqEditError."""
    entry = session.scalars(select(FaqEntry).where(FaqEntry.external_id == external_id)).first()
    if entry is None:
        raise FaqEditError(f"ID「{external_id}」のFAQはありません。")
    return entry


def _checked(draft: EntryDraft) -> EntryDraft:
    question, answer = draft.question.strip(), draft.answer.strip()
    if not question or not answer:
        raise FaqEditError("質問と回答は必ず入力してください。")
    if len(question) > MAX_QUESTION_LENGTH:
        raise FaqEditError(f"質問は{MAX_QUESTION_LENGTH}文字以内にしてください。")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise FaqEditError(f"回答は{MAX_ANSWER_LENGTH}文字以内にしてください（LINEの1通の上限のため）。")
    return EntryDraft(question, answer, draft.category.strip(), tuple(p for p in draft.paraphrases if p.strip()),
                      tuple(k for k in draft.keywords if k.strip()), draft.enabled)


def _apply(session: Session, entry: FaqEntry, draft: EntryDraft, *, staff: str, now: datetime) -> None:
    entry.question, entry.answer, entry.enabled = draft.question, draft.answer, draft.enabled
    entry.keywords = LIST_SEPARATOR.join(draft.keywords)
    entry.category = _category(session, draft.category) if draft.category else None
    entry.updated_at, entry.updated_by = now, staff
    by_text = {p.text: p for p in entry.paraphrases}
    entry.paraphrases = [by_text.get(text) or FaqParaphrase(text=text, source="staff", created_at=now)
                         for text in dict.fromkeys(draft.paraphrases)]


def _category(session: Session, name: str) -> FaqCategory:
    category = session.scalars(select(FaqCategory).where(FaqCategory.name == name)).first()
    if category is None:
        order = (session.scalar(select(func.max(FaqCategory.sort_order))) or 0) + 1
        category = FaqCategory(name=name, sort_order=order)
        session.add(category)
    return category
