"""Prometheus metrics: what an operator watches during a typhoon. Labels never carry personal data.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory so that
/metrics adds up every worker (prometheus_client's multiprocess mode).
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

# The event kinds of LINE's webhook.yml. A label takes only these (or "other"): the type comes from the
# request body, and free text in a label would let each new value make a new time series.
LINE_EVENT_TYPES = frozenset({
    "message", "unsend", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft", "postback",
    "videoPlayComplete", "beacon", "accountLink", "membership", "module", "activated", "deactivated",
    "botSuspended", "botResumed", "delivery",
})


def event_type_label(event_type: object) -> str:
    """The event's type as a metric label: one of LINE's kinds, or "other"."""
    return event_type if isinstance(event_type, str) and event_type in LINE_EVENT_TYPES else "other"


WEBHOOK_SECONDS = Histogram(
    "madoguchi_webhook_seconds", "Time from a webhook request to its acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0))
WEBHOOK_EVENTS = Counter("madoguchi_webhook_events_total", "Events received, by type", ["type"])
WEBHOOK_DUPLICATES = Counter("madoguchi_webhook_duplicates_total", "Redelivered events dropped as already stored")
WEBHOOK_REFUSED = Counter("madoguchi_webhook_refused_total", "Webhooks answered 503 without trying the database",
                          ["reason"])
EVENTS_PROCESSED = Counter("madoguchi_events_processed_total", "Events processed, by type and result",
                           ["type", "result"])
QUESTIONS = Counter("madoguchi_questions_total", "Questions answered, by channel and outcome",
                    ["channel", "outcome"])
LINE_ERRORS = Counter("madoguchi_line_api_errors_total", "Error answers from LINE, by endpoint and status",
                      ["endpoint", "status"])
BROADCAST_CHUNKS = Counter("madoguchi_broadcast_chunks_total", "Broadcast chunks handed to LINE, by result",
                           ["result"])
