"""The messages of the damage-report conversation: one prompt per step, the summary, and pushed notices."""
from __future__ import annotations

from collections.abc import Callable

from core.config import Settings
from core.line_gateway import LineMessage
from handlers import replies
from handlers import report_texts as texts
from reports.catalogue import Catalogue
from reports.config import ReportConfig, report_config
from reports.flow import Step
from reports.models import Report, ReportNotice

CATEGORIES_PER_PAGE = 11  # + 「ほかの種類」 + 「やめる」 = LINE's 13 quick replies


def cancel_action() -> dict:
    """「やめる」: leave the report (the draft is dropped)."""
    return replies.postback_action(texts.CANCEL, "report_cancel")


def back_action() -> dict:
    """「戻る」: one step back."""
    return replies.postback_action(texts.BACK, "report_back")


def category_actions(catalogue: Catalogue, page: int = 0) -> list[dict]:
    """The categories as quick replies, paged when a city has more than LINE can show at once."""
    categories = catalogue.categories
    if len(categories) <= CATEGORIES_PER_PAGE + 1:
        shown, more = categories, []
    else:
        start = page * CATEGORIES_PER_PAGE
        shown = categories[start:start + CATEGORIES_PER_PAGE]
        next_page = page + 1 if start + CATEGORIES_PER_PAGE < len(categories) else 0
        more = [replies.postback_action(texts.MORE_CATEGORIES, "report_cats", p=str(next_page))]
    return [replies.postback_action(c.name, "report_cat", c=c.code) for c in shown] + more + [cancel_action()]


def prompt(draft: Report, config: ReportConfig, *, page: int = 0) -> LineMessage:
    """The question of the draft's current step, with its buttons."""
    step = Step(draft.step)
    builder = PROMPTS[step]
    return builder(draft, config, page)


def _category(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    return replies.text(texts.ASK_CATEGORY, quick_replies=category_actions(config.catalogue, page))


def _photos(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    category = config.catalogue.category(draft.category_code)
    actions = [{"type": "camera", "label": texts.CAMERA}, {"type": "cameraRoll", "label": texts.CAMERA_ROLL}]
    if any(p.status.value in ("pending", "stored") for p in draft.photos):
        actions.append(replies.postback_action(texts.PHOTOS_DONE, "report_photos_done"))
    return replies.text(texts.ASK_PHOTOS.format(category=category.name if category else ""),
                        quick_replies=[*actions, back_action(), cancel_action()])


def photo_received(count: int) -> LineMessage:
    """After each photo: how many so far, and 「次へ」."""
    actions = [{"type": "cameraRoll", "label": texts.CAMERA_ROLL},
               replies.postback_action(texts.PHOTOS_DONE, "report_photos_done"), back_action(), cancel_action()]
    return replies.text(texts.PHOTO_RECEIVED.format(count=count), quick_replies=actions)


def _location(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    actions = [{"type": "location", "label": texts.SEND_LOCATION},
               replies.postback_action(texts.SKIP_LOCATION, "report_skip_loc"), back_action(), cancel_action()]
    return replies.text(texts.ASK_LOCATION, quick_replies=actions)


def _place(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    actions = [{"type": "location", "label": texts.SEND_LOCATION}, back_action(), cancel_action()]
    return replies.text(texts.ASK_PLACE, quick_replies=actions)


def _urgency(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    actions = [replies.postback_action(texts.URGENT_YES, "report_urgent", v="1"),
               replies.postback_action(texts.URGENT_NO, "report_urgent", v="0"), back_action(), cancel_action()]
    return replies.text(texts.ASK_URGENCY, quick_replies=actions)


def _description(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    actions = [replies.postback_action(texts.NO_DESCRIPTION, "report_nodesc"), back_action(), cancel_action()]
    return replies.text(texts.ASK_DESCRIPTION, quick_replies=actions)


def _confirm(draft: Report, config: ReportConfig, page: int) -> LineMessage:
    category = config.catalogue.category(draft.category_code)
    photos = sum(1 for p in draft.photos if p.status.value in ("pending", "stored"))
    place = draft.place_text if draft.location_skipped else (draft.address or texts.PLACE_ON_MAP)
    summary = texts.CONFIRM_LINES.format(
        category=category.name if category else "", photos=photos, place=place,
        urgent=texts.URGENT_LABEL[draft.is_urgent], description=draft.description or texts.DESCRIPTION_NONE)
    actions = [replies.postback_action(texts.SUBMIT, "report_submit", r=str(draft.id)), back_action(), cancel_action()]
    return replies.text(texts.CONFIRM_HEADER + "\n\n" + summary, quick_replies=actions)


PROMPTS: dict[Step, Callable[[Report, ReportConfig, int], LineMessage]] = {
    Step.CATEGORY: _category, Step.PHOTOS: _photos, Step.LOCATION: _location, Step.PLACE: _place,
    Step.URGENCY: _urgency, Step.DESCRIPTION: _description, Step.CONFIRM: _confirm,
}


def urgent_call(draft: Report, config: ReportConfig) -> LineMessage:
    """The responsible department's number, shown at once when the citizen says it is dangerous."""
    department, main = config.catalogue.department_of(draft.category_code), config.catalogue.main
    return replies.text(texts.URGENT_CALL.format(department=department.name, phone=department.phone,
                                                 main=main.name, main_phone=main.phone))


def outside_city(config: ReportConfig) -> LineMessage:
    """A polite refusal for a place outside the city, with the number to call."""
    main = config.catalogue.main
    actions = [{"type": "location", "label": texts.SEND_LOCATION},
               replies.postback_action(texts.SKIP_LOCATION, "report_skip_loc"), cancel_action()]
    return replies.text(texts.OUTSIDE_CITY.format(department=main.name, phone=main.phone), quick_replies=actions)


def notice_builder(settings: Settings | None) -> Callable[[ReportNotice, Report], list[LineMessage]]:
    """The builder the worker uses to turn stored notices into pushes (wording from report_texts)."""
    config = report_config(settings)

    def build(notice: ReportNotice, report: Report) -> list[LineMessage]:
        return [replies.text(notice_text(notice, report, config))]

    return build


def notice_text(notice: ReportNotice, report: Report, config: ReportConfig) -> str:
    """A status change (with the template for the new status and staff's message), or a photo we could not use."""
    if notice.kind == "photo_rejected" and notice.photo is not None:
        reason = texts.PHOTO_REJECTED.get(notice.photo.last_error or "", texts.PHOTO_REJECTED["not_image"])
        tail = (texts.PHOTO_REJECTED_TAIL.format(receipt=notice.receipt_number) if notice.receipt_number
                else texts.PHOTO_REJECTED_TAIL_DRAFT)
        return reason.format(position=notice.photo.position) + "\n" + tail
    category = config.catalogue.category(report.category_code)
    new_status = notice.event.new_status if notice.event is not None else report.status.value
    body = texts.STATUS_HEADER.format(receipt=notice.receipt_number, category=category.name if category else "")
    body += texts.STATUS_MESSAGES.get(new_status or "", "")
    message = notice.event.public_message if notice.event is not None else ""
    return body + (texts.STATUS_REASON.format(message=message) if message else "")
