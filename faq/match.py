"""Match a resident's question against the FAQ index: rank, calibrate, decide.

Ranking is a weighted sum of per-field BM25 scores (question words, staff-linked paraphrases,
answer words; character bigrams of the question, which rescue typos and words Sudachi splits
oddly; bigrams of the kana reading for questions typed in kana), plus a rapidfuzz bonus
for short questions. The first 20 candidates are then re-ordered by a small linear model over
coverage and length features (faq/rerank.py; weights in RERANK). The decision uses a calibrated
confidence: a logistic model over the top first-stage score, its gap to the runner-up, how much
of the question the top FAQ covers and how much of it the index knows at all. It was fitted on LocalgovFAQ plus tests/data/unanswerable.txt and checked
by 5-fold cross-validation; bench/faq_quality.py refits it and prints the precision/answer-rate
curve from which the default thresholds were chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from faq.index import FIELDS, FaqIndex, analyze_words
from faq.meaningless import is_meaningless
from faq.normalize import fold
from faq.rerank import DEPTH as RERANK_DEPTH
from faq.rerank import candidate_features, reranked
from faq.tokenize import char_ngrams, reading

# Field weights of the ranker (see the variant table in bench/results/faq_quality.json).
WEIGHTS = {"q": 1.0, "p": 1.0, "a": 1.0, "qc": 0.2, "qr": 0.2}
WORD_FIELDS = ("q", "p", "a")
# Reading bigrams are used when at least this share of the question is kana.
KANA_QUERY = 0.85
# Questions up to this many folded characters also get a fuzzy match on FAQ questions.
SHORT_QUERY = 12
FUZZY_WEIGHT = 4.0
FUZZY_CANDIDATES = 300
# A question that is literally a FAQ's question or linked paraphrase is answered with this
# confidence, if that FAQ is among the first EXACT_WINDOW hits.
EXACT_CONFIDENCE = 0.95
EXACT_WINDOW = 10
# Logistic calibration: intercept, log1p(top), relative gap, IDF coverage, known-word share.
# Fitted by bench/faq_quality.py on LocalgovFAQ (zero-shot) + tests/data/unanswerable.txt; the 5-fold
# cross-validated fit has ECE ~0.03. Kept when the re-ranker came in: its features are first-stage
# scores, the refit ("calibration_full_fit" under abstention_rerank_kfold) moved little, and it
# would have pushed clear questions on small corpora just under the 0.6 answer threshold.
CALIBRATION = (-6.467, 1.58, 2.505, 1.172, -0.731)
# Second-stage re-ranker weights (faq/rerank.py FEATURES), or None for the first stage only.
# Fitted on LocalgovFAQ queries by bench/faq_rerank.py: report its effect only as 5-fold CV.
RERANK: tuple[float, ...] | None = (
    1.9245, 0.2525, 0.8212, 0.054, 0.0146, -0.0089, -0.0871, -1.2044, -1.0972, 4.2396, -0.8091,
)


class Outcome(StrEnum):
    """What the bot does with a question."""

    MEANINGLESS = "meaningless"
    ANSWERED = "answered"
    CANDIDATES = "candidates"
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class Hit:
    """One ranked FAQ."""

    faq_id: str
    question: str
    score: float


@dataclass(frozen=True)
class Match:
    """The engine's decision for one question.

    ANSWERED: hits[0] is the answer (more hits follow as "other questions"). CANDIDATES: up to
    `limit` hits to offer. UNANSWERED: hits are the nearest misses, for staff linking the question
    to a FAQ from the unanswered log — never shown as answers. MEANINGLESS: no hits.
    """

    outcome: Outcome
    hits: tuple[Hit, ...]
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Thresholds:
    """Confidence needed to answer outright, and to offer candidates ("もしかして").

    Defaults from the curve in bench/results/faq_quality.json: candidates at 0.2 keep the answer
    rate at about 0.80 on LocalgovFAQ + our unanswerable set; answering outright needs 0.6.
    """

    answer: float = 0.6
    candidates: float = 0.2


@dataclass(frozen=True)
class Scored:
    """Full score vector of a query plus the features calibration needs."""

    scores: np.ndarray
    terms: frozenset[str]
    known_terms: frozenset[str]
    fuzzy: bool
    fields: dict[str, np.ndarray] | None = None  # weighted per-field parts of `scores`


def score(query: str, index: FaqIndex) -> Scored:
    """Score every slot of the index for `query` (removed slots score -inf)."""
    words = frozenset(analyze_words(query, index.synonyms))
    # Readings only help questions typed in kana; on kanji text they add noise (and a Sudachi pass).
    kana_typed = _kana_share(query) >= KANA_QUERY
    by_field = {"words": {t: 1.0 for t in words}, "grams": dict.fromkeys(char_ngrams(query), 1.0),
                "reading": dict.fromkeys(char_ngrams(reading(query)), 1.0) if kana_typed else {}}
    parts = {name: np.zeros(index.slots) for name in (*FIELDS, "fuzzy")}  # fields weighted 0 stay 0
    for name, weight in WEIGHTS.items():
        terms = by_field["words" if name in WORD_FIELDS else "reading" if name == "qr" else "grams"]
        index.fields[name].add_scores(terms, parts[name], weight)
    known = frozenset(t for t in words if any(t in index.fields[f].postings for f in WORD_FIELDS))
    folded = fold(query)
    fuzzy = 0 < len(folded) <= SHORT_QUERY and len(index) > 0
    if fuzzy:
        _add_fuzzy(folded, index, parts["fuzzy"], parts["qc"])
    scores = sum(parts.values(), np.zeros(index.slots))
    if len(index.dead_slots):
        scores[index.dead_slots] = -np.inf
    return Scored(scores, words, known, fuzzy, parts)


def _kana_share(text: str) -> float:
    letters = [c for c in fold(text) if c.isalnum()]
    return sum("\u3041" <= c <= "\u309f" for c in letters) / len(letters) if letters else 0.0


def _add_fuzzy(folded: str, index: FaqIndex, scores: np.ndarray, question_grams: np.ndarray) -> None:
    # partial_ratio finds a short, misspelt question inside a longer FAQ question. It is only run
    # on the FAQs sharing a character bigram with the question: over 20,000 questions it would
    # cost ~15 ms, over a few hundred candidates well under one.
    shared = np.flatnonzero(question_grams > 0)
    if len(shared) > FUZZY_CANDIDATES:
        shared = shared[np.argpartition(-question_grams[shared], FUZZY_CANDIDATES - 1)[:FUZZY_CANDIDATES]]
    choices = {int(slot): index.folded_questions[slot] for slot in shared}
    found = process.extract(folded, choices, scorer=fuzz.partial_ratio, limit=20, score_cutoff=60)
    for _, similarity, slot in found:
        scores[slot] += FUZZY_WEIGHT * ((similarity - 60.0) / 40.0) ** 2


def rank(query: str, index: FaqIndex, *, limit: int = 10) -> list[Hit]:
    """The best `limit` FAQs for `query`, best first (no decision, for evaluation)."""
    return top_hits(score(query, index), index, limit)


def top_hits(scored: Scored, index: FaqIndex, limit: int) -> list[Hit]:
    """The `limit` best live FAQs with a positive score, best first (re-ranked if RERANK is set)."""
    scores = scored.scores
    if len(index) == 0 or limit <= 0:
        return []
    depth = max(limit, RERANK_DEPTH) if RERANK is not None and scored.fields else limit
    k = min(depth, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    top = np.array([s for s in top if index.documents[s] is not None and scores[s] > 0], dtype=np.int64)
    values = scores[top]
    if depth > limit and len(top) > 1:
        assert RERANK is not None and scored.fields is not None
        idf = {t: _word_idf(index, t) or math.log1p(len(index)) for t in scored.terms}
        rows = candidate_features(top, scored.fields, scores, idf, index)
        order, values = reranked(rows, RERANK, values)
        top = top[order]
    hits = []
    for slot, value in zip(top[:limit], values[:limit]):
        doc = index.documents[slot]
        assert doc is not None
        hits.append(Hit(doc.id, doc.question, float(value)))
    return hits


def features(scored: Scored, hits: list[Hit], index: FaqIndex) -> tuple[float, ...]:
    """Calibration features: log1p(top score), relative gap to #2, IDF-weighted share of the
    question's words found in the top FAQ, and share of the question's words the index knows.

    Top score and gap are the first stage's (before re-ranking): they say how clearly the
    question points at one FAQ, whichever of the close ones the re-ranker then puts first.
    """
    if not hits or not scored.terms:
        return (0.0, 0.0, 0.0, 0.0)
    top, second = _first_two(scored.scores)
    gap = (top - second) / top if top > 0 else 0.0
    analyzed = index.analyzed[index.slot_of[hits[0].faq_id]]
    words = set()
    if analyzed is not None:
        words = analyzed.terms["q"].keys() | analyzed.terms["p"].keys() | analyzed.terms["a"].keys()
    unseen = math.log1p(max(len(index), 1))  # a word no FAQ uses is as specific as it gets
    weights = {t: _word_idf(index, t) or unseen for t in scored.terms}
    covered = sum(w for t, w in weights.items() if t in words) / sum(weights.values())
    known = len(scored.known_terms) / len(scored.terms)
    return (math.log1p(top), gap, covered, known)


def _first_two(scores: np.ndarray) -> tuple[float, float]:
    """The two highest first-stage scores (removed slots and non-matches count as 0)."""
    if len(scores) < 2:
        return (max(float(scores[0]), 0.0) if len(scores) else 0.0), 0.0
    first, second = -np.partition(-scores, 1)[:2]
    return max(float(first), 0.0), max(float(second), 0.0)


def _word_idf(index: FaqIndex, term: str) -> float:
    return max(index.fields[f].idf(term) for f in WORD_FIELDS)


def confidence(feats: tuple[float, ...], coefficients: tuple[float, ...] = CALIBRATION) -> float:
    """Probability that the top hit is right, from the logistic calibration."""
    z = coefficients[0] + sum(c * f for c, f in zip(coefficients[1:], feats))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def _exact_phrasing(query: str, hits: list[Hit], index: FaqIndex) -> Hit | None:
    """The first hit whose question or a paraphrase is the query itself (ignoring width, kana
    and punctuation, allowing a typo or two in longer phrasings)."""
    bare = "".join(c for c in fold(query) if c.isalnum())
    if not bare:
        return None
    for hit in hits:
        analyzed = index.analyzed[index.slot_of[hit.faq_id]]
        phrasings = analyzed.folded_phrasings if analyzed is not None else ()
        if any(p == bare or (len(bare) >= 10 and fuzz.ratio(p, bare) >= 92) for p in phrasings):
            return hit
    return None


def match(
    query: str, index: FaqIndex, *, limit: int = 3, thresholds: Thresholds | None = None
) -> Match:
    """Decide: meaningless, answer, offer up to `limit` candidates, or cannot answer."""
    thresholds = thresholds or Thresholds()
    if is_meaningless(query):
        return Match(Outcome.MEANINGLESS, (), 0.0, ("meaningless input",))
    scored = score(query, index)
    hits = top_hits(scored, index, max(limit, EXACT_WINDOW))
    exact = _exact_phrasing(query, hits, index)
    feats = features(scored, hits, index)
    conf = confidence(feats)
    if exact is not None:
        # Staff linked this very phrasing (or it is the FAQ's own question): answer it.
        hits = [exact] + [h for h in hits if h is not exact]
        conf = max(conf, EXACT_CONFIDENCE)
    reasons = (
        f"terms={len(scored.terms)} known={len(scored.known_terms)}",
        f"top={hits[0].score:.2f}" if hits else "no hit",
        f"gap={feats[1]:.2f} coverage={feats[2]:.2f}",
        f"confidence={conf:.2f}",
    ) + (("fuzzy match on short question",) if scored.fuzzy else ()) + (
        (f"exact phrasing of {exact.faq_id}",) if exact is not None else ()
    )
    if hits and conf >= thresholds.answer:
        return Match(Outcome.ANSWERED, tuple(hits[:limit]), conf, reasons)
    if hits and conf >= thresholds.candidates:
        return Match(Outcome.CANDIDATES, tuple(hits[:limit]), conf, reasons)
    return Match(Outcome.UNANSWERED, tuple(hits[:limit]), conf, reasons)
