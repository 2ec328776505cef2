"""`madoguchi reports export`: CSV (Excel) or GeoJSON (a public map) of reports, without personal data."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from core.clock import JST


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add `reports` to the madoguchi command."""
    reports = commands.add_parser("reports", help="damage reports").add_subparsers(title="reports commands")
    export = reports.add_parser("export", help="export reports as CSV (Excel) or GeoJSON (a map); no personal data")
    export.add_argument("--format", choices=["csv", "geojson"], default="csv")
    export.add_argument("--from", dest="start", type=_day, help="first day submitted, YYYY-MM-DD (inclusive)")
    export.add_argument("--to", dest="end", type=_day, help="last day submitted, YYYY-MM-DD (inclusive)")
    export.add_argument("--category", action="append", default=[], help="a category code (repeatable)")
    export.add_argument("--status", action="append", default=[], help="received, in_progress, resolved, … (repeatable)")
    export.add_argument("--out", type=Path, help="the file to write (default: standard output)")
    export.set_defaults(run=run_export)


def _day(value: str) -> datetime:
    """YYYY-MM-DD as the start of that day in Japan."""
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=JST)


def run_export(args: argparse.Namespace) -> int:
    """Write the export; the CLI owns the (read-only) transaction."""
    from core.config import DEFAULT_DATABASE_URL
    from core.db import make_engine, make_session_factory
    from reports.catalogue import DEFAULT_CATALOGUE, load_catalogue
    from reports.export import ExportFilter, export_rows, geojson_bytes, to_csv
    from reports.status import ReportStatus

    try:
        statuses = tuple(ReportStatus(value) for value in args.status)
    except ValueError:
        print(f"--status must be one of {', '.join(s.value for s in ReportStatus)}", file=sys.stderr)
        return 2
    categories_file = os.environ.get("REPORT_CATEGORIES_FILE", "").strip()
    catalogue = load_catalogue(categories_file) if categories_file else DEFAULT_CATALOGUE
    selection = ExportFilter(start=args.start, end=args.end + timedelta(days=1) if args.end else None,
                             category_codes=tuple(args.category), statuses=statuses)
    engine = make_engine(os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)
    with make_session_factory(engine)() as session:
        rows = export_rows(session, catalogue, selection)
    engine.dispose()
    data = to_csv(rows) if args.format == "csv" else geojson_bytes(rows)
    if args.out:
        args.out.write_bytes(data)
        print(f"exported {len(rows)} reports to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0
