import numpy as np
import pytest

from faq import match as match_module
from faq.index import FaqIndex
from faq.match import rank, score
from faq.rerank import FEATURES, candidate_features, reranked


@pytest.fixture
def first_stage_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match_module, "RERANK", None)


def _rows(index: FaqIndex, question: str) -> tuple[np.ndarray, list[int]]:
    scored = score(question, index)
    slots = [index.slot_of[h.faq_id] for h in match_module.top_hits(scored, index, 5)]
    idf = {t: match_module._word_idf(index, t) or 1.0 for t in scored.terms}
    assert scored.fields is not None
    return candidate_features(slots, scored.fields, scored.scores, idf, index), slots


def test_every_candidate_gets_one_value_per_feature(small_index: FaqIndex) -> None:
    rows, slots = _rows(small_index, "住民票の写しをコンビニで取りたい")
    assert rows.shape == (len(slots), len(FEATURES))
    assert np.isfinite(rows).all()


def test_coverage_features_are_shares_of_the_question(small_index: FaqIndex) -> None:
    rows, _ = _rows(small_index, "粗大ごみを捨てたい")
    cover = rows[:, [FEATURES.index(n) for n in ("cover_question", "cover_answer", "cover_any")]]
    assert ((0.0 <= cover) & (cover <= 1.0)).all()
    assert (cover[:, 2] >= cover[:, :2].max(axis=1) - 1e-12).all()  # either field covers at least as much


def test_reranked_scores_stay_ordered_and_capped_by_the_hit_above() -> None:
    rows = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]])
    totals = np.array([9.0, 5.0, 7.0])
    order, values = reranked(rows, (1.0, 0.0), totals)
    assert order.tolist() == [1, 2, 0]
    assert values.tolist() == [5.0, 5.0, 5.0]  # the promoted hit's score caps the ones below


@pytest.mark.parametrize("question", ["ゴミ出しの曜日を教えて", "住民票", "図書館何時まで開いてる", "保育園に入れたい"])
def test_without_weights_the_ranking_is_the_first_stage(
    small_index: FaqIndex, question: str, first_stage_only: None
) -> None:
    scored = score(question, small_index)
    expected = [small_index.documents[i].id for i in np.argsort(-scored.scores, kind="stable")
                if scored.scores[i] > 0][:3]
    assert [h.faq_id for h in rank(question, small_index, limit=3)] == expected


@pytest.mark.parametrize("question", ["住民票", "ごみ", "マイナンバーカードなくした"])
def test_reranking_reorders_but_never_changes_the_candidates(
    small_index: FaqIndex, question: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_rerank = {h.faq_id for h in rank(question, small_index, limit=20)}
    monkeypatch.setattr(match_module, "RERANK", None)
    assert {h.faq_id for h in rank(question, small_index, limit=20)} == with_rerank
