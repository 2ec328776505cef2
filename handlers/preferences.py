"""受信設定 over LINE: categories toggled with quick replies, an area picked, the current choice shown."""
from __future__ import annotations

from broadcast.preferences import Preferences, enabled_areas, preferences_of, set_area, toggle_category
from handlers import replies, texts
from handlers.context import HandlerContext

MAX_AREA_BUTTONS = 12  # LINE shows at most 13 quick replies; one is "back"


def show_editor(params: dict[str, str], ctx: HandlerContext) -> None:
    """The current choice, with a quick reply per category to switch it, plus area and done."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    prefs = preferences_of(ctx.session, user_id)
    ctx.reply(replies.text(summary(prefs) + "\n\n" + texts.PREFS_EDIT_HINT, quick_replies=_editor_actions(prefs)))


def show_summary(params: dict[str, str], ctx: HandlerContext) -> None:
    """「設定を確認」: the current choice, and a way to change it."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    prefs = preferences_of(ctx.session, user_id)
    ctx.reply(replies.text(summary(prefs), quick_replies=[replies.postback_action(texts.PREFS_SET_UP, "prefs")]))


def toggle(params: dict[str, str], ctx: HandlerContext) -> None:
    """Switch one category, then show the editor again."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    if not toggle_category(ctx.session, user_id, params.get("c", ""), now=ctx.now):
        ctx.reply(replies.text(texts.PREFS_UNKNOWN))
        return
    show_editor(params, ctx)


def choose_area(params: dict[str, str], ctx: HandlerContext) -> None:
    """Offer the city's areas."""
    areas = enabled_areas(ctx.session)[:MAX_AREA_BUTTONS]
    if not areas:
        ctx.reply(replies.text(texts.PREFS_NO_AREAS))
        return
    actions = [replies.postback_action(area.name, "pref_area_set", a=area.key) for area in areas]
    ctx.reply(replies.text(texts.PREFS_AREA_PROMPT, quick_replies=actions))


def set_area_choice(params: dict[str, str], ctx: HandlerContext) -> None:
    """Store the chosen area, then show the editor again."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    if set_area(ctx.session, user_id, params.get("a", ""), now=ctx.now) is None:
        ctx.reply(replies.text(texts.PREFS_UNKNOWN))
        return
    show_editor(params, ctx)


def done(params: dict[str, str], ctx: HandlerContext) -> None:
    """Confirm what was saved."""
    user_id = ctx.line_user_id
    if user_id is None:
        return
    ctx.reply(replies.text(texts.PREFS_SAVED + "\n" + summary(preferences_of(ctx.session, user_id))))


def later(params: dict[str, str], ctx: HandlerContext) -> None:
    """The new follower would rather not now."""
    ctx.reply(replies.text(texts.PREFS_LATER_REPLY, quick_replies=replies.main_menu()))


def summary(prefs: Preferences) -> str:
    """The citizen's choice as lines a person can read at a glance."""
    lines = [texts.PREFS_HEADER]
    for category in prefs.categories:
        mark = texts.PREFS_ON if category.key in prefs.receiving else texts.PREFS_OFF
        lines.append(f"{mark} {category.name}" + (texts.PREFS_ALWAYS if category.is_emergency else ""))
    lines.append(texts.PREFS_AREA.format(area=prefs.area.name if prefs.area else texts.PREFS_AREA_UNSET))
    if not prefs.has_chosen:
        lines.append(texts.PREFS_NOT_CHOSEN)
    return "\n".join(lines)


def _editor_actions(prefs: Preferences) -> list[dict]:
    toggles = [
        replies.postback_action((texts.PREFS_ON if c.key in prefs.receiving else texts.PREFS_OFF) + c.name,
                                "pref_toggle", c=c.key)
        for c in prefs.categories if not c.is_emergency
    ]
    fixed = [replies.postback_action(texts.PREFS_CHOOSE_AREA, "pref_area"),
             replies.postback_action(texts.PREFS_DONE, "pref_done")]
    return toggles[: replies.MAX_QUICK_REPLY_ITEMS - len(fixed)] + fixed

