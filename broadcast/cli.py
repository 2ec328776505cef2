"""`madoguchi broadcast …` and `madoguchi scheduler`: the staff's broadcast commands until the admin UI exists.

Imports are lazy: `madoguchi broadcast emergency` must reach LINE within a second of Enter.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_THREADS = 8


class _AppendMessage(argparse.Action):
    """Collect --text/--image/--notice/--event into one list, in the order staff typed them."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        items = list(getattr(namespace, "messages", None) or [])
        items.append((self.const, values))
        namespace.messages = items


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add `broadcast` and `scheduler` to the madoguchi command."""
    bc = commands.add_parser("broadcast", help="segmented, scheduled and emergency broadcasts").add_subparsers(
        title="broadcast commands")
    compose = bc.add_parser("compose", help="save a draft (checked against LINE's limits); prints its id and reach")
    compose.add_argument("--title", required=True, help="staff's name for it (not sent)")
    compose.add_argument("--text", action=_AppendMessage, const="text", dest="messages", help="a text message")
    compose.add_argument("--image", action=_AppendMessage, const="image", dest="messages", help="an https image URL")
    compose.add_argument("--notice", action=_AppendMessage, const="notice", dest="messages",
                         help="お知らせ card: 'TITLE|BODY[|URL]'")
    compose.add_argument("--event", action=_AppendMessage, const="event", dest="messages",
                         help="イベント card: 'TITLE|WHEN|PLACE[|BODY[|URL]]'")
    _segment_arguments(compose)
    compose.add_argument("--staff", default="cli")
    compose.set_defaults(run=_compose, messages=[])
    for name, run, text in (("preview", _preview, "show the messages, the segment and how many it reaches"),
                            ("send", _send, "send now (two staff pressing at once still send once)"),
                            ("cancel", _cancel, "cancel a draft or scheduled broadcast")):
        command = bc.add_parser(name, help=text)
        command.add_argument("id", type=int)
        command.set_defaults(run=run)
    test = bc.add_parser("test-send", help="push it to staff's own LINE (BROADCAST_TEST_RECIPIENTS or --to)")
    test.add_argument("id", type=int)
    test.add_argument("--to", action="append", default=[], help="a staff member's LINE user id")
    test.set_defaults(run=_test_send)
    schedule = bc.add_parser("schedule", help="send at a time, once or repeating")
    schedule.add_argument("id", type=int)
    schedule.add_argument("--at", required=True, help="ISO time; without an offset, in BROADCAST_TIMEZONE")
    schedule.add_argument("--repeat", help="daily@07:30, weekly-mon@09:00, monthly-15@10:00, first-monday@09:00")
    schedule.set_defaults(run=_schedule)
    bc.add_parser("list", help="the newest broadcasts").set_defaults(run=_list)
    report = bc.add_parser("report", help="delivery reports (all newest, or the given ids)")
    report.add_argument("ids", type=int, nargs="*")
    report.add_argument("--csv", type=Path, help="write CSV to this file instead of printing")
    report.set_defaults(run=_report)
    _add_sending_commands(bc, commands)


def _add_sending_commands(bc: argparse._SubParsersAction, commands: argparse._SubParsersAction) -> None:
    emergency = bc.add_parser("emergency", help="send an emergency to every follower now, ahead of everything")
    emergency.add_argument("--text", required=True)
    emergency.add_argument("--area", action="append", default=[], help="only this area (repeatable)")
    emergency.add_argument("--staff", default="cli")
    emergency.set_defaults(run=_emergency)
    worker = bc.add_parser("worker", help="deliver planned broadcasts (run as many as you like on PostgreSQL)")
    worker.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    worker.add_argument("--batch", type=int, default=10, help="chunks per transaction")
    worker.add_argument("--until-done", action="store_true",
                        help="stop when nothing is pending (e.g. to finish an emergency whose command was killed)")
    worker.set_defaults(run=_worker)
    commands.add_parser("scheduler", help="run the broadcast scheduler (one per database)").set_defaults(run=_scheduler)


def _segment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", action="append", default=[], help="receives this category (repeatable)")
    parser.add_argument("--area", action="append", default=[], help="lives in this area (repeatable)")
    parser.add_argument("--followed-after", help="YYYY-MM-DD")
    parser.add_argument("--followed-before", help="YYYY-MM-DD")
    parser.add_argument("--language", action="append", default=[])
    parser.add_argument("--emergency", action="store_true", help="ignore preferences (reaches every follower)")


def _database() -> Any:
    from core.config import DEFAULT_DATABASE_URL
    from core.db import make_engine, make_session_factory

    engine = make_engine(os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)
    return engine, make_session_factory(engine)


def _line(settings: Any) -> Any:
    from broadcast.emergency import bulk_client

    return bulk_client(settings)


def _settings() -> Any:
    from core.config import Settings

    return Settings.from_env()


def _message(kind: str, value: str) -> dict:
    from broadcast import compose

    parts = value.split("|")
    if kind == "text":
        return compose.text_message(value)
    if kind == "image":
        return compose.image_message(value)
    if kind == "notice" and 2 <= len(parts) <= 3:
        return compose.notice_flex(*parts)
    if kind == "event" and 3 <= len(parts) <= 5:
        return compose.event_flex(*parts)
    raise compose.ComposeError(f"--{kind} {value!r}: wrong number of |-separated parts")


def _compose(args: argparse.Namespace) -> int:
    from broadcast.compose import ComposeError
    from broadcast.segments import Segment, SegmentError
    from broadcast.services import compose_broadcast, preview
    from core.db import utcnow

    engine, sessions = _database()
    try:
        segment = Segment.from_dict({"categories": args.category, "areas": args.area, "languages": args.language,
                                     "followed_after": args.followed_after, "followed_before": args.followed_before})
        with sessions.begin() as session:
            broadcast = compose_broadcast(session, title=args.title, messages=[_message(k, v) for k, v in args.messages],
                                          segment=segment, is_emergency=args.emergency, created_by=args.staff,
                                          now=utcnow())
            shown = preview(session, broadcast.id)
    except (ComposeError, SegmentError) as exc:
        print(f"not saved: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    _print_preview(shown)
    return 0


def _print_preview(shown: dict) -> None:
    print(f"broadcast {shown['id']} ({shown['status']}): {shown['title']}")
    print(f"  segment: {shown['segment']}")
    print(f"  reaches: {shown['recipients']} followers now")
    if shown["recipients"] == 0:
        print("  nobody matches this segment: sending it would send nothing")
    for number, message in enumerate(shown["messages"], start=1):
        print(f"  message {number}: {json.dumps(message, ensure_ascii=False)[:300]}")


def _preview(args: argparse.Namespace) -> int:
    from broadcast.services import preview

    return _with_session(lambda session: _print_preview(preview(session, args.id)), write=False)


def _send(args: argparse.Namespace) -> int:
    from broadcast.services import send_now
    from core.db import utcnow

    def run(session: Any) -> None:
        chunks = send_now(session, args.id, now=utcnow())
        print(f"broadcast {args.id}: {chunks} chunks planned; workers deliver them" if chunks
              else f"broadcast {args.id}: nobody matches its segment; nothing was sent")

    return _with_session(run)


def _cancel(args: argparse.Namespace) -> int:
    from broadcast.services import cancel

    return _with_session(lambda session: print(f"broadcast {cancel(session, args.id).id} cancelled"))


def _test_send(args: argparse.Namespace) -> int:
    from broadcast.services import send_test

    settings = _settings()
    recipients = args.to or list(settings.broadcast_test_recipients)
    if not recipients:
        print("no staff LINE ids: use --to or set BROADCAST_TEST_RECIPIENTS", file=sys.stderr)
        return 1
    line = _line(settings)
    return _with_session(lambda session: print(f"sent to {send_test(session, line, args.id, recipients)} staff"),
                         write=False)


def _schedule(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from broadcast.services import schedule
    from core.db import utcnow

    at = datetime.fromisoformat(args.at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(_settings_timezone()))

    def run(session: Any) -> None:
        broadcast = schedule(session, args.id, at=at, repeat=args.repeat, now=utcnow())
        print(f"broadcast {broadcast.id} scheduled for {at.isoformat()}" + (f", repeating {args.repeat}" if args.repeat else ""))

    return _with_session(run)


def _settings_timezone() -> str:
    return os.environ.get("BROADCAST_TIMEZONE", "").strip() or "Asia/Tokyo"


def _list(args: argparse.Namespace) -> int:
    from broadcast.services import list_broadcasts

    def run(session: Any) -> None:
        for b in list_broadcasts(session):
            when = b.send_at.isoformat() if b.send_at else ""
            print(f"{b.id:>6}  {b.status.value:<9} {'!' if b.is_emergency else ' '} {b.recipients:>8}  {when:<25} {b.title}")

    return _with_session(run, write=False)


def _report(args: argparse.Namespace) -> int:
    from broadcast.reports import delivery_days, delivery_reports, reports_csv

    def run(session: Any) -> None:
        reports = delivery_reports(session, args.ids or None)
        csv_text = reports_csv(reports, _line_figures(delivery_days(reports)))
        if args.csv:
            args.csv.write_text(csv_text, encoding="utf-8-sig")  # the BOM lets Excel read Japanese titles
            print(f"wrote {args.csv}")
        else:
            print(csv_text, end="")

    return _with_session(run, write=False)


def _line_figures(days: set[Any]) -> dict[Any, Any] | None:
    """LINE's daily figures for the CSV, when the channel's token is configured (else the cells stay empty)."""
    from broadcast.insight import DailyInsights, InsightClient
    from core.config import ConfigurationError

    try:
        settings = _settings()
    except ConfigurationError:
        return None
    client = InsightClient(access_token=settings.line_channel_access_token, api_base=settings.line_api_base)
    return DailyInsights(client).figures(days) if days else {}


def _with_session(run: Any, *, write: bool = True) -> int:
    from broadcast.compose import ComposeError
    from broadcast.recurrence import RecurrenceError
    from broadcast.services import BroadcastError

    engine, sessions = _database()
    try:
        with (sessions.begin() if write else sessions()) as session:
            run(session)
    except (BroadcastError, ComposeError, RecurrenceError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _emergency(args: argparse.Namespace) -> int:
    from broadcast.emergency import run_emergency

    return run_emergency(_settings(), text=args.text, areas=args.area, staff=args.staff)


def _worker(args: argparse.Namespace) -> int:
    from broadcast.emergency import run_worker

    return run_worker(_settings(), threads=args.threads, batch=args.batch, until_done=args.until_done)


def _scheduler(args: argparse.Namespace) -> int:
    from bot.scheduler import run_scheduler

    engine, sessions = _database()
    try:
        return run_scheduler(sessions, engine, timezone=_settings_timezone())
    finally:
        engine.dispose()
