"""Segments, pure: who a broadcast reaches under 受信設定's rules."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from broadcast.segments import Catalogue, Recipient, Segment, SegmentError, check, count, describe, matches

APRIL = datetime(2026, 4, 10, tzinfo=timezone.utc)
CATALOGUE = Catalogue(categories={"emergency": "防災・緊急", "events": "イベント", "childcare": "子育て"},
                      areas={"kita": "北地区", "minami": "南地区"})

NEVER_CHOSE = Recipient("U1", followed_at=APRIL)
CHOSE_CHILDCARE = Recipient("U2", followed_at=APRIL, receiving=frozenset({"childcare", "emergency"}))
IN_KITA = Recipient("U3", followed_at=APRIL, area="kita")
BLOCKED = Recipient("U4", followed_at=APRIL, blocked=True)


@pytest.mark.parametrize(("segment", "recipient", "emergency", "expected"), [
    (Segment(), NEVER_CHOSE, False, True),
    (Segment(), BLOCKED, True, False),
    (Segment(categories=frozenset({"events"})), NEVER_CHOSE, False, True),      # never chose: receives all
    (Segment(categories=frozenset({"events"})), CHOSE_CHILDCARE, False, False),
    (Segment(categories=frozenset({"events", "childcare"})), CHOSE_CHILDCARE, False, True),
    (Segment(categories=frozenset({"events"})), CHOSE_CHILDCARE, True, True),   # emergencies ignore choices
    (Segment(areas=frozenset({"kita"})), IN_KITA, False, True),
    (Segment(areas=frozenset({"kita"})), NEVER_CHOSE, False, False),            # no area: city-wide news only
    (Segment(areas=frozenset({"minami"})), IN_KITA, True, False),               # emergencies keep the area
    (Segment(followed_after=date(2026, 4, 10)), NEVER_CHOSE, False, True),
    (Segment(followed_after=date(2026, 4, 11)), NEVER_CHOSE, False, False),
    (Segment(followed_before=date(2026, 4, 10)), NEVER_CHOSE, False, False),
    (Segment(languages=frozenset({"ja"})), NEVER_CHOSE, False, True),
    (Segment(languages=frozenset({"en"})), NEVER_CHOSE, False, False),
])
def test_matches_follows_the_rules_of_delivery_preferences(segment: Segment, recipient: Recipient, emergency: bool,
                                                           expected: bool) -> None:
    assert matches(segment, recipient, emergency=emergency) is expected


def test_an_empty_segment_is_everyone_and_survives_a_round_trip_through_json() -> None:
    assert Segment().is_everyone
    segment = Segment(categories=frozenset({"events"}), areas=frozenset({"kita"}), followed_after=date(2026, 1, 1))
    assert not segment.is_everyone
    assert Segment.from_dict(segment.to_dict()) == segment


def test_impossible_dates_and_unknown_keys_are_refused() -> None:
    with pytest.raises(SegmentError):
        Segment.from_dict({"followed_after": "2026-05-01", "followed_before": "2026-04-01"})
    with pytest.raises(SegmentError):
        Segment.from_dict({"followed_after": "4月1日"})
    with pytest.raises(SegmentError, match="nishi"):
        check(Segment(areas=frozenset({"nishi"})), CATALOGUE)


def test_describe_names_categories_and_areas_in_japanese() -> None:
    assert describe(Segment(), CATALOGUE).startswith("全員")
    text = describe(Segment(categories=frozenset({"events"}), areas=frozenset({"kita", "minami"})), CATALOGUE)
    assert text == "「イベント」を受信 × 北地区・南地区"


def test_count_is_the_size_shown_before_sending() -> None:
    people = [NEVER_CHOSE, CHOSE_CHILDCARE, IN_KITA, BLOCKED]
    assert count(Segment(categories=frozenset({"events"})), people) == 2
    assert count(Segment(), people) == 3
