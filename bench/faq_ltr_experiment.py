"""Experiment: does LambdaMART over richer features beat the linear re-ranker on LocalgovFAQ?

`python -m bench.faq_ltr_experiment [--out FILE]` prints one JSON object (and writes it to FILE
if given). What it measures, on the 749 LocalgovFAQ queries (grade 1 or 2 = correct):

- first_stage: the engine's first stage alone (zero-shot, nothing learnt from the queries);
- one row per (learner, feature set, K): the first-stage top-K candidates of each query are
  re-ordered by a model and P@1 / SR@3 / SR@5 / MRR@10 are computed on the re-ordered list.
  Learners: "linear" (bench/faq_rerank.py's pairwise logistic fit, the shipped method) and
  "lambdamart" (LightGBM lambdarank, i.e. LGBMRanker, via lightgbm.train). Feature sets: "base"
  (the 11 faq.rerank.FEATURES), "enlarged" (those plus the FEATURE_GROUPS below) and "compact"
  (base + the related-FAQ/department group; chosen after the ablation, so mildly optimistic).
  K = 20 and 50. Every model number is 5-fold cross-validation over bench/faq_quality.py's
  `folds_of` folds: fold k is ranked by a model fitted on the other four folds only.
  Hyperparameters are fixed here in advance (LGBM_PARAMS); the one exception,
  "lambdamart_inner_cv", picks among INNER_GRID by 4-fold CV inside the training folds. The row
  "linear, base, K=20" is the shipped re-ranker and reproduces faq_quality.py's rerank_kfold.
  Each row also gives a paired bootstrap of its P@1 / MRR gain over that shipped row;
- lambdamart_seed_spread_k20: the LambdaMART rows refitted with 5 LightGBM seeds, and an
  ablation (each feature group dropped from "enlarged" / added to "base", mean of 3 seeds):
  differences of about a point of P@1 are within this noise;
- recall_at_k: the share of queries with a correct FAQ among the K candidates (the ceiling of
  any re-ranker at that K);
- added_latency_ms (per row): the per-question cost added on top of the first stage (features
  of the K candidates, only the groups the row uses, + model scoring; one thread), p50/p99 over
  the 749 queries, each query's fastest of REPEATS runs (the machine is shared); first_stage_ms
  is the first stage's own cost, for scale.

The program re-executes itself with PYTHONHASHSEED=0: set iteration order changes the float
summation order of first-stage scores, which moves LightGBM fits by a few queries (about as much
as a LightGBM seed does), so a fixed hash seed makes reruns give the same numbers.

LocalgovFAQ-specific signals: the related-FAQ lists (【関連するＦＡＱ】) that faq/localgov.py strips
from answers are read back from the raw corpus.json here, and the "category" is the department
under 【お問い合わせ】 (the index's own category field is empty for this corpus).
Data stays in /work/shared (benchmark use only). Without it, or without lightgbm, the program
says why and exits 0.
"""

from __future__ import annotations

import os

# One thread for numpy's BLAS and LightGBM's OpenMP: the machine is shared and the latency is
# meant per core. Must be set before numpy / lightgbm are imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import difflib
import importlib.util
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from rapidfuzz import fuzz

from bench.experiment import emit, paired_bootstrap, skipped, with_fixed_hash_seed
from bench.faq_quality import DATA_DIR, SEED, folds_of
from bench.faq_rerank import pairwise_fit, using_rerank
from faq import match as match_module
from faq.evaluate import ranking_metrics
from faq.index import FaqIndex
from faq.localgov import load_corpus, load_questions
from faq.normalize import fold
from faq.rerank import FEATURES as BASE_FEATURES
from faq.rerank import candidate_features
from faq.synonyms import default_synonyms
from faq.tokenize import folded_ngrams

