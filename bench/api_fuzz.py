"""API fuzzing: `python -m bench.api_fuzz --json` runs schemathesis over docs/openapi.yaml.

The description is loaded the way an integrator gets it, from GET /api/openapi.yaml of an in-process
Madoguchi (schemathesis' WSGI transport, no sockets) on a fresh migrated database (SQLite in a temp
dir, or a new one on the PostgreSQL server given by --database-url) with the sample FAQ, one public
damage report, an Open311 API key and no web chat rate limit. Every operation is called with
schemathesis' positive (schema-valid) and negative (schema-violating) examples. Random values rarely
get past "forbidden" and "not found", so a third of the calls are made realistic: the generated
Origin dropped, and a visitor's session, question ids, FAQ ids, service codes, request ids and the API
key that exist put in (see _tweak), so the views themselves see most of the fuzz.

Checks: not_a_server_error on every response (the benchmark's figure: server_errors), plus
status_code_conformance, content_type_conformance, response_headers_conformance and
response_schema_conformance (the description matches what the code answers). Writes
bench/results/api_fuzz.json.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis.errors import Unsatisfiable
import schemathesis
from schemathesis import checks as builtin_checks
from schemathesis.errors import FailureGroup
from schemathesis.generation import GenerationMode
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
FAQ_CSV = ROOT / "faq" / "sample" / "minato_faq.csv"
API_KEY = "fuzz-open311-key"
SPEC_URL = "/api/openapi.yaml"
MAX_FINDINGS = 20


def build_app(database_url: str) -> Any:
    """Madoguchi with the sample FAQ, one submitted report, an Open311 key and no web chat rate limit."""
    from bot.app import create_app
    from core.config import Settings
    from core.db import make_engine, make_session_factory, utcnow
    from core.line_gateway import RecordingLineGateway
    from faq.corpus_csv import read_csv
    from faq.services import import_rows

    settings = Settings(database_url=database_url, line_channel_secret="fuzz-secret", line_channel_access_token="t",
                        secret_key="fuzz-secret-key", line_api_base="http://127.0.0.1:9",
                        line_data_api_base="http://127.0.0.1:9", inline_worker=False, admin_secure_cookies=False,
                        media_dir=tempfile.mkdtemp(prefix="api-fuzz-media-"), webchat_rate_limit=0,
                        open311_api_keys=(API_KEY,))
    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        import_rows(session, read_csv(FAQ_CSV), staff="fuzz", now=utcnow())
    engine.dispose()
    app = create_app(settings, line=RecordingLineGateway(), start_worker=False)
    seed_report(app)
    return app


def seed_report(app: Any) -> None:
    """One public report, so that GET /open311/v2/requests… has something to answer with."""
    from reports.config import report_config
    from reports.services import create_external_report

    rt = app.extensions["madoguchi"]
    config = report_config(rt.settings)
    category = config.catalogue.categories[0]
    with rt.session_factory.begin() as session:
        create_external_report(session, config, category_code=category.code, point=None, address="みなと市役所前",
                               description="", now=rt.clock() - timedelta(days=1))


def fuzz(app: Any, *, examples: int, random_seed: int | None = None,
         checks: list[str] | None = None) -> dict[str, Any]:
    """Run schemathesis over every operation of the served description; count requests and failures."""
    chosen = checks or DEFAULT_CHECKS
    check_functions = [getattr(builtin_checks, name) for name in chosen]
    schema = schemathesis.openapi.from_wsgi(SPEC_URL, app)
    tally = _Tally(known_ids(app))
    operations = [result.ok() for result in schema.get_all_operations()]
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.method.upper()} {operation.path}"
            test = tally.test(label, mode.value, check_functions)
            try:
                _run(given(case=operation.as_strategy(generation_mode=mode), data=st.data())(test), examples,
                     random_seed)
            except Unsatisfiable:  # nothing of the operation can be made invalid (only optional strings)
                tally.unsatisfiable.append(f"{mode.value} {label}")
    requests, statuses, failures = tally.requests, tally.statuses, tally.failures
    server_errors, findings = tally.server_errors, tally.findings
    return {
        "operations": len(operations),
        "requests": sum(requests.values()),
        "requests_by_operation": dict(sorted(requests.items())),
        "responses_by_status": {str(k): v for k, v in sorted(statuses.items())},
        "responses_by_operation_and_status": dict(sorted(tally.by_operation.items())),
        "server_errors": server_errors,
        "failures": sum(failures.values()),
        "failures_by_check": dict(failures.most_common()),
        "checks": chosen,
        "generation_modes": ["positive", "negative"],
        "no_examples_possible": tally.unsatisfiable,
        "examples_per_operation_and_mode": examples,
        "seconds": round(time.monotonic() - started, 1),
        "findings": findings,
    }


class _Tally:
    """Requests, statuses and check failures over the whole run."""

    def __init__(self, known: Known) -> None:
        self.known = known
        self.requests: Counter = Counter()
        self.statuses: Counter = Counter()
        self.failures: Counter = Counter()
        self.by_operation: Counter = Counter()  # "METHOD path status" → responses
        self.server_errors = 0
        self.findings: list[dict[str, Any]] = []
        self.unsatisfiable: list[str] = []

    def test(self, label: str, mode: str, checks: list[Any]) -> Any:
        """The body of one operation's hypothesis test: call, count, check (a failure is counted, not raised)."""
        def call(case: Any, data: st.DataObject) -> None:
            _tweak(case, data, self.known)
            response = case.call()
            self.requests[label] += 1
            self.statuses[response.status_code] += 1
            self.by_operation[f"{label} {response.status_code}"] += 1
            self.server_errors += response.status_code >= 500
            try:
                case.validate_response(response, checks=checks)
            except (FailureGroup, AssertionError) as exc:  # a group of Failures, or one (an AssertionError)
                for failure in getattr(exc, "exceptions", [exc]):
                    name = getattr(failure, "title", type(failure).__name__)
                    self.failures[f"{label}: {name}"] += 1
                    if len(self.findings) < MAX_FINDINGS:
                        self.findings.append({"operation": label, "mode": mode, "failure": name,
                                              "status": response.status_code, "detail": str(failure)[:400],
                                              "request": case.as_curl_command()[:600]})
        return call


