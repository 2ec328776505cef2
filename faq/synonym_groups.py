"""The city's synonym groups: kept in the database, added to the bundled list the engine starts from.

Services take a Session and never commit. A change here re-analyses every entry, so each process
rebuilds its index once (FaqAnswerer.sync notices the change).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faq.corpus_csv import LIST_SEPARATOR, split_list
from faq.models import FaqSynonymGroup
from faq.synonyms import SynonymTable, default_synonyms

MAX_TERMS = 30


class SynonymError(Exception):
    """A group that cannot be saved; the message is shown to staff."""


def city_groups(session: Session) -> list[FaqSynonymGroup]:
    """The city's groups, oldest first."""
    return list(session.scalars(select(FaqSynonymGroup).order_by(FaqSynonymGroup.id)))


def synonym_table(session: Session) -> SynonymTable:
    """The bundled groups plus the city's."""
    city = [split_list(group.terms) for group in city_groups(session)]
    return SynonymTable.from_groups([*default_synonyms().groups, *city])


def synonyms_signature(session: Session) -> tuple[int, datetime | None]:
    """Changes whenever a group is added, edited or deleted (how other processes notice)."""
    count, latest = session.execute(select(func.count(), func.max(FaqSynonymGroup.updated_at))).one()
    return int(count or 0), latest


def save_group(session: Session, text: str, *, staff: str, now: datetime, group_id: int | None = None) -> FaqSynonymGroup:
    """Add a group, or replace one; words are separated by 「、」, commas, spaces or "|"."""
    terms = split_list(text.replace("、", "|").replace(",", "|").replace("，", "|").replace(" ", "|")
                       .replace("\u3000", "|"))
    if not 2 <= len(terms) <= MAX_TERMS:
        raise SynonymError(f"同じ意味の言葉を2〜{MAX_TERMS}個、「、」で区切って入力してください。")
    group = session.get(FaqSynonymGroup, group_id) if group_id else FaqSynonymGroup()
    if group is None:
        raise SynonymError("その言い換えグループはありません。")
    group.terms, group.updated_at, group.updated_by = LIST_SEPARATOR.join(terms), now, staff
    session.add(group)
    session.flush()
    return group


def delete_group(session: Session, group_id: int) -> None:
    """Remove a group (the bundled list is not touched)."""
    group = session.get(FaqSynonymGroup, group_id)
    if group is not None:
        session.delete(group)