DEPTHS = (20, 50)
# Neighbourhood used by the "does the candidate set agree" features (related links, department):
# the first-stage top 10, whatever K is, so a feature's value does not depend on K.
NEIGHBOURS = 10
# The extra features, in groups that are computed (and ablated) together.
FEATURE_GROUPS = {
    # per-field BM25 parts, separately (base features sum q+p and leave the fuzzy bonus out)
    "field_parts": ("field_q", "field_p", "field_a", "field_qc", "field_qr", "field_fuzzy"),
    # where the candidate sits in each field's own ranking over the whole corpus (1 / rank)
    "field_ranks": ("inv_rank_q", "inv_rank_a", "inv_rank_qc"),
    # the query itself: trees can condition on it; for the linear model it is a constant per query
    "query_shape": ("query_terms", "query_chars", "log_top_score"),
    # surface overlap between the query and the candidate's question / answer
    "surface_overlap": ("bigram_cover_question", "bigram_cover_answer", "partial_ratio", "token_set_ratio",
                        "ratio", "longest_common_substring"),
    # related-FAQ links (LocalgovFAQ's 【関連するＦＡＱ】 lists) and department (the "category")
    "related_and_department": ("log_related_out", "log_related_in", "linked_by_neighbours", "linked_with_top1",
                               "department_share"),
    # first-stage score shape around the candidate, and answer length
    "score_shape": ("gap_to_next", "gap_to_previous", "log_answer_length"),
}
EXTRA_FEATURES = tuple(name for names in FEATURE_GROUPS.values() for name in names)
ENLARGED_FEATURES = BASE_FEATURES + EXTRA_FEATURES
# Fixed before any run and never changed per fold: a small, regularised forest (600 training
# queries x K candidates is little data), binary relevance as in the metric, and NDCG truncated
# at 10 because only the top 10 is ever scored. These are LGBMRanker's parameters under
# LightGBM's native names: lightgbm.train is the same learner as LGBMRanker without the
# scikit-learn dependency that its sklearn wrapper needs.
LGBM_PARAMS = {
    "objective": "lambdarank", "num_iterations": 300, "learning_rate": 0.05, "num_leaves": 15,
    "min_data_in_leaf": 20, "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8,
    "lambda_l2": 1.0, "lambdarank_truncation_level": 10, "seed": SEED, "num_threads": 1,
    "deterministic": True, "force_row_wise": True, "verbose": -1,
}
LINEAR_PARAMS = {"method": "bench.faq_rerank.pairwise_fit", "l2": 1e-3, "steps": 1500}

_RELATED = re.compile(r"(?:【関連するＦＡＱ】|■関連するＦＡＱ)。?")
_CONTACT = "【お問い合わせ】。"
_SECTION = "＜改＞。"


# -- per-FAQ facts computed once ----------------------------------------------------------------

@dataclass(frozen=True)
class CorpusFacts:
    """What the extra features need to know about each slot, precomputed at index time."""

    related_out: list[set[int]]  # slots this FAQ's answer lists as related
    related_in: np.ndarray  # how many FAQs list this one
    department: list[str]
    question_bigrams: list[set[str]]
    answer_bigrams: list[set[str]]
    question_words: list[str]  # Sudachi words of the question, space-joined for token_set_ratio
    resolved_titles: float  # share of related-list entries ("。" segments) matched to a FAQ


def related_titles(raw_answer: str) -> list[str]:
    """Segments listed after 【関連するＦＡＱ】, up to the next section (＜改＞, 【お問い合わせ】 or a ■
    heading: the contact block often follows the list without a ＜改＞)."""
    titles = []
    for m in _RELATED.finditer(raw_answer):
        found = (raw_answer.find(mark, m.end()) for mark in (_SECTION, "【お問い合わせ】", "■"))
        ends = [at for at in found if at >= 0]
        section = raw_answer[m.end(): min(ends, default=len(raw_answer))]
        titles += [t.strip() for t in section.split("。") if t.strip()]
    return titles


def department_of(answer: str) -> str:
    """First line of the 【お問い合わせ】 section (the answering department), or ""."""
    at = answer.find(_CONTACT)
    return answer[at + len(_CONTACT):].split("。", 1)[0].strip() if at >= 0 else ""


def bare(text: str) -> str:
    """Letters and digits of the folded text: titles and questions differ in punctuation."""
    return "".join(c for c in fold(text) if c.isalnum())


