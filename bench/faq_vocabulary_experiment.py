"""Experiment: bridge the words citizens use and the words of the FAQ, without a language model.

`python -m bench.faq_vocabulary_experiment [--out FILE]` prints one JSON object (and writes it to FILE).
Nothing in faq/ is changed. Two sources of vocabulary are tried:

1. Sudachi's synonym groups. The installed core dictionary numbers the synonym group(s) of many
   words (亡くなる, 死ぬ and 逝去 share one; so do 保育園 and 保育所, 所得 and 収入, 住基 and 住民基本
   台帳) even without the separate synonym dictionary that chikkarpy would download. Each query word
   is expanded with the index's words of the same group (a word in more than MAX_GROUPS groups is
   too ambiguous and skipped) and those add γ × their BM25 score in the question, paraphrase and
   answer word fields to the first stage's score (the query's own words are not added twice).
2. A translation model learnt from staff links. In the staff loop (bench/faq_quality.py's
   kfold_paraphrases: the other folds' queries linked as paraphrases of their best-graded FAQ), most
   rank-1 misses have a right FAQ with linked paraphrases among the candidates, but the held-out
   query shares no word with them: 家族が死んだら against 親が亡くなりました. Each link is also a lesson
   in vocabulary: the citizen wrote 亡くなる where the FAQ says 死亡. IBM Model 1 (EM over word
   alignments, Brown et al. 1993) fitted on (FAQ question words → linked paraphrase words) pairs
   learns P(citizen word | FAQ word); a candidate FAQ is then scored by the translation language
   model of Xue, Jeon and Croft (SIGIR 2008):

       log P(query | FAQ) = Σ_w log((1−λ)·(β·P_ml(w|FAQ) + (1−β)·Σ_t P(w|t)·P_ml(t|FAQ)) + λ·P(w|corpus))

   with the FAQ's question, answer and paraphrase words as its text. With no links the translation
   part is empty and this is a plain smoothed query-likelihood score. λ=0.2, β=0.5 and 8 EM iterations
   were the first values tried. A prototype also tried β=0.2, answer words in the source and the FAQ's
   text without its answer (all within a point of what this program prints), and, zero-shot, a model
   fitted on each FAQ's own answer → question words: 0.525 P@1 at its best fusion weight (chosen on
   the test queries, not cross-validated) against 0.514.

Protocol (LocalgovFAQ, 749 queries, grades A and B count; bench.faq_quality's 5 folds; every number is
5-fold cross-validation; no held-out query's text is ever seen by a model that ranks it):
- staff loop: fold k is ranked on the index holding the other folds' queries as paraphrases, and the
  translation model is fitted on those same links only;
- zero-shot: the plain index, no links, so no translation (query likelihood alone);
- "Sudachi synonym groups": the whole index re-ranked with the expansion at γ from a grid fixed in
  advance, chosen per held-out fold on the other folds' queries (same setting);
- "fusion": the first stage's top 20, re-ordered by z(first-stage score) + α·z(model score)
  (z: standardised within the query's candidates); α from a grid fixed in advance, chosen per held-out
  fold on the other folds' queries (the staff-loop α on their staff-loop rankings);
- "re-ranker": faq/rerank.py's linear re-ranker with one more feature, the model score minus the
  best candidate's, fitted as bench/faq_staff_rerank_experiment.py fits it (pairwise, nested: the
  training queries of fold j for held-out fold k are ranked on an index, and by a model, holding
  the links of the folds not in {j, k}); zero-shot groups use query likelihood alone;
- paired bootstrap of every row against the shipped engine in the same setting (re-ranker with
  faq/rerank.py's features, fitted by the same protocol), and the fit time per link set.
The program re-executes itself with PYTHONHASHSEED=0, so reruns print the same JSON. Data stays in
/work/shared (benchmark use only); without it the program says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import sudachipy

from bench.experiment import emit, paired_bootstrap, skipped, with_fixed_hash_seed
from bench.faq_quality import DATA_DIR, FOLDS, folds_of, with_paraphrases
from bench.faq_rerank import first_stage, pairwise_fit
from bench.faq_staff_rerank_experiment import links_from, metrics_of
from faq.index import FaqIndex, analyze_words
from faq.localgov import load_corpus, load_questions
from faq.rerank import candidate_features
from faq.synonyms import default_synonyms
from faq.tokenize import tokenize

NULL = "\x00"  # the empty source word: explains citizen words no FAQ word accounts for
ITERATIONS = 8
LAMBDA, BETA = 0.2, 0.5
ALPHAS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
GAMMAS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
MAX_GROUPS = (1, 9)  # both tried: only unambiguous words, or nearly all
WORD_FIELDS = ("q", "p", "a")


# -- Sudachi's synonym groups --------------------------------------------------------------------

@lru_cache(maxsize=1)
def _sudachi() -> "sudachipy.Tokenizer":
    return sudachipy.Dictionary(dict="core").tokenizer(mode=sudachipy.SplitMode.C)


@lru_cache(maxsize=None)
def group_ids(word: str) -> tuple[int, ...]:
    """Sudachi's synonym group ids of a word (of the engine's normalised, kana-folded words), if the
    dictionary reads it as one morpheme."""
    morphemes = _sudachi().tokenize(word)
    return tuple(morphemes[0].synonym_group_ids()) if len(morphemes) == 1 else ()


class SynonymGroups:
    """The index's words by synonym group, and the expansion of a question with them."""

    def __init__(self, index: FaqIndex, max_groups: int) -> None:
        self.max_groups = max_groups
        self.words: dict[int, set[str]] = defaultdict(set)
        vocabulary = {t for f in WORD_FIELDS for t in index.fields[f].postings}
        for word in vocabulary:
            ids = group_ids(word)
            if len(ids) <= max_groups:
                for g in ids:
                    self.words[g].add(word)

    def expansion(self, text: str) -> dict[str, float]:
        """Index words sharing a synonym group with a word of `text`, other than its own words."""
        own = set(tokenize(text))
        found = {}
        for word in own:
            ids = group_ids(word)
            if len(ids) <= self.max_groups:
                for g in ids:
                    found.update(dict.fromkeys(self.words.get(g, ()), 1.0))
        return {w: v for w, v in found.items() if w not in own}


