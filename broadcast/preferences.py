"""Delivery preferences (受信設定): which categories and which area a citizen wants messages about.

Services take a Session and never commit. A citizen who never chose receives every category —
that is what following a city's account promises — and emergency categories reach everyone always.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broadcast.models import Area, DeliveryCategory, RecipientCategory, RecipientSettings


@dataclass(frozen=True)
class Preferences:
    """A citizen's choices, resolved: what they receive and where they live."""

    categories: tuple[DeliveryCategory, ...]   # every enabled category, in display order
    receiving: frozenset[str]                  # keys of the categories they receive
    area: Area | None
    has_chosen: bool


def enabled_categories(session: Session) -> list[DeliveryCategory]:
    """The city's categories, in display order."""
    return list(session.scalars(select(DeliveryCategory).where(DeliveryCategory.enabled.is_(True))
                                .order_by(DeliveryCategory.sort_order, DeliveryCategory.id)))


def enabled_areas(session: Session) -> list[Area]:
    """The city's areas, in display order."""
    return list(session.scalars(select(Area).where(Area.enabled.is_(True)).order_by(Area.sort_order, Area.id)))


def preferences_of(session: Session, line_user_id: str) -> Preferences:
    """What a citizen receives now."""
    categories = enabled_categories(session)
    settings = _settings(session, line_user_id)
    if settings is None or not settings.has_chosen:
        receiving = frozenset(c.key for c in categories)
    else:
        chosen = set(session.scalars(select(RecipientCategory.category_id)
                                     .where(RecipientCategory.line_user_id == line_user_id)))
        receiving = frozenset(c.key for c in categories if c.id in chosen or c.is_emergency)
    area = session.get(Area, settings.area_id) if settings and settings.area_id else None
    return Preferences(tuple(categories), receiving, area, bool(settings and settings.has_chosen))


def toggle_category(session: Session, line_user_id: str, key: str, *, now: datetime) -> bool:
    """Switch one category on or off; emergency ones cannot be switched off. False for an unknown key."""
    category = session.scalars(select(DeliveryCategory).where(DeliveryCategory.key == key,
                                                              DeliveryCategory.enabled.is_(True))).first()
    if category is None or category.is_emergency:
        return False
    current = preferences_of(session, line_user_id)
    wanted = set(current.receiving) ^ {key}
    set_categories(session, line_user_id, wanted, now=now)
    return True


def set_categories(session: Session, line_user_id: str, keys: Iterable[str], *, now: datetime) -> None:
    """Replace the citizen's chosen categories (unknown keys are ignored)."""
    wanted = set(keys)
    settings = _settings(session, line_user_id, create=True)
    session.execute(delete(RecipientCategory).where(RecipientCategory.line_user_id == line_user_id))
    for category in enabled_categories(session):
        if category.key in wanted and not category.is_emergency:
            session.add(RecipientCategory(line_user_id=line_user_id, category_id=category.id))
    settings.has_chosen, settings.updated_at = True, now
    session.flush()


def set_area(session: Session, line_user_id: str, key: str, *, now: datetime) -> Area | None:
    """Set the citizen's area; None (and nothing changed) for an unknown key."""
    area = session.scalars(select(Area).where(Area.key == key, Area.enabled.is_(True))).first()
    if area is None:
        return None
    settings = _settings(session, line_user_id, create=True)
    settings.area_id, settings.updated_at = area.id, now
    return area


def mark_asked(session: Session, line_user_id: str, *, now: datetime) -> bool:
    """Remember that a new follower was offered the settings; False if they had been already (ask once)."""
    settings = _settings(session, line_user_id, create=True)
    if settings.asked_at is not None:
        return False
    settings.asked_at = now
    return True


def seed_categories(session: Session, categories: Sequence[tuple[str, str, bool]]) -> int:
    """Add (key, name, is_emergency) categories that do not exist yet; returns how many were added."""
    return _seed(session, DeliveryCategory, [dict(key=k, name=n, is_emergency=e) for k, n, e in categories])


def seed_areas(session: Session, areas: Sequence[tuple[str, str]]) -> int:
    """Add (key, name) areas that do not exist yet; returns how many were added."""
    return _seed(session, Area, [dict(key=k, name=n) for k, n in areas])


def _seed(session: Session, model: type[DeliveryCategory] | type[Area], rows: list[dict]) -> int:
    existing = set(session.scalars(select(model.key)))
    added = 0
    for order, row in enumerate(rows, start=1):
        if row["key"] not in existing:
            session.add(model(sort_order=order, **row))
            added += 1
    session.flush()
    return added


def _settings(session: Session, line_user_id: str, *, create: bool = False) -> RecipientSettings | None:
    settings = session.scalars(select(RecipientSettings).where(RecipientSettings.line_user_id == line_user_id)).first()
    if settings is None and create:
        settings = RecipientSettings(line_user_id=line_user_id)
        session.add(settings)
        session.flush()
    return settings