def resolve_titles(segments: list[str], slot_by_bare: dict[str, int]) -> tuple[set[int], int]:
    """Slots of the FAQs a related list names, and how many list entries were resolved.

    The list is "。"-separated, but a title may itself contain "。" (so up to three segments are
    joined) and long titles are cut with "．．．" (so those match by prefix). 【…】 segments are
    headings, not titles.
    """
    found: set[int] = set()
    resolved, i = 0, 0
    while i < len(segments):
        for span in (1, 2, 3):
            joined = "".join(segments[i:i + span])
            truncated = joined.endswith(("．．．", "..."))
            key = bare(joined)
            slot = slot_by_bare.get(key) if not truncated else next(
                (s for b, s in slot_by_bare.items() if key and b.startswith(key)), None)
            if slot is not None:
                found.add(slot)
                resolved += 1
                i += span
                break
        else:
            i += 1
    return found, resolved


def corpus_facts(index: FaqIndex, raw_corpus: dict[str, str]) -> CorpusFacts:
    slot_by_bare = {bare(d.question): index.slot_of[d.id] for d in index}
    related_out, listed, resolved = [], 0, 0
    for doc in index.documents:
        assert doc is not None
        titles = [t for t in related_titles(raw_corpus.get(doc.id, ""))
                  if not (t.startswith("【") and t.endswith("】")) and bare(t)]
        slots, hits = resolve_titles(titles, slot_by_bare)
        listed += len(titles)
        resolved += hits
        related_out.append(slots - {index.slot_of[doc.id]})
    related_in = np.zeros(index.slots)
    for slots in related_out:
        for s in slots:
            related_in[s] += 1
    docs = [d for d in index.documents if d is not None]
    return CorpusFacts(
        related_out=related_out,
        related_in=related_in,
        department=[department_of(d.answer) for d in docs],
        question_bigrams=[set(folded_ngrams(a.folded_question)) for a in index.analyzed if a is not None],
        answer_bigrams=[set(folded_ngrams(fold(d.answer))) for d in docs],
        question_words=[" ".join(sorted(a.terms["q"])) for a in index.analyzed if a is not None],
        resolved_titles=resolved / max(listed, 1),
    )


# -- candidates and features --------------------------------------------------------------------

@dataclass(frozen=True)
class Candidates:
    """One query's first-stage top-K: slots best first, feature rows, relevance."""

    slots: np.ndarray
    rows: np.ndarray  # ENLARGED_FEATURES; a feature set is a choice of its columns
    relevant: np.ndarray


def first_stage(index: FaqIndex, text: str, depth: int) -> tuple[match_module.Scored, np.ndarray]:
    """The engine's first-stage score and its top `depth` live, positive slots (re-ranker off)."""
    with using_rerank(None):
        scored = match_module.score(text, index)
        hits = match_module.top_hits(scored, index, depth)
    return scored, np.array([index.slot_of[h.faq_id] for h in hits], dtype=np.int64)


def query_idf(index: FaqIndex, scored: match_module.Scored) -> dict[str, float]:
    # Same IDF weighting as the engine's top_hits (unknown words weigh as the rarest).
    return {t: match_module._word_idf(index, t) or math.log1p(len(index)) for t in scored.terms}


def base_rows(index: FaqIndex, scored: match_module.Scored, slots: np.ndarray) -> np.ndarray:
    assert scored.fields is not None
    return candidate_features(slots, scored.fields, scored.scores, query_idf(index, scored), index)


@dataclass(frozen=True)
class Query:
    """What every feature group needs about one query and its candidates."""

    index: FaqIndex
    facts: CorpusFacts
    text: str
    scored: match_module.Scored
    slots: list[int]

    @property
    def fields(self) -> dict[str, np.ndarray]:
        assert self.scored.fields is not None
        return self.scored.fields

    @property
    def best(self) -> float:
        return max(float(self.scored.scores[self.slots[0]]), 1e-9)


def field_parts(q: Query) -> np.ndarray:
    return np.array([[q.fields[f][s] for f in ("q", "p", "a", "qc", "qr", "fuzzy")] for s in q.slots])


