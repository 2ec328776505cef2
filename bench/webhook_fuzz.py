"""Webhook fuzzing: `python -m bench.webhook_fuzz --signed 10000 --unsigned 10000 --json`.

Posts hypothesis-generated bodies to POST /callback in-process (Flask's test client against
create_app on a fresh, migrated SQLite database in a temporary directory, or a fresh database on the
PostgreSQL server given by --database-url), then runs the worker's own code path
(EventProcessor.process_next, what `madoguchi worker` loops over) on everything the inbox stored,
with LINE replaced by the RecordingLineGateway.

Bodies follow webhook.yml: a small converter turns its components (allOf, $ref, discriminators) into
hypothesis strategies, with every event type plus unknown ones, every message type, realistic
postback data and a small pool of users and webhookEventIds (so conversations happen and redeliveries
collide). Then mutations: missing fields, swapped types, unknown fields, huge strings, deep nesting,
duplicated events, NaN, lone surrogates, NUL characters, truncation, byte flips, invalid UTF-8, non-JSON.

Signed bodies carry a correct X-Line-Signature: they must never get a 5xx. Bodies with a bad signature
(missing, empty, another secret's, another body's, garbage) must get a 4xx and store nothing. After
the drain, an inbox row with an error (parked FAILED or waiting for a retry) or an exception escaping
process_next is a worker crash: every event is either answered or deliberately ignored.
Writes bench/results/webhook_fuzz.json.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import os
import string
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import got_request_exception
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SPEC_PATH = ROOT.parent / "shared" / "specs" / "line-openapi" / "webhook.yml"
FAQ_CSV = ROOT / "faq" / "sample" / "minato_faq.csv"
SECRET = "fuzz-channel-secret"
TOKEN = "fuzz-access-token"
FINDINGS_PER_CAUSE = 3
MAX_FINDINGS = 30  # examples of failures kept in the result, each cut to FINDING_BYTES
FINDING_BYTES = 300

# A few users, so that generated events continue each other's conversations (inquiries, reports).
USERS = [f"U{0xf022 + n:032x}" for n in range(6)]
_event_numbers = itertools.count(1)
# A few ids shared by many bodies: redeliveries and duplicates within one body.
SHARED_EVENT_IDS = [f"01FUZZSHARED{n:014d}" for n in range(12)]
POSTBACK_ACTIONS = ["ask", "browse", "category", "choose", "feedback", "inquiry", "inquire", "inquiry_done",
                    "inquiry_reply", "inquiry_close", "cancel", "prefs", "prefs_show", "prefs_later", "pref_toggle",
                    "pref_area", "pref_area_set", "pref_done", "report", "report_new", "report_resume",
                    "report_cats", "report_cat", "report_photos_done", "report_skip_loc", "report_urgent",
                    "report_nodesc", "report_back", "report_cancel", "report_submit", "menu", "emergency", "news",
                    "maintenance", "no-such-action", ""]
POSTBACK_KEYS = ["c", "q", "f", "v", "a", "i", "p", "r", "action"]
# Valid JSON strings that databases choke on: NUL (PostgreSQL text), lone surrogates ("\ud800" escapes);
# and characters outside the BMP.
ODD_STRINGS = ["a\x00b", "\x00", "\ud800", "x\udfff", "\u202e\u0000", "𠮷" * 3]
# What a "swap" mutation puts in place of a value: wrong types, edge numbers, odd strings, NaN.
ODD_VALUES = [None, True, False, 0, -1, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, "", "x", "\x00", "\ud800",
              "a\u0000b", "Ｕ" * 70, [], {}, [None], {"type": None}, float("nan"), float("inf")]
MAX_MUTATION_DEPTH = 12  # mutations pick nodes this deep at most (a "deep" value has thousands of levels)
_DELETE = object()  # what a mutation returns to remove the node
TEXTS = ["ごみの分け方を教えてください", "粗大ごみ", "問い合わせ", "通報する", "メニュー", "受信設定", "設定を確認",
         "はい", "いいえ", "キャンセル", "送信", "道路に穴があります", "1", "？", "あ" * 600, "　"]


# --- webhook.yml → hypothesis strategies --------------------------------------------------------------

@cache
def _schemas() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _flatten(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names of an object schema, merging allOf (a base's discriminator is not followed)."""
    if "$ref" in schema:
        return _flatten(_schemas()[_ref_name(schema["$ref"])])
    properties, required = dict(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more, more_required = _flatten(part)
        properties.update(more)
        required |= more_required
    return properties, required


def _strings(name: str) -> st.SearchStrategy[str]:
    """Strings for a field, realistic where the handlers look at them (ids, text, postback data)."""
    return _rarely(_usual_strings(name), st.sampled_from(ODD_STRINGS), 100)


def _rarely(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int = 40) -> st.SearchStrategy[Any]:
    """usual, except one time in `one_in` rare (st.one_of would pick each half the time)."""
    return st.integers(1, one_in).flatmap(lambda roll: rare if roll == 1 else usual)


def _usual_strings(name: str) -> st.SearchStrategy[str]:
    if name in ("userId", "groupId", "roomId"):
        return st.one_of(st.sampled_from(USERS), st.sampled_from(USERS), st.text(max_size=40))
    if name == "webhookEventId":
        # A counter, not st.uuids(): hypothesis favours simple values and would repeat the same few uuids.
        unique = st.builds(lambda: f"01FUZZ{next(_event_numbers):020d}")
        return _rarely(unique, st.sampled_from(SHARED_EVENT_IDS), 8)
    if name == "text":
        return _evenly(st.sampled_from(TEXTS), st.text(max_size=80), st.text(max_size=5000))
    if name == "data":
        return postback_data()
    if name in ("id", "replyToken", "quoteToken", "messageId"):
        return st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=32)
    return st.text(max_size=30)


