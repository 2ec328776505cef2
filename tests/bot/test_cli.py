"""The `madoguchi` command: migrations and FAQ import/export on a real database."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from bot.cli import main
from bot.migrate import downgrade, upgrade
from bot.scheduler import JOB_TABLE, BroadcastScheduler
from core.db import make_engine, make_session_factory
from faq.corpus_csv import read_csv
from faq.models import FaqEntry
from tests.conftest import TEST_CORPUS


@pytest.fixture
def fresh_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _count_entries(url: str) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        count = session.scalar(select(func.count()).select_from(FaqEntry)) or 0
    engine.dispose()
    return count


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_db_upgrade_creates_every_table(fresh_sqlite: str) -> None:
    assert main(["db", "upgrade"]) == 0
    tables = _table_names(fresh_sqlite)
    assert {"line_users", "webhook_inbox", "message_log", "faq_entries", "question_log"} <= tables


def test_migrations_go_down_to_nothing_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    assert _table_names(database_url) <= {"alembic_version"}
    upgrade(database_url)
    assert "webhook_inbox" in _table_names(database_url)


def test_going_down_to_nothing_also_drops_the_schedulers_job_store(database_url: str) -> None:
    engine = make_engine(database_url)
    scheduler = BroadcastScheduler(make_session_factory(engine), engine, sync_seconds=3600)
    scheduler.start()  # the job store creates its table
    scheduler.shutdown()
    engine.dispose()
    assert JOB_TABLE in _table_names(database_url)
    downgrade(database_url, "base")
    assert _table_names(database_url) <= {"alembic_version"}


def test_faq_import_then_export_round_trips(fresh_sqlite: str, tmp_path: Path, capsys) -> None:
    main(["db", "upgrade"])
    assert main(["faq", "import", str(TEST_CORPUS)]) == 0
    assert "11 new" in capsys.readouterr().out
    exported = tmp_path / "out.csv"
    assert main(["faq", "export", str(exported)]) == 0
    assert read_csv(exported) == sorted(read_csv(TEST_CORPUS), key=lambda row: row.id)


def test_a_file_with_a_broken_row_imports_nothing_and_names_the_row(fresh_sqlite: str, tmp_path: Path, capsys) -> None:
    main(["db", "upgrade"])
    lines = TEST_CORPUS.read_text(encoding="utf-8-sig").splitlines()
    lines[4] = "t-broken,税,,回答だけ,,,1"
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert main(["faq", "import", str(broken)]) == 1
    assert "row 5: question が空です" in capsys.readouterr().err
    assert _count_entries(fresh_sqlite) == 0


def test_serving_without_secrets_fails_with_a_clear_message(monkeypatch, capsys) -> None:
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY", "MADOGUCHI_DEMO"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    assert "LINE_CHANNEL_SECRET" in capsys.readouterr().err


def test_stats_prints_the_cities_table_and_json(fresh_sqlite: str, capsys) -> None:
    import json
    from datetime import datetime, timezone

    from faq.models import QuestionLog, QuestionOutcome

    main(["db", "upgrade"])
    engine = make_engine(fresh_sqlite)
    with make_session_factory(engine).begin() as session:
        for outcome in (QuestionOutcome.ANSWERED, QuestionOutcome.ANSWERED, QuestionOutcome.UNANSWERED,
                        QuestionOutcome.MEANINGLESS):
            # 2026-03-31 20:00 UTC is already April in Japan: it counts in April.
            session.add(QuestionLog(text="質問", outcome=outcome, confidence=0.5,
                                    created_at=datetime(2026, 3, 31, 20, tzinfo=timezone.utc)))
    engine.dispose()
    capsys.readouterr()
    assert main(["stats", "--from", "2026-04-01", "--to", "2026-04-30", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["total_questions"], stats["meaningful"], stats["unanswered"]) == (4, 3, 1)
    assert stats["answer_rate"] == round(2 / 3, 4)
    assert [m["month"] for m in stats["by_month"]] == ["2026-04"]
    assert main(["stats", "--by", "month"]) == 0
    table = capsys.readouterr().out
    assert any(line.startswith("回答率 ") and line.endswith("66.67%") for line in table.splitlines())
    assert "2026-04" in table


def test_faq_eval_prints_the_agreed_keys_for_a_corpus_and_questions(tmp_path: Path, capsys) -> None:
    import json

    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "1", "text": "粗大ごみを出したい", "kind": "answerable", "faq_ids": ["t-gomi-001"]},
        {"id": "2", "text": "住民票の写しがほしい", "kind": "answerable", "faq_ids": ["t-jumin-001"]},
        {"id": "3", "text": "宇宙ステーションへの行き方", "kind": "unanswerable", "faq_ids": []},
        {"id": "4", "text": "ありがとう！", "kind": "meaningless", "faq_ids": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert main(["faq", "eval", "--corpus", str(TEST_CORPUS), "--questions", str(questions), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"p_at_1", "sr_at_3", "sr_at_5", "mrr", "answer_rate", "answered_precision",
                           "unanswerable_recall", "meaningless_precision", "meaningless_recall",
                           "latency_ms_p50", "latency_ms_p99", "n"}
    assert result["n"] == 4 and result["meaningless_recall"] == 1.0
    assert 0.0 <= result["p_at_1"] <= result["sr_at_3"] <= result["sr_at_5"] <= 1.0