def field_ranks(q: Query) -> np.ndarray:
    # Descending copies of each field's scores: a candidate's rank is then a binary search.
    ascending_negated = {f: np.sort(-q.fields[f]) for f in ("q", "a", "qc")}
    return np.array([[1.0 / (1 + np.searchsorted(ascending_negated[f], -q.fields[f][s], side="left"))
                      if q.fields[f][s] > 0 else 0.0 for f in ("q", "a", "qc")] for s in q.slots])


def query_shape(q: Query) -> np.ndarray:
    row = (len(q.scored.terms), len(fold(q.text)), math.log1p(q.best))
    return np.tile(row, (len(q.slots), 1))


def surface_overlap(q: Query) -> np.ndarray:
    folded = fold(q.text)
    query_bigrams = set(folded_ngrams(folded))
    query_words = " ".join(sorted(q.scored.terms))
    rows = []
    for s in q.slots:
        question = q.index.folded_questions[s]
        lcs = difflib.SequenceMatcher(None, folded, question, autojunk=False).find_longest_match(
            0, len(folded), 0, len(question)).size
        rows.append((
            len(query_bigrams & q.facts.question_bigrams[s]) / max(len(query_bigrams), 1),
            len(query_bigrams & q.facts.answer_bigrams[s]) / max(len(query_bigrams), 1),
            fuzz.partial_ratio(folded, question) / 100.0,
            fuzz.token_set_ratio(query_words, q.facts.question_words[s]) / 100.0,
            fuzz.ratio(folded, question) / 100.0,
            lcs / max(len(folded), 1),
        ))
    return np.array(rows)


def related_and_department(q: Query) -> np.ndarray:
    # "Agreement" is measured against the first-stage top NEIGHBOURS, whatever K is.
    facts, neighbours = q.facts, q.slots[:NEIGHBOURS]
    top1 = neighbours[0]
    departments = [facts.department[n] for n in neighbours]
    rows = []
    for s in q.slots:
        linked_by = sum(s in facts.related_out[n] for n in neighbours if n != s)
        dept = facts.department[s]
        rows.append((
            math.log1p(len(facts.related_out[s])), math.log1p(facts.related_in[s]),
            linked_by / max(len(neighbours) - 1, 1),
            float(s != top1 and (s in facts.related_out[top1] or top1 in facts.related_out[s])),
            sum(d == dept for d in departments) / len(departments) if dept else 0.0,
        ))
    return np.array(rows)


def score_shape(q: Query) -> np.ndarray:
    totals = q.scored.scores
    # First-stage scores in order, one past the last candidate (for its gap_to_next).
    ordered = np.sort(totals[np.isfinite(totals)])[::-1][: len(q.slots) + 1]
    rows = []
    for r, s in enumerate(q.slots):
        total = float(totals[s])
        next_score = float(ordered[r + 1]) if r + 1 < len(ordered) else 0.0
        previous_score = float(totals[q.slots[r - 1]]) if r else total
        doc = q.index.documents[s]
        assert doc is not None
        rows.append(((total - next_score) / q.best, (previous_score - total) / q.best, math.log1p(len(doc.answer))))
    return np.array(rows)


GROUP_FUNCTIONS: dict[str, Callable[[Query], np.ndarray]] = {
    "field_parts": field_parts, "field_ranks": field_ranks, "query_shape": query_shape,
    "surface_overlap": surface_overlap, "related_and_department": related_and_department, "score_shape": score_shape,
}


def extra_rows(index: FaqIndex, facts: CorpusFacts, text: str, scored: match_module.Scored,
               slots: np.ndarray, groups: tuple[str, ...] = tuple(FEATURE_GROUPS)) -> np.ndarray:
    """The columns of these feature groups (in FEATURE_GROUPS order), one row per candidate slot."""
    width = sum(len(FEATURE_GROUPS[g]) for g in groups)
    if not len(slots):
        return np.zeros((0, width))
    query = Query(index, facts, text, scored, [int(s) for s in slots])
    return np.hstack([GROUP_FUNCTIONS[g](query) for g in FEATURE_GROUPS if g in groups])


