"""The `madoguchi` command: migrations and FAQ import/export on a real database."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from bot.cli import main
from bot.migrate import downgrade, upgrade
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
    assert "row 5: question is empty" in capsys.readouterr().err
    assert _count_entries(fresh_sqlite) == 0


def test_serving_without_secrets_fails_with_a_clear_message(monkeypatch, capsys) -> None:
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY", "MADOGUCHI_DEMO"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    assert "LINE_CHANNEL_SECRET" in capsys.readouterr().err
