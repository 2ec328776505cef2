"""Planning: chunks of at most 500 with their retry keys stored before anything is sent."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from broadcast.compose import text_message
from broadcast.models import Broadcast, BroadcastStatus, ChunkKind, DeliveryChunk
from broadcast.planning import plan_delivery, segment_size
from broadcast.preferences import set_area, set_categories, seed_areas
from broadcast.defaults import DEMO_AREAS
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_emergency, send_now
from tests.broadcast.conftest import add_followers, user_id
from tests.conftest import FIXED_NOW


def _draft(session, segment: Segment = Segment(), **kwargs) -> int:
    return compose_broadcast(session, title="お知らせ", messages=[text_message("市からのお知らせです")],
                             segment=segment, now=FIXED_NOW, **kwargs).id


def _chunks(session, broadcast_id: int) -> list[DeliveryChunk]:
    return list(session.scalars(select(DeliveryChunk).where(DeliveryChunk.broadcast_id == broadcast_id)
                                .order_by(DeliveryChunk.seq)))


def test_1201_followers_are_planned_as_chunks_of_500_500_and_201(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 1201)
        broadcast_id = _draft(session)
        assert send_now(session, broadcast_id, now=FIXED_NOW) == 3
    with db() as session:
        chunks = _chunks(session, broadcast_id)
        assert [c.size for c in chunks] == [500, 500, 201]
        assert [len(c.recipients) for c in chunks] == [500, 500, 201]
        everyone = [r for c in chunks for r in c.recipients]
        assert sorted(everyone) == [user_id(n) for n in range(1201)]
        assert len({c.retry_key for c in chunks}) == 3 and all(len(c.retry_key) == 36 for c in chunks)
        assert all(c.attempts == 0 for c in chunks)  # the keys exist before the first attempt
        broadcast = session.get(Broadcast, broadcast_id)
        assert (broadcast.status, broadcast.recipients, broadcast.chunks) == (BroadcastStatus.SENDING, 1201, 3)


def test_planning_twice_keeps_the_first_plan_and_its_keys(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 600)
        broadcast_id = _draft(session)
        send_now(session, broadcast_id, now=FIXED_NOW)
    with db() as session:
        keys = [c.retry_key for c in _chunks(session, broadcast_id)]
    with db.begin() as session:
        assert plan_delivery(session, broadcast_id) == 2
    with db() as session:
        assert [c.retry_key for c in _chunks(session, broadcast_id)] == keys


def test_followers_who_blocked_the_account_are_not_planned(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 10, blocked=[3, 7])
        broadcast_id = _draft(session)
        send_now(session, broadcast_id, now=FIXED_NOW)
    with db() as session:
        recipients = _chunks(session, broadcast_id)[0].recipients
        assert user_id(3) not in recipients and user_id(7) not in recipients and len(recipients) == 8


def test_a_segment_that_matches_nobody_sends_nothing_and_says_so(db: sessionmaker) -> None:
    with db.begin() as session:
        seed_areas(session, DEMO_AREAS)
        add_followers(session, 5)
        broadcast_id = _draft(session, Segment(areas=frozenset({"kita"})))
        assert send_now(session, broadcast_id, now=FIXED_NOW) == 0
    with db() as session:
        assert session.get(Broadcast, broadcast_id).status == BroadcastStatus.EMPTY
        assert _chunks(session, broadcast_id) == []


def test_a_category_segment_follows_what_citizens_chose_to_receive(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 4)
        set_categories(session, user_id(0), ["events"], now=FIXED_NOW)      # chose events
        set_categories(session, user_id(1), ["childcare"], now=FIXED_NOW)   # chose something else
        # user 2 and 3 never chose: they receive every category
        segment = Segment(categories=frozenset({"events"}))
        assert segment_size(session, segment) == 3
        assert segment_size(session, segment, emergency=True) == 4


def test_an_area_segment_reaches_only_citizens_of_that_area(db: sessionmaker) -> None:
    with db.begin() as session:
        seed_areas(session, DEMO_AREAS)
        add_followers(session, 3)
        set_area(session, user_id(0), "kita", now=FIXED_NOW)
        set_area(session, user_id(1), "minami", now=FIXED_NOW)
        broadcast_id = _draft(session, Segment(areas=frozenset({"kita", "chuo"})))
        send_now(session, broadcast_id, now=FIXED_NOW)
    with db() as session:
        assert _chunks(session, broadcast_id)[0].recipients == [user_id(0)]


def test_an_emergency_to_everyone_is_one_call_to_the_broadcast_endpoint_ahead_of_the_queue(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 1200)
        broadcast = send_emergency(session, text="津波警報が発表されました。高台へ避難してください。", now=FIXED_NOW)
    with db() as session:
        [chunk] = _chunks(session, broadcast.id)
        assert (chunk.kind, chunk.size, chunk.recipients, chunk.priority) == (ChunkKind.BROADCAST, 1200, [], 0)
        assert session.get(Broadcast, broadcast.id).messages[0]["text"].startswith("【緊急】津波警報")


def test_an_emergency_for_one_area_ignores_preferences_but_not_the_area(db: sessionmaker) -> None:
    with db.begin() as session:
        seed_areas(session, DEMO_AREAS)
        add_followers(session, 3)
        set_area(session, user_id(0), "minami", now=FIXED_NOW)
        set_categories(session, user_id(0), [], now=FIXED_NOW)  # wants nothing, still gets emergencies
        set_area(session, user_id(1), "kita", now=FIXED_NOW)
        broadcast = send_emergency(session, text="南地区に避難指示", areas=["minami"], now=FIXED_NOW)
    with db() as session:
        [chunk] = _chunks(session, broadcast.id)
        assert (chunk.kind, chunk.recipients, chunk.priority) == (ChunkKind.MULTICAST, [user_id(0)], 0)