def candidates_of(index: FaqIndex, facts: CorpusFacts, question: dict, depth: int) -> Candidates:
    scored, slots = first_stage(index, question["text"], depth)
    rows = np.hstack([base_rows(index, scored, slots), extra_rows(index, facts, question["text"], scored, slots)])
    ids = [index.documents[s].id for s in slots]  # type: ignore[union-attr]
    relevant = np.array([i in question["faq_ids"] for i in ids], dtype=bool)
    return Candidates(slots, rows, relevant)


# -- learners ---------------------------------------------------------------------------------

Scorer = Callable[[np.ndarray], np.ndarray]
Group = tuple[np.ndarray, np.ndarray]  # (feature rows, is_relevant) of one query's candidates


def fit_linear(groups: list[Group], params: dict | None = None) -> Scorer:
    weights = pairwise_fit(groups, l2=LINEAR_PARAMS["l2"], steps=LINEAR_PARAMS["steps"])
    return lambda rows: rows @ weights


def fit_lambdamart(groups: list[Group], params: dict | None = None) -> Scorer:
    import lightgbm

    # Queries with no correct candidate (or only correct ones) carry no ranking signal.
    useful = [(rows, rel) for rows, rel in groups if rel.any() and not rel.all()]
    data = lightgbm.Dataset(np.vstack([rows for rows, _ in useful]),
                            label=np.concatenate([rel for _, rel in useful]).astype(int),
                            group=[len(rows) for rows, _ in useful], params={"verbose": -1})
    booster = lightgbm.train(params or LGBM_PARAMS, data)
    scorer = lambda rows: booster.predict(rows, num_threads=1)  # noqa: E731
    scorer.importance = booster.feature_importance("gain")  # type: ignore[attr-defined]
    return scorer


# Small grid for the one variant whose hyperparameters are chosen inside the training folds
# (inner 4-fold CV by MRR), to check that the fixed LGBM_PARAMS are not a lucky pick.
INNER_GRID = (
    {"num_leaves": 7, "num_iterations": 200, "min_data_in_leaf": 40},
    {"num_leaves": 15, "num_iterations": 300, "min_data_in_leaf": 20},
    {"num_leaves": 31, "num_iterations": 500, "min_data_in_leaf": 10},
)


def fit_lambdamart_inner_cv(groups: list[Group], params: dict | None = None) -> Scorer:
    """LambdaMART with its grid point picked by 4-fold CV within `groups` (the training folds)."""
    inner = [list(range(k, len(groups), 4)) for k in range(4)]
    best, best_mrr = INNER_GRID[0], -1.0
    for point in INNER_GRID:
        params_here = {**LGBM_PARAMS, **point}
        reciprocal = []
        for fold in inner:
            held_out = set(fold)
            model = fit_lambdamart([g for i, g in enumerate(groups) if i not in held_out], params_here)
            reciprocal += [reciprocal_rank(model(groups[i][0]), groups[i][1]) for i in fold]
        if np.mean(reciprocal) > best_mrr:
            best, best_mrr = point, float(np.mean(reciprocal))
    model = fit_lambdamart(groups, {**LGBM_PARAMS, **best})
    model.chosen = best  # type: ignore[attr-defined]
    return model


def reciprocal_rank(scores: np.ndarray, relevant: np.ndarray, limit: int = 10) -> float:
    order = np.argsort(-scores, kind="stable")[:limit]
    hits = np.flatnonzero(relevant[order])
    return 1.0 / (hits[0] + 1) if len(hits) else 0.0


LEARNERS: dict[str, Callable[..., Scorer]] = {
    "linear": fit_linear, "lambdamart": fit_lambdamart, "lambdamart_inner_cv": fit_lambdamart_inner_cv,
}


# -- cross-validation -------------------------------------------------------------------------

@dataclass(frozen=True)
class CvResult:
    metrics: dict
    first_correct: list[int | None]  # per query: position of the first correct FAQ in the top 10
    models: list[Scorer]


