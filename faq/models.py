"""FAQ tables: categories, entries with their paraphrases, and the log of questions asked."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UtcDateTime, utcnow, value_enum


class FaqCategory(Base):
    """A topic staff group entries by (ごみ・リサイクル, 税, …)."""

    __tablename__ = "faq_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class FaqEntry(Base):
    """One prepared answer. `external_id` is the id staff see and keep in their spreadsheet."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("faq_categories.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(Text, default="")  # "|"-separated, as in the CSV
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    category: Mapped[FaqCategory | None] = relationship(lazy="joined")
    paraphrases: Mapped[list[FaqParaphrase]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="FaqParaphrase.id", lazy="selectin")


class FaqEntryVersion(Base):
    """An entry as it was before a change: who changed it, when, and what it said."""

    __tablename__ = "faq_entry_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_by: Mapped[str] = mapped_column(String(100), default="")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FaqSynonymGroup(Base):
    """Words the city's residents use for the same thing (ごみ・ゴミ・塵), added to the bundled list."""

    __tablename__ = "faq_synonym_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[str] = mapped_column(Text)  # "|"-separated; the first names the group
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(100), default="")


class FaqParaphrase(Base):
    """Another way citizens ask an entry's question: from the corpus, or linked by staff from the unanswered log."""

    __tablename__ = "faq_paraphrases"
    __table_args__ = (UniqueConstraint("entry_id", "text", name="uq_faq_paraphrases_entry_text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="corpus")  # corpus | staff
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    entry: Mapped[FaqEntry] = relationship(back_populates="paraphrases")


class QuestionOutcome(str, enum.Enum):
    MEANINGLESS = "meaningless"
    ANSWERED = "answered"
    CANDIDATES = "candidates"
    UNANSWERED = "unanswered"


class QuestionLog(Base):
    """Every question asked, with what the engine did. `text` is personal data, kept for the retention period."""

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_created_outcome", "created_at", "outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="line")  # line | web
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    web_session_id: Mapped[str | None] = mapped_column(String(64))  # the web chat's id for a visitor
    text: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[QuestionOutcome] = mapped_column(value_enum(QuestionOutcome, "question_outcome"))
    faq_external_id: Mapped[str | None] = mapped_column(String(64))
    # The ids offered as もしかして, "|"-separated: a postback choosing another id is forged.
    candidate_ids: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # 役に立った (True) / 役に立たなかった (False); None until the citizen says.
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Staff triage of unanswered and badly rated questions: new | pending | applied | ignored.
    triage_status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
