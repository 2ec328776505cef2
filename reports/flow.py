"""The damage-report conversation as a table of states. Pure: no Flask, SQLAlchemy or LINE.

The current step lives on the draft report row, never in memory, so any worker can take the
citizen's next message. `decide` answers one question: given where the draft stands and what the
citizen just did, where does it go next (or what was wrong with what they did)?
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

MAX_PHOTOS = 4


class Step(str, enum.Enum):
    CATEGORY = "category"
    PHOTOS = "photos"
    LOCATION = "location"
    PLACE = "place"            # the location was skipped: the citizen describes the place in words
    URGENCY = "urgency"
    DESCRIPTION = "description"
    CONFIRM = "confirm"


class Input(str, enum.Enum):
    CATEGORY = "category"
    PHOTO = "photo"
    PHOTOS_DONE = "photos_done"
    LOCATION = "location"
    SKIP_LOCATION = "skip_location"
    TEXT = "text"
    URGENT = "urgent"
    NOT_URGENT = "not_urgent"
    NO_DESCRIPTION = "no_description"
    SUBMIT = "submit"
    BACK = "back"


class Problem(str, enum.Enum):
    NOT_NOW = "not_now"              # a valid input, but not for this step (a stale button, a photo too early)
    NEED_PHOTO = "need_photo"        # 「次へ」 before any photo
    TOO_MANY_PHOTOS = "too_many_photos"
    NOTHING_BEFORE = "nothing_before"  # 「戻る」 at the first step


@dataclass(frozen=True)
class Facts:
    """What the step table needs to know about the draft."""

    photo_count: int = 0
    location_skipped: bool = False


@dataclass(frozen=True)
class Decision:
    """Where the draft goes; `problem` set means it stays and the citizen is told why."""

    step: Step
    problem: Problem | None = None


# step → {input: next step}. Inputs missing from a step's row are NOT_NOW there.
TABLE: dict[Step, dict[Input, Step]] = {
    Step.CATEGORY: {Input.CATEGORY: Step.PHOTOS},
    Step.PHOTOS: {Input.PHOTO: Step.PHOTOS, Input.PHOTOS_DONE: Step.LOCATION},
    Step.LOCATION: {Input.LOCATION: Step.URGENCY, Input.SKIP_LOCATION: Step.PLACE},
    Step.PLACE: {Input.TEXT: Step.URGENCY, Input.LOCATION: Step.URGENCY},
    Step.URGENCY: {Input.URGENT: Step.DESCRIPTION, Input.NOT_URGENT: Step.DESCRIPTION},
    Step.DESCRIPTION: {Input.TEXT: Step.CONFIRM, Input.NO_DESCRIPTION: Step.CONFIRM},
    Step.CONFIRM: {Input.SUBMIT: Step.CONFIRM},
}
# Where 「戻る」 leads. URGENCY's depends on how the place was given (see previous_step).
BACK: dict[Step, Step | None] = {
    Step.CATEGORY: None,
    Step.PHOTOS: Step.CATEGORY,
    Step.LOCATION: Step.PHOTOS,
    Step.PLACE: Step.LOCATION,
    Step.URGENCY: Step.LOCATION,
    Step.DESCRIPTION: Step.URGENCY,
    Step.CONFIRM: Step.DESCRIPTION,
}
# Steps that take free text as their answer; at the others, typed text is a question for the FAQ.
TEXT_STEPS = frozenset(step for step, row in TABLE.items() if Input.TEXT in row)


def previous_step(step: Step, facts: Facts) -> Step | None:
    """The step 「戻る」 returns to, or None at the first one."""
    if step is Step.URGENCY and facts.location_skipped:
        return Step.PLACE
    return BACK[step]


def decide(step: Step, given: Input, facts: Facts) -> Decision:
    """The next step after `given` at `step` (facts are counted before the input is applied)."""
    if given is Input.BACK:
        before = previous_step(step, facts)
        return Decision(step, Problem.NOTHING_BEFORE) if before is None else Decision(before)
    following = TABLE[step].get(given)
    if following is None:
        return Decision(step, Problem.NOT_NOW)
    if given is Input.PHOTO:
        if facts.photo_count >= MAX_PHOTOS:
            return Decision(step, Problem.TOO_MANY_PHOTOS)
        # The fourth photo is the last one LINE's quick flow allows: move on by itself.
        return Decision(Step.LOCATION if facts.photo_count + 1 >= MAX_PHOTOS else Step.PHOTOS)
    if given is Input.PHOTOS_DONE and facts.photo_count == 0:
        return Decision(step, Problem.NEED_PHOTO)
    return Decision(following)


def takes_text(step: Step) -> bool:
    """Whether typed text at this step is the answer (not a question to pass to the FAQ)."""
    return step in TEXT_STEPS