DEFAULT_CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
                  "response_headers_conformance", "response_schema_conformance"]


@dataclass(frozen=True)
class Known:
    """Ids that exist in the fuzzed database, for calls that should reach past "not found"."""

    session_id: str
    question_ids: tuple[int, ...]
    faq_ids: tuple[str, ...]
    service_codes: tuple[str, ...]
    request_ids: tuple[str, ...]


def _tweak(case: Any, data: st.DataObject, known: Known) -> None:
    """Make a third of the calls realistic: no foreign Origin, this visitor's ids, codes and ids that exist."""
    if data.draw(st.integers(0, 2), label="realistic") != 0:
        return
    if case.headers:
        case.headers.pop("Origin", None)
    pick = lambda values, label: data.draw(st.sampled_from(values), label=label)  # noqa: E731
    if case.path_parameters:
        if "service_code" in case.path_parameters:
            case.path_parameters["service_code"] = pick(known.service_codes, "service_code")
        if "service_request_id" in case.path_parameters:
            case.path_parameters["service_request_id"] = pick(known.request_ids, "service_request_id")
    if case.path.startswith("/api/chat") and case.method.upper() == "GET":
        case.query = {**(case.query or {}), "session_id": known.session_id}
    if not isinstance(case.body, dict):
        return
    if case.path.startswith("/api/chat"):
        case.body["session_id"] = known.session_id
        if "question_id" in case.body:
            case.body["question_id"] = pick(known.question_ids, "question_id")
        if "faq_id" in case.body:
            case.body["faq_id"] = pick(known.faq_ids, "faq_id")
    elif case.method.upper() == "POST":  # Open311: the key, a real service, a point in the city
        case.body.update(api_key=API_KEY, service_code=pick(known.service_codes, "service_code"))
        if data.draw(st.booleans(), label="point"):
            case.body.update(lat="35.0", long="136.0")


def known_ids(app: Any) -> Known:
    """Ask a few questions as one visitor (an answer, candidates, an apology) and collect what exists."""
    from reports.config import report_config
    from reports.models import Report

    rt = app.extensions["madoguchi"]
    client = app.test_client()
    session_id = "fuzz-visitor-0000000000000000"
    question_ids = []
    for text in ("粗大ごみの出し方", "ごみ", "宇宙ステーションの見学予約", "住民票"):
        answer = client.post("/api/chat", json={"session_id": session_id, "text": text}).get_json()
        question_ids.append(answer["question_id"])
    with rt.session_factory() as session:
        request_ids = tuple(r for r in session.scalars(select(Report.receipt_number)) if r)
    catalogue = report_config(rt.settings).catalogue
    faq_ids = tuple(sorted(doc.id for doc in rt.answerer.index))[:50]
    return Known(session_id=session_id, question_ids=tuple(question_ids), faq_ids=faq_ids,
                 service_codes=tuple(c.code for c in catalogue.categories), request_ids=request_ids + ("no-such-id",))


def _run(test: Any, examples: int, random_seed: int | None) -> None:
    config = settings(max_examples=examples, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck), derandomize=random_seed is None)
    test = config(test)
    (seed(random_seed)(test) if random_seed is not None else test)()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="examples per operation and generation mode")
    parser.add_argument("--seed", type=int, default=20260408, help="hypothesis seed")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--output", type=Path, default=RESULTS / "api_fuzz.json")
    args = parser.parse_args(argv)
    from bench.webhook_fuzz import fresh_database

    logging.disable(logging.ERROR)  # the views' own error logs; 5xx are counted from the responses
    with fresh_database(args.database_url) as url:
        app = build_app(url)
        try:
            result = fuzz(app, examples=args.examples, random_seed=args.seed)
        finally:
            app.extensions["madoguchi"].engine.dispose()
    result = {**result, "seed": args.seed, "database": "postgresql" if args.database_url else "sqlite"}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary = result if args.json else {k: v for k, v in result.items() if k != "findings"}
    print(json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2))
    return 0 if result["server_errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
