"""The status workflow staff move a report through, and which changes the reporter hears about. Pure."""
from __future__ import annotations

import enum


class ReportStatus(str, enum.Enum):
    DRAFT = "draft"              # the citizen is still answering the questions
    EXPIRED = "expired"          # a draft abandoned for 24 hours
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


OPEN = frozenset({ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS})
CLOSED = frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED, ReportStatus.DUPLICATE})
SUBMITTED = OPEN | CLOSED

# Staff may reopen a closed report (a repair that did not hold) by sending it back to in progress.
TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED,
                                      ReportStatus.DUPLICATE}),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.RECEIVED, ReportStatus.RESOLVED, ReportStatus.REJECTED,
                                         ReportStatus.DUPLICATE}),
    ReportStatus.RESOLVED: frozenset({ReportStatus.IN_PROGRESS}),
    ReportStatus.REJECTED: frozenset({ReportStatus.IN_PROGRESS}),
    ReportStatus.DUPLICATE: frozenset({ReportStatus.RECEIVED}),
}
# Changes the reporter is told about on LINE (going back to 受付 after a mistaken 対応中 is not news).
NOTIFIED = frozenset({ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.REJECTED,
                      ReportStatus.DUPLICATE})


def can_change(old: ReportStatus, new: ReportStatus) -> bool:
    """Whether staff may move a report from `old` to `new`."""
    return new in TRANSITIONS.get(old, frozenset())


def is_open(status: ReportStatus) -> bool:
    """Open reports are still being worked (and are what new reports are checked against)."""
    return status in OPEN


def open311_status(status: ReportStatus) -> str:
    """GeoReport v2 knows only `open` and `closed`."""
    return "open" if status in OPEN else "closed"
