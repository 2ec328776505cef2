"""The report conversation's step table: where each answer leads, and what is refused where."""
from __future__ import annotations

import pytest

from reports.flow import MAX_PHOTOS, Decision, Facts, Input, Problem, Step, decide, previous_step, takes_text

NO_PHOTOS, ONE_PHOTO = Facts(photo_count=0), Facts(photo_count=1)


@pytest.mark.parametrize(("step", "given", "facts", "expected"), [
    (Step.CATEGORY, Input.CATEGORY, NO_PHOTOS, Decision(Step.PHOTOS)),
    (Step.PHOTOS, Input.PHOTO, NO_PHOTOS, Decision(Step.PHOTOS)),
    (Step.PHOTOS, Input.PHOTO, Facts(photo_count=MAX_PHOTOS - 1), Decision(Step.LOCATION)),
    (Step.PHOTOS, Input.PHOTO, Facts(photo_count=MAX_PHOTOS), Decision(Step.PHOTOS, Problem.TOO_MANY_PHOTOS)),
    (Step.PHOTOS, Input.PHOTOS_DONE, NO_PHOTOS, Decision(Step.PHOTOS, Problem.NEED_PHOTO)),
    (Step.PHOTOS, Input.PHOTOS_DONE, ONE_PHOTO, Decision(Step.LOCATION)),
    (Step.LOCATION, Input.LOCATION, ONE_PHOTO, Decision(Step.URGENCY)),
    (Step.LOCATION, Input.SKIP_LOCATION, ONE_PHOTO, Decision(Step.PLACE)),
    (Step.PLACE, Input.TEXT, ONE_PHOTO, Decision(Step.URGENCY)),
    (Step.PLACE, Input.LOCATION, ONE_PHOTO, Decision(Step.URGENCY)),  # changed their mind: the map after all
    (Step.URGENCY, Input.URGENT, ONE_PHOTO, Decision(Step.DESCRIPTION)),
    (Step.URGENCY, Input.NOT_URGENT, ONE_PHOTO, Decision(Step.DESCRIPTION)),
    (Step.DESCRIPTION, Input.TEXT, ONE_PHOTO, Decision(Step.CONFIRM)),
    (Step.DESCRIPTION, Input.NO_DESCRIPTION, ONE_PHOTO, Decision(Step.CONFIRM)),
    (Step.CONFIRM, Input.SUBMIT, ONE_PHOTO, Decision(Step.CONFIRM)),
])
def test_each_answer_leads_to_the_next_step(step, given, facts, expected) -> None:
    assert decide(step, given, facts) == expected


@pytest.mark.parametrize(("step", "given"), [
    (Step.CATEGORY, Input.PHOTO),          # a photo before the category
    (Step.LOCATION, Input.PHOTO),          # a fifth photo after moving on
    (Step.URGENCY, Input.LOCATION),
    (Step.CONFIRM, Input.CATEGORY),        # a stale category button from the start
    (Step.PHOTOS, Input.SUBMIT),
    (Step.CATEGORY, Input.TEXT),
])
def test_an_answer_for_another_step_is_not_taken_now(step, given) -> None:
    assert decide(step, given, ONE_PHOTO) == Decision(step, Problem.NOT_NOW)


@pytest.mark.parametrize(("step", "facts", "expected"), [
    (Step.PHOTOS, ONE_PHOTO, Step.CATEGORY),
    (Step.LOCATION, ONE_PHOTO, Step.PHOTOS),
    (Step.PLACE, ONE_PHOTO, Step.LOCATION),
    (Step.URGENCY, Facts(1, location_skipped=False), Step.LOCATION),
    (Step.URGENCY, Facts(1, location_skipped=True), Step.PLACE),
    (Step.DESCRIPTION, ONE_PHOTO, Step.URGENCY),
    (Step.CONFIRM, ONE_PHOTO, Step.DESCRIPTION),
])
def test_back_returns_to_the_step_before(step, facts, expected) -> None:
    assert previous_step(step, facts) is expected
    assert decide(step, Input.BACK, facts) == Decision(expected)


def test_back_at_the_first_step_says_there_is_nothing_before() -> None:
    assert decide(Step.CATEGORY, Input.BACK, NO_PHOTOS) == Decision(Step.CATEGORY, Problem.NOTHING_BEFORE)


def test_every_step_has_a_row_and_a_way_back() -> None:
    from reports.flow import BACK, TABLE

    assert set(TABLE) == set(Step) == set(BACK)


@pytest.mark.parametrize(("step", "expected"), [
    (Step.PLACE, True), (Step.DESCRIPTION, True),
    (Step.CATEGORY, False), (Step.PHOTOS, False), (Step.LOCATION, False), (Step.URGENCY, False),
    (Step.CONFIRM, False),
])
def test_only_the_place_and_description_steps_take_free_text(step, expected) -> None:
    assert takes_text(step) is expected
