"""The insight endpoint Madoguchi reads, as insight.yml describes it: messages sent on a day.

GET /v2/bot/insight/message/delivery?date=yyyyMMdd answers from the emulator's own count of
accepted sends (EmulatorState.count_sent), per JST day and endpoint. Like LINE, a day's figures are
published only after the day has ended in Japan: today and later days are "unready".
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from emulator import gate
from emulator.gate import error
from emulator.state import current_state

bp = Blueprint("insight", __name__)
gate.install(bp)

DATE_PATTERN = re.compile(r"^[0-9]{8}$")  # insight.yml: pattern, minLength 8, maxLength 8
# LINE's reference (not insight.yml) says it started counting sent messages on March 1, 2017;
# earlier days are "out_of_service".
FIRST_COUNTED_DAY = "20170301"
INVALID_DATE = "The value for the 'date' parameter is invalid"
# The endpoint names the emulator counts under, and the response properties they fill.
API_FIELDS = {"broadcast": "apiBroadcast", "push": "apiPush", "multicast": "apiMulticast",
              "narrowcast": "apiNarrowcast", "reply": "apiReply"}


def _valid_day(value: str | None) -> bool:
    if value is None or not DATE_PATTERN.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d")  # 20261332 matches the pattern but is no day
    except ValueError:
        return False
    return True


@bp.get("/v2/bot/insight/message/delivery")
def delivery() -> Response:
    """Return the number of messages sent on `date` (JST), by kind, once the day is over."""
    day = request.args.get("date")
    if not _valid_day(day):
        return error(400, INVALID_DATE)
    assert day is not None
    state = current_state()
    if day < FIRST_COUNTED_DAY:
        return jsonify({"status": "out_of_service"})
    if day >= state.jst_day():
        # Counting is not finished until the day ends; the counts are only given when "ready".
        return jsonify({"status": "unready"})
    sent = state.sent_on(day)
    # Messages sent from LINE Official Account Manager (broadcast, targeting, auto-response,
    # greeting, chat) never pass through the emulator, so they are always 0 here.
    body: dict[str, object] = {"status": "ready", "broadcast": 0, "targeting": 0, "autoResponse": 0,
                               "welcomeResponse": 0, "chat": 0}
    body.update({name: sent.get(via, 0) for via, name in API_FIELDS.items()})
    return jsonify(body)
