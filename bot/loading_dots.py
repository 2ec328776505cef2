"""Whom to show LINE's loading animation while the worker is behind, and for how long.

After an evacuation warning thousands write at once and answers queue. A citizen whose message
waits should see LINE's loading dots soon after writing, not a moment before the answer: so the
worker looks at every message that arrives while it is behind (the back of the queue, where the
wait is longest), each once, and calls LINE once per waiting citizen — not once per message, and
not again while their dots still run. An answer ends a citizen's dots and they are not shown again
for messages that were already queued: the answer itself shows the citizen their messages are being
worked through, and re-showing after every answer to a citizen who wrote several times cost a LINE
call per answer (half again as many calls in bench.worker_drain), capacity taken from the answers
in a surge. A message written after that answer is a new wait and gets the dots again.

How far the look has reached is one row in the database (loading_dots_mark): with several workers,
the one that holds its lock looks and moves it, the others skip that turn, so each arrival is looked
at once (before, each worker looked at every arrival and a citizen got the call once per worker).
Whose dots still run each worker keeps in its own memory, and it knows only of the answers it sent:
a citizen who writes again soon after another worker's answer may wait without the dots until those
of their first wait would have ended. A lost memory (a restart) costs at most a repeated call.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.inbox import move_loading_mark, queued_after, take_loading_mark

# When the events in hand waited this long, the worker is behind.
BEHIND_AFTER = timedelta(seconds=1)
# Ids looked at after each batch while behind. Arrivals per batch are far fewer (a batch takes
# about a tenth of a second), so the look soon reaches the back of the queue and stays there.
STRETCH = 200
REMEMBERED = 10_000  # citizens whose animation may still be running


def loading_seconds(waited: timedelta) -> int:
    """LINE accepts 5..60 seconds in steps of 5: about as long as the events in hand waited,
    which is about how long a message that arrives now will wait."""
    return min(60, max(5, 5 * math.ceil(waited.total_seconds() / 5)))


class LoadingDots:
    """One worker's look at the queue, and its memory of whose dots run."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._running_until: OrderedDict[str, datetime] = OrderedDict()  # citizen → when their dots stop

    def newly_queued(self, session: Session, *, after_id: int, waited: timedelta) -> list[tuple[str, int]]:
        """(citizen, seconds) to show the dots to: those whose messages arrived since the last look
        by any worker; none while another worker is looking. Moves the shared mark in `session`'s
        transaction.

        `after_id` is the newest event in hand: nothing before it is still waiting here.
        """
        looked_to = take_loading_mark(session)
        if looked_to is None:
            return []
        start = max(looked_to, after_id)
        queued = queued_after(session, after_id=start, stretch=STRETCH)
        if (mark := queued[-1].id if queued else start) != looked_to:
            move_loading_mark(session, mark)
        now, seconds = self.clock(), loading_seconds(waited)
        shown: list[tuple[str, int]] = []
        for event in queued:
            if not event.from_citizen_chat or event.line_user_id is None:
                continue
            citizen = event.line_user_id
            running_until = self._running_until.get(citizen)
            if running_until is not None and running_until > now:
                continue
            _remember(self._running_until, citizen, now + timedelta(seconds=seconds))
            shown.append((citizen, seconds))
        return shown

    def answered(self, citizen: str) -> None:
        """A message to the citizen ends their dots."""
        self._running_until.pop(citizen, None)


def _remember(memory: OrderedDict, key: str, value: object) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > REMEMBERED:
        memory.popitem(last=False)
