"""FAQ services on a real database: imports update by id, keep what staff taught, feed the engine."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from faq.corpus_csv import read_csv
from faq.models import FaqEntry, FaqParaphrase
from faq.services import export_rows, import_rows, list_categories, load_documents, questions_in_category
from tests.conftest import FIXED_NOW, TEST_CORPUS


def test_importing_twice_changes_nothing_the_second_time(session_factory) -> None:
    rows = read_csv(TEST_CORPUS)
    with session_factory.begin() as session:
        first = import_rows(session, rows, staff="suzuki", now=FIXED_NOW)
    with session_factory.begin() as session:
        second = import_rows(session, rows, staff="suzuki", now=FIXED_NOW)
    assert (first.created, first.updated, first.unchanged) == (len(rows), 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(rows))


def test_a_changed_row_raises_the_version_and_records_who(session_factory, seeded_faq) -> None:
    rows = read_csv(TEST_CORPUS)
    changed = [dataclasses.replace(rows[0], answer="新しい回答です。")]
    with session_factory.begin() as session:
        summary = import_rows(session, changed, staff="tanaka", now=FIXED_NOW)
    with session_factory() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.external_id == rows[0].id)).one()
    assert summary.updated == 1
    assert (entry.answer, entry.version, entry.updated_by) == ("新しい回答です。", 2, "tanaka")
    from faq.editing import versions_of

    with session_factory() as session:
        [previous] = versions_of(session, rows[0].id)
    assert (previous.version, previous.answer, previous.changed_by) == (1, rows[0].answer, "test")


def test_a_reimport_keeps_the_paraphrases_staff_linked(session_factory, seeded_faq) -> None:
    rows = read_csv(TEST_CORPUS)
    with session_factory.begin() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.external_id == rows[0].id)).one()
        entry.paraphrases.append(FaqParaphrase(text="でかいゴミどうすんの", source="staff", created_at=FIXED_NOW))
    with session_factory.begin() as session:
        import_rows(session, [dataclasses.replace(rows[0], paraphrases=("ソファを捨てたい",))], staff="x", now=FIXED_NOW)
    with session_factory() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.external_id == rows[0].id)).one()
        assert {p.text for p in entry.paraphrases} == {"ソファを捨てたい", "でかいゴミどうすんの"}


def test_the_engine_sees_enabled_entries_only(session_factory, seeded_faq) -> None:
    with session_factory() as session:
        documents = load_documents(session)
    ids = {d.id for d in documents}
    assert "t-gomi-001" in ids and "t-event-001" not in ids
    gomi = next(d for d in documents if d.id == "t-gomi-001")
    assert gomi.category == "ごみ・リサイクル" and "ソファを捨てたい" in gomi.paraphrases


def test_export_round_trips_the_import(session_factory, seeded_faq) -> None:
    with session_factory() as session:
        assert export_rows(session) == sorted(read_csv(TEST_CORPUS), key=lambda r: r.id)


def test_browsing_lists_categories_with_enabled_entries(session_factory, seeded_faq) -> None:
    with session_factory() as session:
        categories = list_categories(session)
        assert "イベント" not in categories  # its only entry is disabled
        assert categories[0] == "ごみ・リサイクル"
        assert questions_in_category(session, "ごみ・リサイクル", limit=2) == [
            "粗大ごみはどのように出せばよいですか。", "燃えるごみの収集日はいつですか。"]


def test_an_edit_in_one_process_reaches_another_processes_index(session_factory, seeded_faq) -> None:
    from faq.answering import FaqAnswerer
    from faq.editing import add_paraphrase

    with session_factory() as session:
        other_process = FaqAnswerer.from_database(session)
    question = "ペットが亡くなったときの火葬はどこに頼めばいいですか"
    assert other_process.match(question).outcome.value != "answered"
    with session_factory.begin() as session:
        add_paraphrase(session, "t-gomi-001", question, staff="suzuki", now=FIXED_NOW + timedelta(minutes=1))
    with session_factory() as session:
        assert other_process.sync(session, force=True) == 1
        assert other_process.sync(session, force=True) == 0  # nothing new: nothing applied twice
    result = other_process.match(question)
    assert (result.outcome.value, result.hits[0].faq_id) == ("answered", "t-gomi-001")


def test_disabling_an_entry_removes_it_from_every_index(session_factory, seeded_faq) -> None:
    import dataclasses

    from faq.answering import FaqAnswerer
    from faq.editing import EntryDraft, update_entry

    with session_factory() as session:
        answerer = FaqAnswerer.from_database(session)
    assert answerer.index.get("t-bousai-001") is not None
    with session_factory.begin() as session:
        draft = EntryDraft("避難所はどこにありますか。", "回答", "防災", enabled=False)
        update_entry(session, "t-bousai-001", draft, staff="suzuki", now=FIXED_NOW + timedelta(minutes=1))
    with session_factory() as session:
        answerer.sync(session, force=True)
    assert answerer.index.get("t-bousai-001") is None
    assert dataclasses.is_dataclass(draft)


def test_a_city_synonym_group_makes_its_words_find_the_same_answer_in_every_process(session_factory, seeded_faq) -> None:
    from faq.answering import FaqAnswerer
    from faq.synonym_groups import SynonymError, save_group

    with session_factory() as session:
        answerer = FaqAnswerer.from_database(session)
    question = "テレビ台を処分したい"  # no FAQ mentions テレビ台
    assert [hit.faq_id for hit in answerer.match(question).hits[:1]] != ["t-gomi-001"]
    with session_factory.begin() as session:
        save_group(session, "粗大ごみ、テレビ台", staff="suzuki", now=FIXED_NOW + timedelta(minutes=1))
    with session_factory() as session:
        answerer.sync(session, force=True)
    assert answerer.match(question).hits[0].faq_id == "t-gomi-001"
    with session_factory.begin() as session, pytest.raises(SynonymError):
        save_group(session, "ひとつだけ", staff="suzuki", now=FIXED_NOW)


def test_a_process_started_while_the_database_was_down_builds_its_index_at_the_first_sync(
        session_factory, seeded_faq) -> None:
    from faq.answering import FaqAnswerer

    unreachable = make_session_factory(make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"))
    answerer = FaqAnswerer.from_database_when_reachable(unreachable)  # boots instead of raising
    assert answerer.index.get("t-bousai-001") is None
    with session_factory() as session:
        assert answerer.sync(session) > 0  # at once, not after the once-a-second pause
    assert answerer.match("避難所はどこにありますか").hits[0].faq_id == "t-bousai-001"
    with session_factory() as session:
        assert answerer.sync(session) == 0  # built: back to checking once a second
