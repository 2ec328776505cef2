"""The `madoguchi` command: db, faq, emulator, serve, demo."""
from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from datetime import datetime, timedelta
from collections.abc import Sequence
from pathlib import Path

from core.clock import JST
from core.log_format import configure_logging
from core.config import DEFAULT_DATABASE_URL, ConfigurationError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("MADOGUCHI_LOG_FORMAT", "text"))
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi", description="Madoguchi: the backend of a city's LINE account.")
    commands = parser.add_subparsers(title="commands")

    db = commands.add_parser("db", help="database migrations").add_subparsers(title="db commands")
    up = db.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(run=_db_upgrade)
    down = db.add_parser("downgrade", help="migrate the database back to a revision")
    down.add_argument("revision")
    down.set_defaults(run=_db_downgrade)
    db.add_parser("current", help="show the database's revision").set_defaults(run=_db_current)

    faq = commands.add_parser("faq", help="the FAQ corpus").add_subparsers(title="faq commands")
    imp = faq.add_parser("import", help="import a corpus CSV (all rows or none)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--staff", default="cli", help="who is recorded as having made the change")
    imp.set_defaults(run=_faq_import)
    exp = faq.add_parser("export", help="export the corpus as CSV")
    exp.add_argument("file", type=Path)
    exp.set_defaults(run=_faq_export)
    ev = faq.add_parser("eval", help="measure the answer engine on a corpus and a questions file")
    ev.add_argument("--corpus", type=Path, required=True, help="project CSV or LocalgovFAQ corpus.json")
    ev.add_argument("--questions", type=Path, required=True, help="JSON lines: id, text, kind, faq_ids")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.set_defaults(run=_faq_eval)

    emu = commands.add_parser("emulator", help="run the local LINE Platform emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8001)
    emu.add_argument("--webhook-url", default="http://127.0.0.1:8000/callback")
    emu.set_defaults(run=_emulator)

    serve = commands.add_parser("serve", help="serve the webhook, admin and web chat (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    staff = commands.add_parser("staff", help="staff accounts of the admin").add_subparsers(title="staff commands")
    create = staff.add_parser("create", help="add a staff account (the first one should be an admin)")
    create.add_argument("--login", required=True)
    create.add_argument("--name", required=True, help="the name shown in the admin and on replies")
    create.add_argument("--role", choices=["admin", "editor", "handler", "viewer"], default="admin")
    create.add_argument("--department", default="", help="for handlers: the department whose cases they work")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(run=_staff_create)

    privacy = commands.add_parser("privacy", help="personal data: retention, disclosure and deletion requests")
    privacy_commands = privacy.add_subparsers(title="privacy commands")
    privacy_commands.add_parser("purge", help="delete what the retention policy no longer allows to keep") \
        .set_defaults(run=_privacy_purge)
    for name, run, text in (("export", _privacy_export, "print everything kept about one citizen (開示請求) as JSON"),
                            ("delete", _privacy_delete, "erase one citizen's personal data (削除請求)")):
        command = privacy_commands.add_parser(name, help=text)
        command.add_argument("line_user_id")
        command.set_defaults(run=run)

    stats = commands.add_parser("stats", help="the answer statistics cities publish (回答率 …)")
    stats.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (inclusive)")
    stats.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (inclusive)")
    stats.add_argument("--by", choices=["month"], help="also print month by month")
    stats.add_argument("--channel", choices=["line", "web"], help="only questions from this channel")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(run=_stats)

    worker = commands.add_parser("worker", help="answer events, push replies and deliver broadcasts (production)")
    worker.add_argument("--delivery-threads", type=int, default=2, help="threads sending broadcast chunks")
    worker.set_defaults(run=_worker)

    demo = commands.add_parser("demo", help="run everything locally: SQLite, emulator, sample FAQ")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--emulator-port", type=int, default=8001)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--line-api", help="use the LINE emulator already running at this URL instead of embedding one")
    demo.set_defaults(run=_demo)

    richmenu = commands.add_parser("richmenu", help="the LINE rich menu").add_subparsers(title="richmenu commands")
    menu_help = "main, maintenance, or a path to a definition .json file (default: main)"
    render = richmenu.add_parser("render", help="draw a menu's image to a PNG file (to look at before deploying)")
    render.add_argument("--menu", default="main", help=menu_help)
    render.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    render.add_argument("--font", type=Path, help="a font with Japanese glyphs (default: the packaged Noto Sans JP)")
    render.set_defaults(run=_richmenu_render)
    deploy = richmenu.add_parser("deploy", help="create the menu at LINE with its image; print its id")
    deploy.add_argument("--menu", default="main", help=menu_help)
    deploy.add_argument("--default", action=argparse.BooleanOptionalAction, default=None,
                        help="make it the default menu (default: yes for main, no for maintenance)")
    deploy.add_argument("--font", type=Path, help="a font with Japanese glyphs (default: the packaged Noto Sans JP)")
    deploy.set_defaults(run=_richmenu_deploy)
    richmenu.add_parser("list", help="list the menus at LINE; * marks the default").set_defaults(run=_richmenu_list)
    swap = richmenu.add_parser("swap", help="make a deployed menu the default (e.g. maintenance, then main)")
    swap.add_argument("menu", help=menu_help)
    swap.set_defaults(run=_richmenu_swap)
    from broadcast.cli import add_commands as add_broadcast_commands  # `broadcast …` and `scheduler`
    from reports.cli import add_commands as add_report_commands  # `reports export`

    add_broadcast_commands(commands)
    add_report_commands(commands)
    return parser


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.migrate import upgrade

    upgrade(_database_url(), args.revision)
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from bot.migrate import downgrade

    downgrade(_database_url(), args.revision)
    return 0


def _db_current(args: argparse.Namespace) -> int:
    from bot.migrate import current

    current(_database_url())
    return 0


def _database_url() -> str:
    # Migrations and imports need only the database, not LINE's secrets.
    return os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def _faq_import(args: argparse.Namespace) -> int:
    from core.db import make_engine, make_session_factory, utcnow
    from faq.corpus_csv import CorpusFormatError, read_csv
    from faq.services import import_rows

    try:
        rows = read_csv(args.file)
    except CorpusFormatError as exc:
        for error in exc.errors:
            print(f"{args.file}: row {error.row}: {error.message}", file=sys.stderr)
        print(f"nothing imported ({len(exc.errors)} problem(s))", file=sys.stderr)
        return 1
    engine = make_engine(_database_url())
    with make_session_factory(engine).begin() as session:
        summary = import_rows(session, rows, staff=args.staff, now=utcnow())
    engine.dispose()
    print(f"imported {len(rows)} rows: {summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged")
    return 0


def _faq_export(args: argparse.Namespace) -> int:
    from core.db import make_engine, make_session_factory
    from faq.corpus_csv import write_csv
    from faq.services import export_rows

    engine = make_engine(_database_url())
    with make_session_factory(engine)() as session:
        rows = export_rows(session)
    engine.dispose()
    args.file.write_bytes(write_csv(rows))
    print(f"exported {len(rows)} rows to {args.file}")
    return 0


def _faq_eval(args: argparse.Namespace) -> int:
    from faq.corpus_files import load_documents_file
    from faq.evaluate import evaluate, load_questions_jsonl

    result = evaluate(load_documents_file(args.corpus), load_questions_jsonl(args.questions))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value:.4f}" if isinstance(value, float) else f"{key:>22}: {value}")
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from emulator.app import EmulatorConfig, serve

    settings = Settings.from_env({**os.environ, "MADOGUCHI_DEMO": "1"})
    serve(EmulatorConfig(channel_secret=settings.line_channel_secret,
                         channel_access_token=settings.line_channel_access_token,
                         webhook_url=args.webhook_url, public_base_url=f"http://{args.host}:{args.port}"),
          host=args.host, port=args.port)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    serve(Settings.from_env(), host=args.host, port=args.port)
    return 0


