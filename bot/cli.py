"""The `madoguchi` command: db, faq, emulator, serve, demo."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.config import DEFAULT_DATABASE_URL, ConfigurationError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin, every start
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

    serve = commands.add_parser("serve", help="serve the webhook with the inline worker (development server)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="run everything locally: SQLite, emulator, sample FAQ")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--emulator-port", type=int, default=8001)
    demo.add_argument("--host", default="127.0.0.1")
    demo.set_defaults(run=_demo)
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
    from bot.app import create_app

    app = create_app(Settings.from_env())
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(host=args.host, port=args.port, emulator_port=args.emulator_port)


if __name__ == "__main__":
    sys.exit(main())