def columns(names: tuple[str, ...]) -> list[int]:
    return [ENLARGED_FEATURES.index(n) for n in names]


def reordered_ids(index: FaqIndex, cands: Candidates, scores: np.ndarray, limit: int = 10) -> list[str]:
    # Stable, like faq/rerank.py: ties keep the first-stage order.
    order = np.argsort(-scores, kind="stable")
    return [index.documents[s].id for s in cands.slots[order][:limit]]  # type: ignore[union-attr]


def cross_validated(index: FaqIndex, questions: list[dict], all_cands: list[Candidates], folds: list[list[int]],
                    learner: str, features: tuple[str, ...], params: dict | None = None) -> CvResult:
    """Each fold ranked by a model fitted on the other folds only."""
    cols = columns(features)
    ranked: list[list[str]] = [[] for _ in questions]
    models = []
    for fold in folds:
        held_out = set(fold)
        model = LEARNERS[learner]([(c.rows[:, cols], c.relevant) for i, c in enumerate(all_cands)
                                   if i not in held_out], params)
        models.append(model)
        for i in fold:
            rows = all_cands[i].rows[:, cols]
            ranked[i] = reordered_ids(index, all_cands[i], model(rows) if len(rows) else np.zeros(0))
    relevant = [set(q["faq_ids"]) for q in questions]
    metrics = {k: round(v, 4) for k, v in ranking_metrics(ranked, relevant).items()}
    first = [next((r for r, f in enumerate(ids) if f in rel), None) for ids, rel in zip(ranked, relevant)]
    return CvResult(metrics, first, models)


def mean_importance(models: list[Scorer], names: tuple[str, ...], top: int = 15) -> dict[str, float]:
    """LightGBM gain per feature, averaged over the fold models, as shares of the total."""
    gains = np.mean([m.importance for m in models], axis=0)  # type: ignore[attr-defined]
    shares = gains / max(gains.sum(), 1e-12)
    order = np.argsort(-shares)[:top]
    return {names[i]: round(float(shares[i]), 4) for i in order}


# -- latency ----------------------------------------------------------------------------------

# Each query is timed this many times and its fastest run kept: the machine is shared, and without
# this the p99 measured scheduler preemption (it moved 4 -> 18 ms between identical runs), not the
# cost of the expensive queries.
REPEATS = 3


def fastest_ms(work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 3), "p99": round(float(np.percentile(values, 99)), 3)}


def added_latency(index: FaqIndex, facts: CorpusFacts, questions: list[dict], folds: list[list[int]],
                  models: list[Scorer], features: tuple[str, ...], depth: int) -> dict[str, float]:
    """Per-question ms for the features of the top `depth` + model scoring (first stage excluded).

    Only the feature groups the model uses are computed, as an engine shipping it would.
    """
    model_of = {i: m for fold, m in zip(folds, models) for i in fold}
    groups = tuple(g for g, names in FEATURE_GROUPS.items() if set(names) & set(features))
    # Columns of `features` within base + the computed groups.
    computed = BASE_FEATURES + tuple(n for g in groups for n in FEATURE_GROUPS[g])
    cols = [computed.index(n) for n in features]

    def rerank(i: int, text: str, scored: match_module.Scored, slots: np.ndarray) -> None:
        rows = base_rows(index, scored, slots)
        if groups:
            rows = np.hstack([rows, extra_rows(index, facts, text, scored, slots, groups)])[:, cols]
        if len(rows):
            np.argsort(-model_of[i](rows), kind="stable")

    times = []
    for i, q in enumerate(questions):
        scored, slots = first_stage(index, q["text"], depth)
        times.append(fastest_ms(lambda: rerank(i, q["text"], scored, slots)))
    return percentiles(times)


def first_stage_latency(index: FaqIndex, questions: list[dict]) -> dict[str, float]:
    return percentiles([fastest_ms(lambda: first_stage(index, q["text"], 10)) for q in questions])


# -- run --------------------------------------------------------------------------------------

