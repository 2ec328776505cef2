import json
from pathlib import Path

import pytest

from faq.evaluate import evaluate, load_questions_jsonl, ranking_metrics

from .conftest import SMALL_CORPUS

KEYS = {"p_at_1", "sr_at_3", "sr_at_5", "mrr", "answer_rate", "answered_precision", "unanswerable_recall",
        "meaningless_precision", "meaningless_recall", "latency_ms_p50", "latency_ms_p99", "n"}

QUESTIONS = [
    {"id": "1", "text": "保育園に入れたい", "kind": "answerable", "faq_ids": ["nursery"]},
    {"id": "2", "text": "図書館は何時まで開いてますか", "kind": "answerable", "faq_ids": ["library"]},
    {"id": "3", "text": "粗大ゴミの出し方", "kind": "answerable", "faq_ids": ["bulky"]},
    {"id": "4", "text": "株価を知りたい", "kind": "unanswerable", "faq_ids": []},
    {"id": "5", "text": "ありがとうございました！", "kind": "meaningless", "faq_ids": []},
    {"id": "6", "text": "テスト", "kind": "meaningless", "faq_ids": []},
]


def test_evaluate_returns_exactly_the_documented_keys() -> None:
    result = evaluate(SMALL_CORPUS, QUESTIONS)
    assert set(result) == KEYS
    assert result["n"] == len(QUESTIONS)


def test_evaluate_scores_a_small_labelled_set() -> None:
    result = evaluate(SMALL_CORPUS, QUESTIONS)
    assert result["p_at_1"] == result["sr_at_5"] == result["mrr"] == 1.0
    assert (result["meaningless_precision"], result["meaningless_recall"]) == (1.0, 1.0)
    assert result["unanswerable_recall"] == 1.0
    assert result["answer_rate"] == pytest.approx(3 / 4)  # the unanswerable one was declined
    assert result["answered_precision"] == 1.0
    assert 0 <= result["latency_ms_p50"] <= result["latency_ms_p99"]


def test_an_answered_unanswerable_question_counts_against_precision() -> None:
    questions = [{"id": "1", "text": "ごみ", "kind": "unanswerable", "faq_ids": []}]
    from faq.match import Thresholds

    result = evaluate(SMALL_CORPUS, questions, thresholds=Thresholds(answer=0.0, candidates=0.0))
    assert (result["answer_rate"], result["answered_precision"], result["unanswerable_recall"]) == (1.0, 0.0, 0.0)


def test_ranking_metrics_use_the_first_relevant_rank() -> None:
    ranked = [["a", "b"], ["x", "y", "b"], ["x"] * 5 + ["b"], []]
    metrics = ranking_metrics(ranked, [{"a"}, {"b"}, {"b"}, {"b"}])
    assert metrics == {"p_at_1": 0.25, "sr_at_3": 0.5, "sr_at_5": 0.5, "mrr": pytest.approx((1 + 1 / 3 + 1 / 6) / 4)}


def test_questions_load_from_jsonl_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    lines = [{"id": 7, "text": "住民票", "faq_ids": [12]}, {"text": "こんにちは", "kind": "meaningless"}]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    assert load_questions_jsonl(path) == [
        {"id": "7", "text": "住民票", "kind": "answerable", "faq_ids": ["12"]},
        {"id": "2", "text": "こんにちは", "kind": "meaningless", "faq_ids": []},
    ]


def test_an_unknown_kind_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"text": "x", "kind": "maybe"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        load_questions_jsonl(path)