def postback_data() -> st.SearchStrategy[str]:
    """`action=…&key=value`, mostly actions Madoguchi knows, with odd values; sometimes junk."""
    values = st.one_of(st.text(max_size=12), st.integers(-5, 10**20).map(str), st.sampled_from(["0", "1", "ごみ"]))
    pairs = st.lists(st.tuples(st.sampled_from(POSTBACK_KEYS), values), max_size=3)
    built = st.builds(lambda action, rest: "&".join([f"action={action}", *(f"{k}={v}" for k, v in rest)]),
                      st.sampled_from(POSTBACK_ACTIONS), pairs)
    return st.one_of(built, built, st.text(max_size=400))


def _integers(name: str) -> st.SearchStrategy[int]:
    if name == "timestamp":
        # Mostly today's milliseconds; sometimes anything an int64 can hold (the schema's format).
        return _rarely(st.integers(1_600_000_000_000, 1_900_000_000_000), st.integers(-(2**63), 2**63 - 1), 20)
    return st.one_of(st.integers(-1, 1000), st.integers(-(2**63), 2**63 - 1))


def _numbers(name: str) -> st.SearchStrategy[float]:
    if name == "latitude":
        return st.one_of(st.floats(34.9, 35.1), st.floats(-90, 90))
    if name == "longitude":
        return st.one_of(st.floats(135.9, 136.1), st.floats(-180, 180))
    return st.floats(allow_nan=False, allow_infinity=False)