# "compact" was chosen AFTER seeing the ablation below (base + the one group that carries the
# gain alone): its numbers share the optimism of any choice made on the same cross-validation.
# It is listed for its cost: none of the string-similarity work of the full set.
COMPACT_GROUPS = ("related_and_department",)
FEATURE_SETS = {
    "base": BASE_FEATURES,
    "enlarged": ENLARGED_FEATURES,
    "compact": BASE_FEATURES + tuple(n for g in COMPACT_GROUPS for n in FEATURE_GROUPS[g]),
}
ABLATION_SEEDS = 3  # the ablation's rows are means over this many LightGBM seeds
SEEDS = 5  # LambdaMART's bagging and feature sampling are random: spread over this many seeds
ABLATION_DEPTH = 20


def missing_requirement() -> str | None:
    if not (DATA_DIR / "corpus.json").exists():
        return f"LocalgovFAQ data not found at {DATA_DIR}"
    if importlib.util.find_spec("lightgbm") is None:
        return "lightgbm is not installed (pip install lightgbm)"
    return None


def log(row: dict) -> None:
    print(json.dumps({k: v for k, v in row.items() if k != "gain_share_top15"}, ensure_ascii=False), file=sys.stderr)


def variant_row(learner: str, feature_set: str, depth: int, cv: CvResult, baseline: CvResult, seconds: float) -> dict:
    row = {"learner": learner, "features": feature_set, "k": depth, **cv.metrics,
           "n_features": len(FEATURE_SETS[feature_set]), "cv_seconds": round(seconds, 1),
           "vs_shipped_linear_base_k20": paired_bootstrap(baseline.first_correct, cv.first_correct)}
    if learner != "linear":
        row["gain_share_top15"] = mean_importance(cv.models, FEATURE_SETS[feature_set])
    if learner == "lambdamart_inner_cv":
        row["chosen_per_fold"] = [m.chosen for m in cv.models]  # type: ignore[attr-defined]
    return row


def main_grid(index: FaqIndex, facts: CorpusFacts, questions: list[dict], folds: list[list[int]],
              cands_by_depth: dict[int, list[Candidates]]) -> tuple[list[dict], CvResult]:
    """linear / lambdamart x FEATURE_SETS x DEPTHS, plus the inner-CV LambdaMART at K=20."""
    baseline = cross_validated(index, questions, cands_by_depth[20], folds, "linear", BASE_FEATURES)
    plan = [(learner, fs, depth) for depth in DEPTHS for learner in ("linear", "lambdamart") for fs in FEATURE_SETS]
    plan.append(("lambdamart_inner_cv", "enlarged", 20))
    rows = []
    for learner, feature_set, depth in plan:
        start = time.perf_counter()
        cv = cross_validated(index, questions, cands_by_depth[depth], folds, learner, FEATURE_SETS[feature_set])
        row = variant_row(learner, feature_set, depth, cv, baseline, time.perf_counter() - start)
        row["added_latency_ms"] = added_latency(index, facts, questions, folds, cv.models,
                                                FEATURE_SETS[feature_set], depth)
        rows.append(row)
        log(row)
    return rows, baseline


def seed_spread(index: FaqIndex, questions: list[dict], folds: list[list[int]], cands: list[Candidates]) -> dict:
    """LambdaMART's CV metrics over SEEDS seeds (K=20): how much is sampling noise."""
    out = {}
    for feature_set, names in FEATURE_SETS.items():
        runs = [cross_validated(index, questions, cands, folds, "lambdamart", names,
                                {**LGBM_PARAMS, "seed": SEED + s}).metrics for s in range(SEEDS)]
        out[feature_set] = {k: {"min": min(r[k] for r in runs), "mean": round(float(np.mean([r[k] for r in runs])), 4),
                                "max": max(r[k] for r in runs)} for k in runs[0]}
        log({"seed_spread": feature_set, **out[feature_set]})
    return out


