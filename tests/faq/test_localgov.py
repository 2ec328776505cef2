import json
from pathlib import Path

import pytest

from faq.localgov import load_corpus, load_questions, parse_entry, strip_related

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "localgovfaq"
needs_data = pytest.mark.skipif(not (DATA_DIR / "corpus.json").exists(),
                                reason=f"LocalgovFAQ benchmark data not found at {DATA_DIR}")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("■手続きです。＜改＞。【関連するＦＡＱ】。別の質問。もう一つの質問。",
         "■手続きです。"),
        ("■手続きです。＜改＞。【関連するＦＡＱ】。別の質問。＜改＞。【お問い合わせ】。市民課。",
         "■手続きです。＜改＞。【お問い合わせ】。市民課。"),
        ("■関連する質問はありません。", "■関連する質問はありません。"),
    ],
)
def test_related_faq_lists_are_cut_from_answers(answer: str, expected: str) -> None:
    assert strip_related(answer) == expected


def test_an_entry_splits_into_question_and_answer() -> None:
    doc = parse_entry("5", "Question: 犬の登録は？\nAnswer: ■窓口で。＜改＞。【関連するＦＡＱ】。猫について。\n")
    assert (doc.id, doc.question, doc.answer) == ("5", "犬の登録は？", "■窓口で。")


def test_questions_join_queries_with_grade_a_and_b_labels(tmp_path: Path) -> None:
    (tmp_path / "queries.json").write_text(json.dumps({"0": "質問", "1": "別の質問"}), encoding="utf-8")
    (tmp_path / "qrels.json").write_text(json.dumps({"0": {"3": 1, "4": 2}, "1": {"9": 1}}), encoding="utf-8")
    assert load_questions(tmp_path) == [
        {"id": "0", "text": "質問", "kind": "answerable", "faq_ids": ["4", "3"]},
        {"id": "1", "text": "別の質問", "kind": "answerable", "faq_ids": ["9"]},
    ]


@needs_data
def test_the_real_benchmark_loads_without_related_faq_lists() -> None:
    docs = load_corpus(DATA_DIR / "corpus.json")
    questions = load_questions(DATA_DIR)
    assert (len(docs), len(questions)) == (1786, 749)
    assert not any("関連するＦＡＱ" in d.answer for d in docs)
    assert all(q["faq_ids"] for q in questions)


@needs_data
def test_no_real_benchmark_query_is_judged_meaningless() -> None:
    from faq.meaningless import is_meaningless

    assert [q["text"] for q in load_questions(DATA_DIR) if is_meaningless(q["text"])] == []