def strategy_for(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """A strategy for values `schema` allows (name is the property's, for realistic strings)."""
    if "$ref" in schema:
        return _ref_strategy(_ref_name(schema["$ref"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "allOf" in schema or "properties" in schema:
        return _object(*_flatten(schema))
    kind = schema.get("type")
    if kind == "array":
        return st.lists(strategy_for(schema.get("items", {}), name), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":  # additionalProperties: a free-form map
        return st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3)
    if kind == "string":
        return _strings(name)
    if kind == "integer":
        return _integers(name)
    if kind == "number":
        return _numbers(name)
    if kind == "boolean":
        return st.booleans()
    return json_values()


@cache
def _ref_strategy(schema_name: str) -> st.SearchStrategy[Any]:
    schema = _schemas()[schema_name]
    discriminator = schema.get("discriminator")
    if discriminator is None:
        return st.deferred(lambda: strategy_for(schema))
    key = discriminator["propertyName"]
    concrete = [_concrete(_ref_name(ref), key, value) for value, ref in sorted(discriminator["mapping"].items())]
    return st.one_of(*concrete)


def _concrete(schema_name: str, key: str, value: str) -> st.SearchStrategy[dict[str, Any]]:
    properties, required = _flatten(_schemas()[schema_name])
    properties[key] = {"enum": [value]}
    return st.deferred(lambda: _object(properties, required | {key}))


def _object(properties: dict[str, Any], required: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: strategy_for(properties[name], name) for name in sorted(required)},
                                 optional={name: strategy_for(properties[name], name)
                                           for name in sorted(set(properties) - required)})


def unknown_event() -> st.SearchStrategy[dict[str, Any]]:
    """An event of a kind LINE may add later: the base Event with a type webhook.yml does not name."""
    known = set(_schemas()["Event"]["discriminator"]["mapping"])
    properties, required = _flatten(_schemas()["Event"])
    properties = {**properties, "type": {"type": "string"}}
    return _object(properties, required).flatmap(
        lambda event: st.text(min_size=1, max_size=50).filter(lambda t: t not in known).map(
            lambda kind: {**event, "type": kind}))


def json_values() -> st.SearchStrategy[Any]:
    """Any small JSON value."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=8)


def events() -> st.SearchStrategy[dict[str, Any]]:
    """One event as webhook.yml describes it (every type), or one of an unknown type.

    Half are the kinds Madoguchi answers, from a citizen's one-to-one chat, so that the worker's
    handlers (not just its "ignored" branch) see most of the fuzz.
    """
    return _evenly(_ref_strategy("Event"), unknown_event(), answered_events(), answered_events())


def _evenly(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Each strategy equally often; st.one_of flattens nested one_ofs, so a 19-way one picks 19 times as often."""
    return st.sampled_from(strategies).flatmap(lambda chosen: chosen)


def answered_events() -> st.SearchStrategy[dict[str, Any]]:
    """A message, postback, follow or unfollow event in active mode from one of USERS."""
    mapping = _schemas()["Event"]["discriminator"]["mapping"]
    source = st.fixed_dictionaries({"type": st.just("user"), "userId": st.sampled_from(USERS)})
    kinds = st.one_of(*(_concrete(_ref_name(mapping[kind]), "type", kind)
                        for kind in ("message", "message", "message", "postback", "postback", "follow", "unfollow")))
    return st.builds(lambda event, user: {**event, "mode": "active", "source": user}, kinds, source)


def valid_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """A CallbackRequest: destination and 0..4 events."""
    return st.fixed_dictionaries({"destination": st.just("U" + "f" * 32), "events": st.lists(events(), max_size=4)})


# --- mutations ------------------------------------------------------------------------------------------

def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if len(prefix) >= MAX_MUTATION_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(value: Any, path: tuple, new: Callable[[Any], Any]) -> Any:
    """A copy of value with the node at path replaced by new(node); new returning _DELETE removes it."""
    if not path:
        return new(value)
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    replaced = _replace(copy[head], rest, new)
    if replaced is _DELETE:
        del copy[head]
    else:
        copy[head] = replaced
    return copy


@st.composite
def mutated_values(draw: st.DrawFn) -> Any:
    """A valid body with one to three of: a node deleted, its type swapped, a field added, a huge or deep value."""
    value = draw(valid_bodies())
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        operation = draw(st.sampled_from(["delete", "swap", "add", "huge", "deep", "duplicate"]))
        if operation == "delete" and path:
            value = _replace(value, path, lambda _node: _DELETE)
        elif operation == "swap":
            odd = draw(st.one_of(st.sampled_from(ODD_VALUES), json_values()))
            value = _replace(value, path, lambda _node: odd)
        elif operation == "add":
            key, extra = draw(st.text(max_size=10)), draw(json_values())
            value = _replace(value, path, lambda node: {**node, key: extra} if isinstance(node, dict) else node)
        elif operation == "huge":
            size = draw(st.sampled_from([65, 301, 5001, 100_000, 1_100_000]))
            value = _replace(value, path, lambda _node: "字" * size)
        elif operation == "deep":
            depth = draw(st.sampled_from([50, 500, 5000]))
            value = _replace(value, path, lambda _node: _nested(depth))
        elif operation == "duplicate":
            value = _replace(value, path, lambda node: node + node[-1:] if isinstance(node, list) else node)
    return value


def _nested(depth: int) -> Any:
    node: Any = "bottom"
    for level in range(depth):
        node = [node] if level % 2 else {"n": node}
    return node


def serialize(value: Any, *, ascii_only: bool = True) -> bytes:
    """JSON bytes as a sender would produce them; NaN stays NaN, lone surrogates become CESU bytes."""
    try:
        return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return b'{"events": "unserialisable"}'


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    """A serialized body, then truncated, flipped, spliced with invalid UTF-8 or text, or garbage altogether."""
    raw = serialize(draw(st.one_of(valid_bodies(), mutated_values())))
    operation = draw(st.sampled_from(["truncate", "flip", "insert", "garbage", "deep", "duplicate_key", "nan"]))
    position = draw(st.integers(0, max(len(raw) - 1, 0)))
    if operation == "truncate":
        return raw[:position]
    if operation == "flip" and raw:
        return raw[:position] + bytes([raw[position] ^ (1 << draw(st.integers(0, 7)))]) + raw[position + 1:]
    if operation == "insert":
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b'"', b"}", b",", b"\\u"]))
        return raw[:position] + junk + raw[position:]
    if operation == "garbage":
        return draw(st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"null", b"[]", b"{}", b"1e999", b'"x"',
                                                                          b'{"events": {}}', b'{"events": [1]}'])))
    if operation == "deep":
        depth = draw(st.sampled_from([1000, 50_000, 400_000]))
        return b'{"destination": "U", "events": [' + b"[" * depth + b"]" * depth + b"]}"
    if operation == "duplicate_key":
        return raw[:1] + b'"events": [], ' + raw[1:] if raw.startswith(b"{") and len(raw) > 2 else raw
    return raw.replace(b"true", b"NaN", 1).replace(b"1", b"Infinity", 1)