def _staff_create(args: argparse.Namespace) -> int:
    import getpass

    from admin.accounts import AccountError, create_staff
    from admin.models import Role
    from core.db import make_engine, make_session_factory, utcnow

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("パスワード: ")
        if getpass.getpass("もう一度: ") != password:
            print("パスワードが一致しません。", file=sys.stderr)
            return 1
    engine = make_engine(_database_url())
    try:
        with make_session_factory(engine).begin() as session:
            staff = create_staff(session, login=args.login, display_name=args.name, password=password,
                                 role=Role(args.role), department=args.department, now=utcnow())
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"staff account {staff.login} ({staff.role.value}) created")
    return 0


def _privacy_purge(args: argparse.Namespace) -> int:
    from bot.privacy import RetentionPolicy, media_storage_from_env, purge_expired
    from core.db import utcnow

    env = dict(os.environ)
    counts = _in_transaction(lambda session: purge_expired(session, RetentionPolicy.from_env(env),
                                                           media_storage_from_env(env), now=utcnow()))
    print(json.dumps(counts))
    return 0


def _privacy_export(args: argparse.Namespace) -> int:
    from bot.privacy import export_citizen

    print(json.dumps(_in_transaction(lambda session: export_citizen(session, args.line_user_id)),
                     ensure_ascii=False, indent=2))
    return 0


def _privacy_delete(args: argparse.Namespace) -> int:
    from bot.privacy import delete_citizen, media_storage_from_env
    from core.db import utcnow

    storage = media_storage_from_env(os.environ)
    counts = _in_transaction(lambda session: delete_citizen(session, args.line_user_id, storage, now=utcnow()))
    print(json.dumps(counts))
    return 0


def _in_transaction(work):  # type: ignore[no-untyped-def]
    """Run work(session) in one transaction on the configured database."""
    from core.db import make_engine, make_session_factory

    engine = make_engine(_database_url())
    try:
        with make_session_factory(engine).begin() as session:
            return work(session)
    finally:
        engine.dispose()


def _date(value: str) -> datetime:
    """YYYY-MM-DD as the start of that day in Japan (cities count their days in JST)."""
    day = datetime.strptime(value, "%Y-%m-%d")
    return day.replace(tzinfo=JST)


