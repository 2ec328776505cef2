"""Follow and unfollow: a citizen adds the account, or blocks it."""
from __future__ import annotations

from typing import Any

from broadcast.preferences import mark_asked
from handlers import replies, texts
from handlers.context import HandlerContext


def on_follow(event: Any, ctx: HandlerContext) -> None:
    """Remember the citizen as a follower, greet them and offer the main actions."""
    user = ctx.line_user
    if user is None:
        return
    # Asked before the citizen's row is changed: its query would otherwise flush that change on its
    # own (a second flush per follow); the change goes out with the settings row or at the commit.
    asked_now = mark_asked(ctx.session, user.line_user_id, now=ctx.now)
    user.followed_at = ctx.now
    user.blocked_at = None
    unblocked = bool(getattr(getattr(event, "follow", None), "is_unblocked", False))
    greeting = texts.WELCOME_BACK if unblocked else texts.GREETING
    # New followers are offered the delivery settings once; whoever was asked gets the menu instead.
    if asked_now:
        offer = [replies.postback_action(texts.PREFS_SET_UP, "prefs"), replies.postback_action(texts.PREFS_LATER, "prefs_later")]
        ctx.reply(replies.text(greeting), replies.text(texts.PREFS_OFFER, quick_replies=offer))
        return
    ctx.reply(replies.text(greeting, quick_replies=replies.main_menu()))


def on_unfollow(event: Any, ctx: HandlerContext) -> None:
    """Mark the citizen as blocked: LINE gives no reply token and would refuse a push."""
    if ctx.line_user is not None:
        ctx.line_user.blocked_at = ctx.now