def signed_bodies() -> st.SearchStrategy[bytes]:
    """Bodies a correctly signed request may carry: schema-valid, mutated values, mutated bytes."""
    return _evenly(valid_bodies().map(serialize), valid_bodies().map(lambda v: serialize(v, ascii_only=False)),
                   mutated_values().map(serialize), byte_mutations())


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


@st.composite
def unsigned_requests(draw: st.DrawFn, secret: str = SECRET) -> tuple[bytes, str | None]:
    """(body, X-Line-Signature or None) where the signature is certainly wrong for the body."""
    body = draw(signed_bodies())
    kind = draw(st.sampled_from(["missing", "empty", "other_secret", "other_body", "random", "text", "bit"]))
    if kind == "missing":
        return body, None
    if kind == "empty":
        return body, ""
    if kind == "other_secret":
        return body, sign(body, "not-the-" + secret)
    if kind == "other_body":
        return body, sign(body + b" ", secret)
    if kind == "random":
        return body, base64.b64encode(draw(st.binary(min_size=32, max_size=32))).decode("ascii")
    if kind == "text":
        return body, draw(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60))
    good = bytearray(sign(body, secret).encode("ascii"))
    index = draw(st.integers(0, len(good) - 2))  # the last character is "=" padding
    good[index] = ord("A") if good[index] != ord("A") else ord("B")
    return body, good.decode("ascii")


# --- running --------------------------------------------------------------------------------------------

@dataclass
class Tally:
    """What the fuzz run saw."""

    signed: int = 0
    unsigned: int = 0
    signed_status: Counter = field(default_factory=Counter)
    unsigned_status: Counter = field(default_factory=Counter)
    findings: list[dict[str, Any]] = field(default_factory=list)
    exceptions: Counter = field(default_factory=Counter)  # "Type at file:line" of each 5xx's exception
    last_exception: str | None = None

    def note(self, kind: str, status: int, body: bytes, signature: str | None = None) -> None:
        """Keep a few examples of each thing that went wrong (fuzz data, never a citizen's message)."""
        cause = self.last_exception or f"{status} without an exception"
        if status >= 500:
            self.exceptions[cause] += self.last_exception is None  # handled errors (503) are counted too
        same = sum(1 for finding in self.findings if finding["cause"] == cause)
        if len(self.findings) < MAX_FINDINGS and same < FINDINGS_PER_CAUSE:
            self.findings.append({"kind": kind, "status": status, "cause": cause, "bytes": len(body),
                                  "body": body[:FINDING_BYTES].decode("utf-8", "backslashreplace"),
                                  **({"signature": signature} if signature is not None else {})})


