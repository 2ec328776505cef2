"""Who a broadcast reaches, decided without a database: categories × areas × attributes, or everyone.

Pure: the planner loads citizens as `Recipient`s and asks `matches`; the admin shows `describe`.
The rules follow 受信設定: a citizen who never chose receives every category, one who chose gets
their categories plus the emergency ones, and someone with no area set gets only city-wide news.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# A follower's language comes from their LINE profile at follow; one we could not learn counts as
# Japanese (the city's language).
DEFAULT_LANGUAGE = "ja"


class SegmentError(ValueError):
    """A segment that cannot be understood (unknown key, impossible dates)."""


@dataclass(frozen=True)
class Segment:
    """A filter over followers. Empty fields do not filter: Segment() is everyone."""

    categories: frozenset[str] = frozenset()   # receives any of these categories
    areas: frozenset[str] = frozenset()        # lives in one of these areas
    followed_after: date | None = None         # followed on or after this day
    followed_before: date | None = None        # followed before this day
    languages: frozenset[str] = frozenset()

    @property
    def is_everyone(self) -> bool:
        """True when nobody is filtered out (LINE's broadcast endpoint can then reach them in one call)."""
        return not (self.categories or self.areas or self.followed_after or self.followed_before or self.languages)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the broadcast)."""
        return {"categories": sorted(self.categories), "areas": sorted(self.areas),
                "followed_after": self.followed_after.isoformat() if self.followed_after else None,
                "followed_before": self.followed_before.isoformat() if self.followed_before else None,
                "languages": sorted(self.languages)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        """The inverse of to_dict; raises SegmentError for nonsense."""
        try:
            segment = cls(categories=frozenset(data.get("categories") or ()), areas=frozenset(data.get("areas") or ()),
                          followed_after=_day(data.get("followed_after")),
                          followed_before=_day(data.get("followed_before")),
                          languages=frozenset(data.get("languages") or ()))
        except (TypeError, ValueError) as exc:
            raise SegmentError(f"segment not understood: {exc}") from exc
        if segment.followed_after and segment.followed_before and segment.followed_after >= segment.followed_before:
            raise SegmentError("followed_after must be before followed_before")
        return segment


@dataclass(frozen=True)
class Recipient:
    """What the segment rules need to know about one follower."""

    line_user_id: str
    followed_at: datetime | None = None
    area: str | None = None
    # None: never chose, so receives every category. Otherwise the chosen keys plus emergency ones.
    receiving: frozenset[str] | None = None
    language: str | None = None
    blocked: bool = False


@dataclass(frozen=True)
class Catalogue:
    """The city's category and area keys with their names (to check a segment and to describe it)."""

    categories: Mapping[str, str] = field(default_factory=dict)
    areas: Mapping[str, str] = field(default_factory=dict)


def matches(segment: Segment, recipient: Recipient, *, emergency: bool = False) -> bool:
    """True when the broadcast should reach this follower.

    Emergencies ignore what citizens chose to receive (and their attributes), but still respect the
    area: a flood warning for 南地区 need not wake up the whole city.
    """
    if recipient.blocked:
        return False
    if segment.areas and recipient.area not in segment.areas:
        return False
    if emergency:
        return True
    if segment.categories and recipient.receiving is not None and not (segment.categories & recipient.receiving):
        return False
    followed = recipient.followed_at.date() if recipient.followed_at else None
    if segment.followed_after and (followed is None or followed < segment.followed_after):
        return False
    if segment.followed_before and (followed is None or followed >= segment.followed_before):
        return False
    return not segment.languages or (recipient.language or DEFAULT_LANGUAGE) in segment.languages


def check(segment: Segment, catalogue: Catalogue) -> None:
    """Raise SegmentError when the segment names a category or area the city does not have."""
    unknown = sorted(segment.categories - set(catalogue.categories)) + sorted(segment.areas - set(catalogue.areas))
    if unknown:
        raise SegmentError("unknown category or area: " + ", ".join(unknown))


def describe(segment: Segment, catalogue: Catalogue) -> str:
    """A one-line summary for staff, e.g. 「イベント」を受信 × 北地区・南地区 × 2026-04-01以降に友だち追加."""
    if segment.is_everyone:
        return "全員（ブロックしていない友だち全員）"
    parts = []
    if segment.categories:
        parts.append("「" + "・".join(_names(segment.categories, catalogue.categories)) + "」を受信")
    if segment.areas:
        parts.append("・".join(_names(segment.areas, catalogue.areas)))
    if segment.followed_after:
        parts.append(f"{segment.followed_after.isoformat()}以降に友だち追加")
    if segment.followed_before:
        parts.append(f"{segment.followed_before.isoformat()}より前に友だち追加")
    if segment.languages:
        parts.append("言語: " + ",".join(sorted(segment.languages)))
    return " × ".join(parts)


def count(segment: Segment, recipients: Iterable[Recipient], *, emergency: bool = False) -> int:
    """How many of these followers the segment reaches."""
    return sum(1 for r in recipients if matches(segment, r, emergency=emergency))


def _names(keys: Iterable[str], names: Mapping[str, str]) -> list[str]:
    return [names.get(key, key) for key in sorted(keys)]


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
