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