def run_examples(strategy: st.SearchStrategy[Any], count: int, test: Callable[[Any], None], *,
                 random_seed: int | None) -> None:
    """Call test on `count` examples of strategy (generation only: nothing fails, so nothing shrinks)."""
    if count <= 0:
        return
    config = settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck), derandomize=random_seed is None)

    @config
    @given(strategy)
    def run(example: Any) -> None:
        test(example)

    (seed(random_seed)(run) if random_seed is not None else run)()


@contextlib.contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """A migrated database of this run's own: SQLite in a temp dir, or a new one on the PostgreSQL server."""
    from bot.migrate import private_postgres_database, upgrade

    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="webhook-fuzz-") as directory:
            url = f"sqlite:///{directory}/fuzz.db"
            upgrade(url)
            yield url
        return
    with private_postgres_database(server_url, f"webhook_fuzz_{os.getpid()}") as url:
        yield url


class _ErrorCounter(logging.Handler):
    """Counts ERROR records by logger instead of printing thousands of expected-looking tracebacks."""

    def __init__(self) -> None:
        # Level NOTSET: with a higher one Flask would think nobody listens and add its own stderr handler.
        super().__init__()
        self.counts: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.counts[record.name] += 1


def fuzz(app: Any, *, signed: int, unsigned: int, random_seed: int | None = None,
         secret: str = SECRET) -> dict[str, Any]:
    """Post the bodies to app's /callback, drain its inbox, and count what went wrong."""
    from core.models import InboxEvent

    rt = app.extensions["madoguchi"]
    client = app.test_client()
    tally = Tally()
    with rt.session_factory() as session:
        stored_before = session.scalar(select(func.count()).select_from(InboxEvent)) or 0

    def post_signed(body: bytes) -> None:
        tally.last_exception = None
        response = client.post("/callback", data=body, headers={"X-Line-Signature": sign(body, secret),
                                                                "Content-Type": "application/json"})
        tally.signed += 1
        tally.signed_status[response.status_code] += 1
        if response.status_code >= 500:
            tally.note("signed_5xx", response.status_code, body)

    def post_unsigned(request: tuple[bytes, str | None]) -> None:
        body, signature = request
        tally.last_exception = None
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        response = client.post("/callback", data=body, headers=headers)
        tally.unsigned += 1
        tally.unsigned_status[response.status_code] += 1
        if response.status_code >= 500 or response.status_code < 400:
            tally.note("unsigned_not_refused", response.status_code, body, signature)

    def on_exception(_sender: Any, exception: BaseException, **_extra: Any) -> None:
        tally.last_exception = where(exception)
        tally.exceptions[tally.last_exception] += 1

    got_request_exception.connect(on_exception, app)
    started = time.monotonic()
    run_examples(unsigned_requests(secret), unsigned, post_unsigned, random_seed=random_seed)
    with rt.session_factory() as session:
        stored_by_unsigned = (session.scalar(select(func.count()).select_from(InboxEvent)) or 0) - stored_before
    run_examples(signed_bodies(), signed, post_signed, random_seed=random_seed)
    posted = time.monotonic()
    escaped = drain(rt.processor, lambda: count_pending(rt))
    with rt.session_factory() as session:
        rows = session.execute(select(InboxEvent.status, InboxEvent.error, InboxEvent.attempts)).all()
    errors = Counter(error for _status, error, _attempts in rows if error)
    statuses = Counter(status.value for status, _error, _attempts in rows)
    five_xx = sum(n for status, n in tally.signed_status.items() if status >= 500)
    five_xx += sum(n for status, n in tally.unsigned_status.items() if status >= 500)
    return {
        "signed": tally.signed,
        "unsigned": tally.unsigned,
        "non_2xx_signed_by_status": {str(k): v for k, v in sorted(tally.signed_status.items()) if not 200 <= k < 300},
        "signed_2xx": sum(n for status, n in tally.signed_status.items() if 200 <= status < 300),
        "unsigned_by_status": {str(k): v for k, v in sorted(tally.unsigned_status.items())},
        "unsigned_accepted": sum(n for status, n in tally.unsigned_status.items() if status < 400),
        "stored_by_unsigned": stored_by_unsigned,
        "responses_5xx": five_xx,
        "accepted_events": len(rows) - stored_before,
        "inbox_by_status": dict(sorted(statuses.items())),
        "processed": sum(1 for _status, _error, attempts in rows if attempts > 0),
        "worker_crashes": sum(errors.values()) + len(escaped),
        # Never even tried: the worker stopped before reaching them (a crash above, or a stall).
        "left_unprocessed": sum(1 for status, _error, attempts in rows if status.value == "pending" and not attempts),
        "worker_errors_by_type": dict(sorted(errors.items())),
        "worker_exceptions_escaped": dict(Counter(escaped)),
        "line_calls": len(getattr(rt.line, "calls", [])),
        "seconds_posting": round(posted - started, 1),
        "seconds": round(time.monotonic() - started, 1),
        "exceptions_5xx": dict(tally.exceptions.most_common()),
        "findings": tally.findings,
    }


