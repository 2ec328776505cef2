import json
from pathlib import Path

import pytest

from bench import faq_quality


def test_the_quality_benchmark_skips_with_a_clear_message_without_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(faq_quality, "DATA_DIR", tmp_path / "missing")
    assert faq_quality.main(["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "not found" in out["skipped"]


def test_the_labelled_sets_are_big_enough() -> None:
    data = Path(faq_quality.TEST_DATA)
    assert len(faq_quality.read_lines(data / "meaningless.txt")) >= 300
    assert len(faq_quality.read_lines(data / "unanswerable.txt")) >= 150


def test_logistic_calibration_recovers_a_simple_rule() -> None:
    import numpy as np

    x = np.linspace(-3, 3, 200).reshape(-1, 1)
    y = (x[:, 0] > 0).astype(float)
    w = faq_quality.fit_logistic(x, y)
    assert faq_quality.predict(w, np.array([[2.0]]))[0] > 0.9 > 0.1 > faq_quality.predict(w, np.array([[-2.0]]))[0]


def test_the_pairwise_reranker_fit_learns_which_feature_marks_the_relevant_candidate() -> None:
    import numpy as np

    from bench.faq_rerank import pairwise_fit

    rng = np.random.default_rng(0)
    groups = []
    for _ in range(40):
        rows = rng.normal(size=(6, 2))
        relevant = np.zeros(6, dtype=bool)
        relevant[np.argmax(rows[:, 1])] = True  # only the second feature decides
        groups.append((rows, relevant))
    w = pairwise_fit(groups)
    assert w[1] > 0 and abs(w[0]) < w[1] / 3


def test_the_benchmark_writes_its_question_set_in_the_format_faq_eval_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from faq.evaluate import load_questions_jsonl

    # A two-query stand-in for LocalgovFAQ: the real data is read from ../shared and never copied here.
    data = tmp_path / "localgovfaq"
    data.mkdir()
    (data / "corpus.json").write_text(json.dumps({"1": "Q: 住民票は？\nA: 市民課です。"}), encoding="utf-8")
    (data / "queries.json").write_text(json.dumps({"q1": "住民票がほしい", "q2": "忍者の施設は"}), encoding="utf-8")
    (data / "qrels.json").write_text(json.dumps({"q1": {"1": 2}}), encoding="utf-8")
    monkeypatch.setattr(faq_quality, "DATA_DIR", data)
    out = tmp_path / "questions.jsonl"
    assert faq_quality.main(["--questions-out", str(out)]) == 0
    questions = load_questions_jsonl(out)
    unanswerable = faq_quality.read_lines(Path(faq_quality.TEST_DATA) / "unanswerable.txt")
    meaningless = faq_quality.read_lines(Path(faq_quality.TEST_DATA) / "meaningless.txt")
    assert questions[:2] == [{"id": "q1", "text": "住民票がほしい", "kind": "answerable", "faq_ids": ["1"]},
                             {"id": "q2", "text": "忍者の施設は", "kind": "answerable", "faq_ids": []}]
    kinds = [q["kind"] for q in questions[2:]]
    assert kinds == ["unanswerable"] * len(unanswerable) + ["meaningless"] * len(meaningless)
    assert json.loads(capsys.readouterr().out)["questions"] == len(questions)
