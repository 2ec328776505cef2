"""The rich menu's 緊急情報 and お知らせ buttons (`action=emergency`, `action=news`): the latest broadcasts again.

A citizen who muted the chat, or joined after the warning went out, can read it here. News shows
only what the citizen's own 受信設定 would have delivered to them.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcast.models import Broadcast, BroadcastStatus
from broadcast.preferences import preferences_of
from broadcast.segments import Recipient, Segment, matches
from handlers import news_texts as texts
from handlers import replies
from handlers.context import HandlerContext

SHOWN = 3            # broadcasts per answer
LOOKED_AT = 30       # recent broadcasts scanned for the ones this citizen would have received
EXCERPT = 300        # characters of each broadcast shown
CITY_TIMEZONE = ZoneInfo("Asia/Tokyo")
SENT = (BroadcastStatus.SENDING, BroadcastStatus.DONE)


def show_emergency(params: dict[str, str], ctx: HandlerContext) -> None:
    """The latest emergency broadcasts (everyone gets these, whatever they chose)."""
    latest = _latest(ctx.session, emergency=True)[:SHOWN]
    ctx.reply(replies.text(_listing(texts.EMERGENCY_HEADER, latest) if latest else texts.EMERGENCY_NONE,
                           quick_replies=replies.main_menu()))


def show_news(params: dict[str, str], ctx: HandlerContext) -> None:
    """The latest ordinary broadcasts this citizen's 受信設定 would have delivered."""
    recipient = _recipient(ctx)
    latest = [b for b in _latest(ctx.session, emergency=False)
              if recipient is None or matches(Segment.from_dict(b.segment), recipient)][:SHOWN]
    ctx.reply(replies.text(_listing(texts.NEWS_HEADER, latest) if latest else texts.NEWS_NONE,
                           quick_replies=replies.main_menu()))


def _latest(session: Session, *, emergency: bool) -> list[Broadcast]:
    query = (select(Broadcast).where(Broadcast.status.in_(SENT), Broadcast.is_emergency.is_(emergency))
             .order_by(Broadcast.queued_at.desc(), Broadcast.id.desc()).limit(LOOKED_AT))
    return list(session.scalars(query))


def _recipient(ctx: HandlerContext) -> Recipient | None:
    if ctx.line_user is None:
        return None
    prefs = preferences_of(ctx.session, ctx.line_user.line_user_id)
    return Recipient(ctx.line_user.line_user_id, followed_at=ctx.line_user.followed_at,
                     area=prefs.area.key if prefs.area else None,
                     receiving=prefs.receiving if prefs.has_chosen else None)


def _listing(header: str, broadcasts: list[Broadcast]) -> str:
    items = [texts.ITEM.format(when=_when(b.queued_at or b.created_at), text=_excerpt(b)) for b in broadcasts]
    return header + "\n\n" + "\n\n".join(items)


def _excerpt(broadcast: Broadcast) -> str:
    for message in broadcast.messages:
        body = message.get("text") or message.get("altText")
        if body:
            return body if len(body) <= EXCERPT else body[:EXCERPT] + texts.MORE
    return broadcast.title


def _when(moment: datetime) -> str:
    local = moment.astimezone(CITY_TIMEZONE)
    return texts.WHEN.format(month=local.month, day=local.day, hour=local.hour, minute=local.minute)