def count_pending(rt: Any) -> int:
    """Inbox rows still pending (due now or later)."""
    from core.models import InboxEvent, InboxStatus

    with rt.session_factory() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent)
                              .where(InboxEvent.status == InboxStatus.PENDING)) or 0


def where(exception: BaseException) -> str:
    """`Type at path:line` of the innermost frame in our code (not the library's) that raised it."""
    frames = traceback.extract_tb(exception.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename]
    frame = (ours or frames)[-1]
    place = Path(frame.filename).relative_to(ROOT) if ours else frame.filename
    return f"{type(exception).__name__} at {place}:{frame.lineno}"


def drain(processor: Any, pending: Callable[[], int], *, max_stalls: int = 3) -> list[str]:
    """Run process_next (the worker's loop body) until nothing is due; returns the exceptions that escaped it.

    An escaped exception is what stops `madoguchi worker`'s loop for a second (then it tries again):
    the drain goes on the same way while events still get processed, and gives up after `max_stalls`
    escapes in a row that processed nothing (the worker would be stuck on them for ever).
    """
    escaped: list[str] = []
    stalls, left = 0, pending()
    while stalls < max_stalls:
        try:
            if not processor.process_next():
                break
        except Exception as exc:  # process_next must contain every event's failure: this is a crash
            escaped.append(where(exc))
            now_left = pending()
            stalls = stalls + 1 if now_left >= left else 0
            left = now_left
    return escaped


def build_app(database_url: str) -> Any:
    """Madoguchi on the database with the sample FAQ and the recording LINE; no worker thread (we drain)."""
    from bot.app import create_app
    from core.config import Settings
    from core.db import make_engine, make_session_factory, utcnow
    from core.line_gateway import RecordingLineGateway
    from faq.corpus_csv import read_csv
    from faq.services import import_rows

    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        import_rows(session, read_csv(FAQ_CSV), staff="fuzz", now=utcnow())
    engine.dispose()
    settings = Settings(database_url=database_url, line_channel_secret=SECRET, line_channel_access_token=TOKEN,
                        secret_key="fuzz-secret-key", line_api_base="http://127.0.0.1:9",
                        line_data_api_base="http://127.0.0.1:9", inline_worker=False, admin_secure_cookies=False,
                        media_dir=tempfile.mkdtemp(prefix="webhook-fuzz-media-"))
    return create_app(settings, line=RecordingLineGateway(), start_worker=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signed", type=int, default=10_000, help="correctly signed bodies")
    parser.add_argument("--unsigned", type=int, default=10_000, help="bodies with a bad signature")
    parser.add_argument("--seed", type=int, default=20260408, help="hypothesis seed")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--output", type=Path, default=RESULTS / "webhook_fuzz.json")
    args = parser.parse_args(argv)
    counter = _ErrorCounter()
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [counter]
    try:
        with fresh_database(args.database_url) as url:
            app = build_app(url)
            try:
                result = fuzz(app, signed=args.signed, unsigned=args.unsigned, random_seed=args.seed)
            finally:
                app.extensions["madoguchi"].engine.dispose()
    finally:
        root.handlers = saved
    result = {**result, "database": "postgresql" if args.database_url else "sqlite", "seed": args.seed,
              "error_log_records": dict(counter.counts)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "findings"}, ensure_ascii=False, indent=2))
    return 0 if result["responses_5xx"] == 0 and result["worker_crashes"] == 0 and not result["unsigned_accepted"] \
        else 1


if __name__ == "__main__":
    sys.exit(main())