def _stats(args: argparse.Namespace) -> int:
    from core.db import make_engine, make_session_factory
    from faq.stats import question_stats

    end = args.end + timedelta(days=1) if args.end else None
    engine = make_engine(_database_url())
    with make_session_factory(engine)() as session:
        stats = question_stats(session, start=args.start, end=end, channel=args.channel)
    engine.dispose()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        print(format_stats_table(stats, by_month=args.by == "month"))
    return 0


def format_stats_table(stats: dict, *, by_month: bool) -> str:
    """The statistics as the table cities publish."""
    rows = [("全質問数", f"{stats['total_questions']:,}"), ("無意味と判断された質問", f"{stats['meaningless']:,}"),
            ("応答数", f"{stats['meaningful']:,}"), ("返答できなかった数", f"{stats['unanswered']:,}"),
            ("回答率", _rate(stats["answer_rate"])), ("役に立った率", _rate(stats["helpful_rate"])),
            ("友だち", f"{stats['friends']:,}（期間中の追加 {stats['new_follows']:,}、ブロック {stats['blocks']:,}）")]
    lines = [f"{_pad(label, 24)}{value:>10}" for label, value in rows]
    if by_month:
        lines.append("")
        lines.append("月        全質問数  無意味  応答数  返答できなかった数  回答率")
        lines += [f"{m['month']}  {m['total_questions']:>8,}  {m['meaningless']:>6,}  {m['meaningful']:>6,}  "
                  f"{m['unanswered']:>18,}  {_rate(m['answer_rate']):>7}" for m in stats["by_month"]]
    if stats["top_unanswered"]:
        lines += ["", "返答できなかった質問（多い順）"]
        lines += [f"  {item['count']:>5,}  {item['text']}" for item in stats["top_unanswered"]]
    return "\n".join(lines)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _pad(label: str, width: int) -> str:
    # Full-width characters take two columns in a terminal.
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in label)
    return label + " " * max(width - used, 1)


def _worker(args: argparse.Namespace) -> int:
    from bot.worker import run_worker

    return run_worker(Settings.from_env(), delivery_threads=args.delivery_threads)


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(host=args.host, port=args.port, emulator_port=args.emulator_port, line_api=args.line_api)



def _richmenu_render(args: argparse.Namespace) -> int:
    from bot.richmenu.definition import RichMenuDefinitionError, load_menu
    from bot.richmenu.render import RichMenuImageError, find_font, render

    try:
        image = render(load_menu(args.menu), font=find_font(args.font))
    except (RichMenuDefinitionError, RichMenuImageError) as exc:
        print(exc, file=sys.stderr)
        return 1
    args.out.write_bytes(image)
    print(f"wrote {args.out} ({len(image)} bytes)")
    return 0


def _richmenu_deploy(args: argparse.Namespace) -> int:
    from bot.richmenu.definition import RichMenuDefinitionError, load_menu
    from bot.richmenu.deploy import RichMenuDeployError, deploy, gateway_from_settings
    from bot.richmenu.render import RichMenuImageError, find_font, render
    from core.line_gateway import LineApiError

    # Only the maintenance menu waits in reserve: deploy it ahead of time, swap it in when needed.
    make_default = args.default if args.default is not None else args.menu != "maintenance"
    line = gateway_from_settings(Settings.from_env())  # missing secrets fail before anything is drawn
    try:
        definition = load_menu(args.menu)
        rich_menu_id = deploy(line, definition, render(definition, font=find_font(args.font)), make_default=make_default)
    except (RichMenuDefinitionError, RichMenuImageError, RichMenuDeployError, LineApiError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(rich_menu_id)  # alone on stdout, for scripts; the explanation goes to stderr
    how = "the default" if make_default else f"not the default (madoguchi richmenu swap {args.menu})"
    print(f"deployed {definition.line_name}: {how}", file=sys.stderr)
    return 0


def _richmenu_list(args: argparse.Namespace) -> int:
    from bot.richmenu.deploy import gateway_from_settings, list_deployed
    from core.line_gateway import LineApiError

    try:
        menus = list_deployed(gateway_from_settings(Settings.from_env()))
    except LineApiError as exc:
        print(exc, file=sys.stderr)
        return 1
    for menu in menus:
        print(f"{'*' if menu.is_default else ' '} {menu.rich_menu_id}  {menu.line_name}  {menu.chat_bar_text}")
    if not menus:
        print("no rich menus at LINE (madoguchi richmenu deploy)")
    return 0


def _richmenu_swap(args: argparse.Namespace) -> int:
    from bot.richmenu.definition import RichMenuDefinitionError, load_menu
    from bot.richmenu.deploy import RichMenuDeployError, gateway_from_settings, swap
    from core.line_gateway import LineApiError

    try:
        rich_menu_id = swap(gateway_from_settings(Settings.from_env()), load_menu(args.menu).name)
    except (RichMenuDefinitionError, RichMenuDeployError, LineApiError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(rich_menu_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