def ablation(index: FaqIndex, questions: list[dict], folds: list[list[int]], cands: list[Candidates]) -> list[dict]:
    """LambdaMART, K=ABLATION_DEPTH: enlarged without each group, and base with each group
    (metrics averaged over ABLATION_SEEDS seeds, since one seed moves P@1 by about a point)."""
    rows = []
    for group, names in FEATURE_GROUPS.items():
        for change, features in (("enlarged_without", tuple(n for n in ENLARGED_FEATURES if n not in names)),
                                 ("base_plus", BASE_FEATURES + names)):
            runs = [cross_validated(index, questions, cands, folds, "lambdamart", features,
                                    {**LGBM_PARAMS, "seed": SEED + s}).metrics for s in range(ABLATION_SEEDS)]
            rows.append({"change": change, "group": group,
                         **{k: round(float(np.mean([r[k] for r in runs])), 4) for k in runs[0]}})
            log(rows[-1])
    return rows


def run() -> dict:
    import lightgbm

    questions = load_questions(DATA_DIR)
    raw_corpus = {str(k): v for k, v in json.loads((DATA_DIR / "corpus.json").read_text(encoding="utf-8")).items()}
    index = FaqIndex.build(load_corpus(DATA_DIR / "corpus.json"), synonyms=default_synonyms())
    facts = corpus_facts(index, raw_corpus)
    folds = folds_of(len(questions))
    with using_rerank(None):
        zero_shot = ranking_metrics([[h.faq_id for h in match_module.rank(q["text"], index, limit=10)]
                                     for q in questions], [set(q["faq_ids"]) for q in questions])
    cands_by_depth = {depth: [candidates_of(index, facts, q, depth) for q in questions] for depth in DEPTHS}
    variants, _ = main_grid(index, facts, questions, folds, cands_by_depth)
    return {
        "dataset": "LocalgovFAQ (Amagasaki), 1,786 FAQ, 749 queries, grades 1+2 count as correct",
        "protocol": f"5-fold CV over bench.faq_quality.folds_of (seed {SEED}); fold k ranked by a model fitted "
                    "on the other 4 folds; hyperparameters fixed in advance (lambdamart_inner_cv: picked by "
                    "inner 4-fold CV inside the training folds)",
        "lightgbm_version": lightgbm.__version__,
        "first_stage": {k: round(v, 4) for k, v in zero_shot.items()},
        "recall_at_k": {str(d): round(float(np.mean([c.relevant.any() for c in cs])), 4)
                        for d, cs in cands_by_depth.items()},
        "features": {"base": list(BASE_FEATURES), "extra": list(EXTRA_FEATURES), "extra_groups": FEATURE_GROUPS,
                     "enlarged": "base + extra", "compact": "base + " + " + ".join(COMPACT_GROUPS)},
        "hyperparameters": {"lambdamart": {k: v for k, v in LGBM_PARAMS.items() if k != "verbose"},
                            "lambdamart_inner_cv_grid": list(INNER_GRID), "linear": LINEAR_PARAMS,
                            "labels": "binary: grade 1 or 2 = 1"},
        "corpus_facts": {"related_list_entries_resolved_share": round(facts.resolved_titles, 4),
                         "faqs_listing_related": sum(bool(s) for s in facts.related_out),
                         "faqs_with_department": sum(bool(d) for d in facts.department),
                         "departments": len(set(facts.department) - {""})},
        "variants": variants,
        "lambdamart_seed_spread_k20": seed_spread(index, questions, folds, cands_by_depth[20]),
        f"lambdamart_ablation_k{ABLATION_DEPTH}_mean_of_{ABLATION_SEEDS}_seeds":
            ablation(index, questions, folds, cands_by_depth[ABLATION_DEPTH]),
        "latency_note": f"added_latency_ms (per variant): per question (fastest of {REPEATS} runs), one thread, "
                        "features of the K candidates + model scoring, after the first stage; linear/base/K=20 is "
                        "the shipped re-ranker's cost. first_stage_ms: the first stage alone (score + top hits).",
        "first_stage_ms": first_stage_latency(index, questions),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    with_fixed_hash_seed("bench.faq_ltr_experiment", argv)
    reason = missing_requirement()
    if reason is not None:
        return skipped(reason)
    return emit(run(), args.out)


if __name__ == "__main__":
    sys.exit(main())