# -- the translation model -----------------------------------------------------------------------

Table = dict[str, dict[str, float]]  # P(target word | source word) as {target: {source: p}}


def fit_translation(pairs: Iterable[tuple[list[str], list[str]]], iterations: int = ITERATIONS) -> Table:
    """IBM Model 1 by EM over (source words, target words) pairs."""
    pairs = [(source + [NULL], target) for source, target in pairs if source and target]
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for source, target in pairs:
        for w in target:
            row = table[w]
            for s in source:
                row[s] = 1.0
    for _ in range(iterations):
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        totals: dict[str, float] = defaultdict(float)
        for source, target in pairs:
            for w in target:
                row = table[w]
                z = sum(row[s] for s in source)
                for s in source:
                    c = row[s] / z
                    counts[s][w] += c
                    totals[s] += c
        table = defaultdict(dict)
        for s, row in counts.items():
            for w, c in row.items():
                table[w][s] = c / totals[s]
    return dict(table)


class TranslationScorer:
    """log P(query | FAQ) under the translation language model, for candidates of one index."""

    def __init__(self, index: FaqIndex, table: Table) -> None:
        self.table = table
        self.docs: dict[int, tuple[Counter, int]] = {}
        corpus: Counter = Counter()
        for slot, analyzed in enumerate(index.analyzed):
            if analyzed is None:
                continue
            words = analyzed.terms["q"] + analyzed.terms["a"] + analyzed.terms["p"]
            self.docs[slot] = (words, max(sum(words.values()), 1))
            corpus.update(words)
        self.corpus, self.corpus_size = corpus, sum(corpus.values()) + 1

    def score(self, words: Iterable[str], slot: int) -> float:
        counts, size = self.docs[slot]
        total = 0.0
        for w in words:
            background = (self.corpus.get(w, 0) + 0.5) / self.corpus_size
            translated = sum(p * counts[s] for s, p in self.table.get(w, {}).items() if s in counts) / size
            direct = counts.get(w, 0) / size
            total += math.log((1 - LAMBDA) * (BETA * direct + (1 - BETA) * translated) + LAMBDA * background)
        return total


