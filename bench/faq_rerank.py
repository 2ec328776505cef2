"""Fit and cross-validate the second-stage re-ranker (faq/rerank.py) on LocalgovFAQ.

Used by bench/faq_quality.py. The model is linear over faq.rerank.FEATURES, fitted as pairwise
logistic regression: for each query, every relevant candidate among the first DEPTH should
outscore every non-relevant one (each query weighs the same, however many pairs it has).
Because the weights are learnt from benchmark queries, its ranking quality is only ever
reported by 5-fold cross-validation: fold k is ranked with weights fitted on the other folds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Iterator, Sequence

import numpy as np

from faq import match as match_module
from faq.evaluate import ranking_metrics
from faq.index import FaqIndex
from faq.rerank import DEPTH, candidate_features


@contextlib.contextmanager
def using_rerank(weights: Sequence[float] | None) -> Iterator[None]:
    """Temporarily run the engine with these re-ranker weights (None: first stage only)."""
    saved = match_module.RERANK
    match_module.RERANK = None if weights is None else tuple(float(w) for w in weights)
    try:
        yield
    finally:
        match_module.RERANK = saved


@dataclasses.dataclass(frozen=True)
class FirstStage:
    """One question's first-stage top DEPTH candidates, with what the re-ranker's features need."""

    scored: match_module.Scored
    ids: list[str]
    slots: list[int]
    idf: dict[str, float]  # the question's words, IDF-weighted as the engine weighs coverage

    @property
    def fields(self) -> dict[str, np.ndarray]:
        assert self.scored.fields is not None
        return self.scored.fields


def first_stage(index: FaqIndex, text: str) -> FirstStage:
    """The first stage alone (re-ranker off) for one question."""
    with using_rerank(None):
        scored = match_module.score(text, index)
        hits = match_module.top_hits(scored, index, DEPTH)
    idf = {t: match_module._word_idf(index, t) or math.log1p(len(index)) for t in scored.terms}
    return FirstStage(scored, [h.faq_id for h in hits], [index.slot_of[h.faq_id] for h in hits], idf)


def candidate_rows(index: FaqIndex, text: str) -> tuple[np.ndarray, list[str]]:
    """Features and ids of the first-stage top DEPTH candidates of one question."""
    stage = first_stage(index, text)
    return candidate_features(stage.slots, stage.fields, stage.scored.scores, stage.idf, index), stage.ids


def pairwise_fit(groups: list[tuple[np.ndarray, np.ndarray]], *, l2: float = 1e-3, steps: int = 1500) -> np.ndarray:
    """Weights on the raw features (standardisation folded in) from (rows, is_relevant) groups."""
    stacked = np.vstack([rows for rows, _ in groups if len(rows)])
    mu, sd = stacked.mean(0), stacked.std(0) + 1e-9
    diffs, pair_weights = [], []
    for rows, relevant in groups:
        pos, neg = np.flatnonzero(relevant), np.flatnonzero(~relevant)
        if not len(pos) or not len(neg):
            continue  # nothing to order
        z = (rows - mu) / sd
        for p in pos:
            diffs.append(z[p] - z[neg])
            pair_weights.append(np.full(len(neg), 1.0 / (len(pos) * len(neg))))
    d, pw = np.vstack(diffs), np.concatenate(pair_weights)
    pw /= pw.sum()
    w = np.zeros(d.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(np.clip(d @ w, -30, 30)))
        w -= 1.0 * (-(d * (p * pw)[:, None]).sum(0) + l2 * w)
    return w / sd  # the intercept cancels in a ranking


def groups_of(index: FaqIndex, questions: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, relevance) of each question's candidates."""
    out = []
    for q in questions:
        rows, ids = candidate_rows(index, q["text"])
        out.append((rows, np.array([i in q["faq_ids"] for i in ids], dtype=bool)))
    return out


def kfold_weights(groups: list, folds: list[list[int]]) -> list[np.ndarray]:
    """Weights for each fold, fitted without that fold's questions."""
    weights = []
    for fold in folds:
        held_out = set(fold)
        weights.append(pairwise_fit([g for i, g in enumerate(groups) if i not in held_out]))
    return weights


def kfold_ranking(index: FaqIndex, questions: list[dict], folds: list[list[int]], weights: list[np.ndarray]) -> dict:
    """Ranking metrics with each question ranked by the engine using its fold's weights."""
    ranked, relevant = [], []
    for fold, w in zip(folds, weights):
        with using_rerank(w):
            for i in fold:
                ranked.append([h.faq_id for h in match_module.rank(questions[i]["text"], index, limit=10)])
                relevant.append(set(questions[i]["faq_ids"]))
    return ranking_metrics(ranked, relevant)
