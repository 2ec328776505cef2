"""JSON logs: one object a line, extra fields kept, exception texts (which may quote citizens) dropped."""
from __future__ import annotations

import json
import logging

from core.log_format import JsonFormatter


def _record(**kwargs) -> logging.LogRecord:  # type: ignore[no-untyped-def]
    return logging.LogRecord("bot.processing", logging.ERROR, __file__, 1, "event failed: inbox_id=%s", (7,), **kwargs)


def test_a_record_becomes_one_json_object_with_its_extra_fields() -> None:
    record = _record(exc_info=None)
    record.inbox_id = 7
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"], entry["inbox_id"]) == \
        ("ERROR", "bot.processing", "event failed: inbox_id=7", 7)


def test_an_exception_is_logged_by_type_never_by_its_text() -> None:
    try:
        raise ValueError("住所は港区1-2-3です")
    except ValueError:
        import sys

        record = _record(exc_info=sys.exc_info())
    line = JsonFormatter().format(record)
    assert json.loads(line)["exception"] == "ValueError" and "港区" not in line
