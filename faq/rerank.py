"""Second-stage re-ranking of the ranker's first candidates with a small linear model.

The BM25 sum in match.py only knows "how many matching words, how rare". Deciding between
near-neighbour FAQs ("住民票の写し" vs "住民票のコンビニ交付") needs a few more signals: how much
of the question (IDF-weighted) each candidate covers in its question and in its answer, how
long the candidate's question is (a long FAQ title matches many queries a little), and how the
per-field scores agree. Those are computed for the first DEPTH candidates only (~0.2 ms).

The weights are a pairwise logistic model (relevant above non-relevant candidate of the same
question) fitted by bench/faq_rerank.py on LocalgovFAQ. They are therefore tuned on benchmark
queries: the benchmark reports the re-ranker only by 5-fold cross-validation (weights refitted
without the held-out fold), and the zero-shot numbers are measured with the re-ranker off.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    from faq.index import FaqIndex

# Depth measured by 5-fold CV (P@1 0.515 / 0.529 / 0.530 re-ranking 10 / 20 / 30 candidates).
DEPTH = 20
# No feature for the fuzzy bonus on its own: fitted, it takes a large negative weight (LocalgovFAQ's
# short queries are often substrings of unrelated long titles) that buries exact short matches
# on small corpora ("住民票" → a 婚姻届 FAQ filed under 住民票・戸籍), for no CV gain.
FEATURES = (
    "log_score", "score_share", "first_rank", "q", "a", "qc", "qr",
    "cover_question", "cover_answer", "cover_any", "log_question_length",
)


def candidate_features(
    slots: Sequence[int],
    field_scores: Mapping[str, np.ndarray],
    totals: np.ndarray,
    query_terms: Mapping[str, float],
    index: "FaqIndex",
) -> np.ndarray:
    """One row of FEATURES per candidate slot (slots best first by the first-stage score).

    `query_terms` maps each query word to its IDF weight (coverage is IDF-weighted).
    """
    rows = np.zeros((len(slots), len(FEATURES)))
    if not len(slots):
        return rows
    best = max(float(totals[slots[0]]), 1e-9)
    weight_sum = sum(query_terms.values()) or 1.0
    for r, slot in enumerate(slots):
        analyzed = index.analyzed[slot]
        if analyzed is None:
            continue
        q_terms, p_terms, a_terms = analyzed.terms["q"], analyzed.terms["p"], analyzed.terms["a"]
        cover_q = cover_a = cover_any = 0.0
        for term, w in query_terms.items():
            in_q, in_a = term in q_terms or term in p_terms, term in a_terms
            cover_q += w * in_q
            cover_a += w * in_a
            cover_any += w * (in_q or in_a)
        cover_q, cover_a, cover_any = cover_q / weight_sum, cover_a / weight_sum, cover_any / weight_sum
        total = float(totals[slot])
        rows[r] = (
            math.log1p(max(total, 0.0)), total / best, 1.0 / (r + 1),
            field_scores["q"][slot] + field_scores["p"][slot], field_scores["a"][slot],
            field_scores["qc"][slot], field_scores["qr"][slot],
            cover_q, cover_a, cover_any, math.log1p(sum(analyzed.terms["q"].values())),
        )
    return rows


def reranked(rows: np.ndarray, weights: Sequence[float], totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(new order of the candidates, their scores in that order).

    A hit keeps its first-stage score, capped by the score of the hit above it so the list
    stays ordered: when the re-ranker promotes a candidate over a stronger one, the gap between
    the first two shrinks to zero, and calibration reads that disagreement as uncertainty.
    """
    order = np.argsort(-(rows @ np.asarray(weights, dtype=np.float64)), kind="stable")
    return order, np.minimum.accumulate(totals[order])