def link_pairs(index: FaqIndex, links: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """(FAQ question words, linked phrasing words) for every link."""
    pairs = []
    for faq_id, texts in links.items():
        slot = index.slot_of.get(faq_id)
        analyzed = index.analyzed[slot] if slot is not None else None
        if analyzed is None:
            continue
        source = list(analyzed.terms["q"].elements())
        pairs.extend((source, analyze_words(text, index.synonyms)) for text in texts)
    return pairs


# -- candidate groups ---------------------------------------------------------------------------

class Group:
    """A query's first-stage top-20 candidates on one index, with the engine's re-ranker features,
    the first-stage score and the translation model's score."""

    def __init__(self, index: FaqIndex, scorer: TranslationScorer, question: dict,
                 synonym_groups: dict[int, SynonymGroups]) -> None:
        stage = first_stage(index, question["text"])
        self.ids = stage.ids
        self.index, self.faq_ids = index, set(question["faq_ids"])
        self.scores = stage.scored.scores  # the first stage's, over the whole index
        self.expanded: dict[int, np.ndarray] = {}  # max groups -> expansion's BM25 over the whole index
        for max_groups, groups in synonym_groups.items():
            extra = np.zeros(index.slots)
            terms = groups.expansion(question["text"])
            for name in WORD_FIELDS:
                index.fields[name].add_scores(terms, extra)
            self.expanded[max_groups] = extra
        self.relevant = np.array([i in question["faq_ids"] for i in stage.ids], dtype=bool)
        self.base = candidate_features(stage.slots, stage.fields, stage.scored.scores, stage.idf, index)
        self.first = np.array([stage.scored.scores[s] for s in stage.slots])
        words = list(stage.scored.terms)
        self.model = np.array([scorer.score(words, s) for s in stage.slots])

    def rows(self, with_model: bool) -> np.ndarray:
        if not with_model:
            return self.base
        relative = (self.model - self.model.max())[:, None] if len(self.model) else np.zeros((0, 1))
        return np.hstack([self.base, relative])


def expanded(groups: list[Group], max_groups: int, gamma: float) -> list[int | None]:
    """Rank of the first right FAQ with the synonym-group expansion added to the first stage."""
    out = []
    for g in groups:
        scores = g.scores + gamma * g.expanded[max_groups]
        top = [int(t) for t in np.argsort(-scores, kind="stable")[:10] if scores[t] > 0]
        hit = [r for r, t in enumerate(top) if g.index.documents[t].id in g.faq_ids]
        out.append(hit[0] if hit else None)
    return out


def first_correct(order: np.ndarray, relevant: np.ndarray) -> int | None:
    hit = np.flatnonzero(relevant[order][:10])
    return int(hit[0]) if len(hit) else None


def standardised(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 1e-9 else 1.0)


def fused(groups: list[Group], alpha: float) -> list[int | None]:
    out = []
    for g in groups:
        order = (np.argsort(-(standardised(g.first) + alpha * standardised(g.model)), kind="stable")
                 if len(g.ids) > 1 else np.arange(len(g.ids)))
        out.append(first_correct(order, g.relevant))
    return out


def reranked(groups: list[Group], weights: np.ndarray | None, with_model: bool) -> list[int | None]:
    out = []
    for g in groups:
        order = (np.argsort(-(g.rows(with_model) @ weights), kind="stable")
                 if weights is not None and len(g.ids) > 1 else np.arange(len(g.ids)))
        out.append(first_correct(order, g.relevant))
    return out


def p_at_1(first: list[int | None]) -> float:
    return float(np.mean([f == 0 for f in first]))


# -- the experiment -----------------------------------------------------------------------------

def run() -> dict:
    t0 = time.perf_counter()
    questions = load_questions(DATA_DIR)
    qrels = json.loads((DATA_DIR / "qrels.json").read_text(encoding="utf-8"))
    base_index = FaqIndex.build(load_corpus(DATA_DIR / "corpus.json"), synonyms=default_synonyms())
    folds = folds_of(len(questions))
    fit_seconds = []

    def setting(excluded: set[int]) -> tuple[FaqIndex, TranslationScorer]:
        links = links_from(questions, qrels, folds, excluded)
        index = with_paraphrases(base_index, links)
        started = time.perf_counter()
        table = fit_translation(link_pairs(base_index, links))
        fit_seconds.append((sum(map(len, links.values())), time.perf_counter() - started))
        return index, TranslationScorer(index, table)

    def synonym_groups(index: FaqIndex) -> dict[int, SynonymGroups]:
        return {m: SynonymGroups(index, m) for m in MAX_GROUPS}

    outer = {k: setting({k}) for k in range(FOLDS)}
    nested = {frozenset((j, k)): setting({j, k}) for k in range(FOLDS) for j in range(k)}
    plain = TranslationScorer(base_index, {})
    zero = {i: Group(base_index, plain, questions[i], synonym_groups(base_index)) for f in folds for i in f}
    outer_groups = {k: synonym_groups(index) for k, (index, _) in outer.items()}
    staff = {i: Group(*outer[k], questions[i], outer_groups[k]) for k, f in enumerate(folds) for i in f}
    inner = {(j, k): [Group(*nested[frozenset((j, k))], questions[i], {}) for i in folds[j]]
             for k in range(FOLDS) for j in range(FOLDS) if j != k}
    groups_s = time.perf_counter() - t0
    order = [i for f in folds for i in f]  # every list of results is in this order

    Ranks = Callable[[list[Group], float], list[int | None]]

    def cross_validated(groups: dict[int, Group], grid: tuple[float, ...],
                        ranks: Ranks) -> tuple[list[int | None], list[float]]:
        """Each held-out fold ranked at the grid value that did best on the others (P@1, then the smaller)."""
        firsts: dict[int, int | None] = {}
        chosen = []
        for k in range(FOLDS):
            train = [groups[i] for j in range(FOLDS) if j != k for i in folds[j]]
            value = max(grid, key=lambda v: (p_at_1(ranks(train, v)), -v))
            chosen.append(value)
            firsts.update(zip(folds[k], ranks([groups[i] for i in folds[k]], value)))
        return [firsts[i] for i in order], chosen

    results: dict[str, dict[str, list[int | None]]] = {"staff_loop": {}, "zero_shot": {}}
    for name, groups in (("staff_loop", staff), ("zero_shot", zero)):
        results[name]["first stage"] = [first_correct(np.arange(len(groups[i].ids)), groups[i].relevant) for i in order]

    # Grid values chosen for each held-out fold on the other folds, in the same setting.
    chosen: dict[str, list[float]] = {}
    for name, groups in (("staff_loop", staff), ("zero_shot", zero)):
        for max_groups in MAX_GROUPS:
            label = f"Sudachi synonym groups (words in ≤{max_groups} groups)"
            ranks = lambda gs, gamma, m=max_groups: expanded(gs, m, gamma)  # noqa: E731
            results[name][f"{label}, γ by CV"], chosen[f"{name}: {label}"] = cross_validated(groups, GAMMAS, ranks)
            for gamma in GAMMAS[1:]:
                results[name][f"{label}, γ={gamma} (not CV)"] = ranks([groups[i] for i in order], gamma)
        results[name]["translation fusion, α by CV"], chosen[f"{name}: translation fusion"] = cross_validated(
            groups, ALPHAS, fused)
        for alpha in ALPHAS[1:]:
            results[name][f"translation fusion α={alpha} (not CV)"] = fused([groups[i] for i in order], alpha)

    # Re-ranker, with and without the model's score as a feature; fitted on zero-shot and nested
    # staff-loop training groups of the other folds (the "union" fit of the staff-rerank experiment).
    for with_model in (False, True):
        label = "re-ranker + translation" if with_model else "re-ranker (shipped features)"
        firsts = {"staff_loop": {}, "zero_shot": {}}
        for k in range(FOLDS):
            train = [zero[i] for j in range(FOLDS) if j != k for i in folds[j]]
            train += [g for j in range(FOLDS) if j != k for g in inner[(j, k)]]
            w = pairwise_fit([(g.rows(with_model), g.relevant) for g in train])
            for name, groups in (("staff_loop", staff), ("zero_shot", zero)):
                firsts[name].update(zip(folds[k], reranked([groups[i] for i in folds[k]], w, with_model)))
        for name in firsts:
            results[name][label] = [firsts[name][i] for i in order]

    rows = []
    for name, variants in results.items():
        baseline = variants["re-ranker (shipped features)"]
        for label, first in variants.items():
            row = {"setting": name, "variant": label, **metrics_of(first)}
            if label != "re-ranker (shipped features)":
                row["vs_shipped_reranker"] = paired_bootstrap(baseline, first)
            rows.append(row)
    links_count, seconds = zip(*fit_seconds)
    return {
        "dataset": "LocalgovFAQ (Amagasaki), 1,786 FAQ, 749 queries, grades A+B count as correct",
        "protocol": "see module docstring of bench/faq_vocabulary_experiment.py",
        "model": {"lambda": LAMBDA, "beta": BETA, "em_iterations": ITERATIONS},
        "rows": rows,
        "grid_value_chosen_per_fold": chosen,
        "fit_seconds": {"links": [min(links_count), max(links_count)],
                        "seconds": [round(min(seconds), 2), round(max(seconds), 2)]},
        "seconds": {"groups": round(groups_s, 1), "total": round(time.perf_counter() - t0, 1)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)
    with_fixed_hash_seed("bench.faq_vocabulary_experiment", argv)
    if not (DATA_DIR / "corpus.json").exists():
        return skipped(f"LocalgovFAQ data not found at {DATA_DIR}")
    return emit(run(), args.out)


if __name__ == "__main__":
    sys.exit(main())
