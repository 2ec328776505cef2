"""Experiment: does a word-vector signal (bench/faq_vectors.py, ja-ginza's chiVe table) help the FAQ ranker?

`python -m bench.faq_vectors_experiment [--out FILE]` prints JSON: for each variant P@1, SR@3,
SR@5, MRR on LocalgovFAQ (749 queries, grades 1+2 correct), either zero-shot (no parameter
chosen on the queries; fixed a-priori weights) or "cv5" (the fusion weight picked on 4 folds by
MRR, the held-out fold ranked with it, over the same 5 folds as bench/faq_quality.py; the
weights chosen per fold are listed). "grid_full_set" rows show the weight grid over all
queries, for the shape of the curve only — they are tuned on the test set and not results.
Only weights are cross-validated: the design choices (IDF weighting, removing the common
component, which text to embed) were picked after seeing full-set rows, so a point of the
gains may be selection. kfold_paraphrases repeats bench/faq_quality.py's paraphrase loop with
and without the vectors (fold k uses the weight the zero-shot CV chose without fold k).
Costs: load time, build time, RSS, per-query latency of BM25 alone and BM25+vectors.
Needs the `ja_ginza` package's data (pip install --no-deps ja-ginza is enough to run this);
without it, or without the data in /work/shared, it says so and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from bench.experiment import emit, skipped
from bench.faq_quality import DATA_DIR, FOLDS, folds_of, kfold_indices
from faq import match as match_module
from faq.evaluate import ranking_metrics
from faq.index import FaqIndex
from faq.localgov import load_corpus, load_questions
from faq.synonyms import default_synonyms

RRF_K = 60.0
EXPANSION_COST: dict = {}
GRID = {
    "interp": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0],
    "rrf": [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0],
    "expansion": [0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5],
    "combo": [(e, w) for e in (0.0, 0.25, 0.5, 0.75, 1.0) for w in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)],
}
# A-priori (zero-shot) settings, fixed before looking at any query: equal-weight RRF, and
# interpolation with the dense cosine worth half of the best BM25 score.
ZERO_SHOT = {"interp": 0.5, "rrf": 1.0, "expansion": 0.1, "combo": (0.1, 0.5)}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def top10(scores: np.ndarray) -> np.ndarray:
    k = min(10, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def metrics_of(score_rows: Callable[[int], np.ndarray], n: int, ids: list[str], relevant: list[set[str]],
               subset: list[int] | None = None) -> dict:
    subset = list(range(n)) if subset is None else subset
    ranked = [[ids[s] for s in top10(score_rows(i))] for i in subset]
    return ranking_metrics(ranked, [relevant[i] for i in subset])


def rounded(m: dict) -> dict:
    return {k: round(v, 4) for k, v in m.items()}


def zero_shot(scores: np.ndarray, ids: list[str], relevant: list[set[str]]) -> dict:
    return rounded(metrics_of(lambda i: scores[i], len(scores), ids, relevant))


def rank_transform(scores: np.ndarray, depth: int = 100) -> np.ndarray:
    """1/(k + rank) for the top `depth` slots, 0 elsewhere."""
    out = np.zeros_like(scores)
    depth = min(depth, len(scores))
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    out[top] = 1.0 / (RRF_K + np.arange(1, depth + 1))
    return out


def max_normalised(bm25: np.ndarray) -> np.ndarray:
    top = bm25.max(axis=1, keepdims=True)
    return np.where(top > 0, bm25 / np.where(top > 0, top, 1.0), 0.0)


def cross_validated(family: str, make: Callable[[object], np.ndarray], n: int, ids: list[str],
                    relevant: list[set[str]]) -> dict:
    """Pick the weight on 4 folds (MRR), rank the 5th with it; pooled over the 5 folds."""
    grid = GRID[family]
    ranked_by = {}
    for w in grid:
        scores = make(w)
        ranked_by[w] = [[ids[s] for s in top10(scores[i])] for i in range(n)]
    folds = folds_of(n)
    ranked, rel, chosen = [], [], []
    for k in range(FOLDS):
        train = [i for j, f in enumerate(folds) if j != k for i in f]
        best = max(grid, key=lambda w: ranking_metrics([ranked_by[w][i] for i in train],
                                                       [relevant[i] for i in train])["mrr"])
        chosen.append(best)
        ranked += [ranked_by[best][i] for i in folds[k]]
        rel += [relevant[i] for i in folds[k]]
    grid_rows = {str(w): rounded(ranking_metrics(ranked_by[w], relevant)) for w in grid}
    return {"cv5": rounded(ranking_metrics(ranked, rel)), "weights_chosen_per_fold": chosen,
            "grid_full_set (tuned on test, shape only)": grid_rows}


def question_text(doc) -> str:  # type: ignore[no-untyped-def]
    return "\n".join((doc.question, *doc.keywords, doc.category, *doc.paraphrases))


def run() -> dict:
    from bench.faq_vectors import FUSION_WEIGHT, DenseIndex, WordVectors, content_rows, package_root

    questions = load_questions(DATA_DIR)
    documents = load_corpus(DATA_DIR / "corpus.json")
    relevant = [set(q["faq_ids"]) for q in questions]
    n = len(questions)
    result: dict = {"dataset": "LocalgovFAQ (Amagasaki), 1,786 FAQ, 749 queries, grades A+B correct",
                    "protocol": " ".join(__doc__.split("\n\n")[1].split())}
    costs: dict = {"rss_at_start_mb": round(rss_mb(), 1)}
    t = time.perf_counter()
    index = FaqIndex.build(documents, synonyms=default_synonyms())
    costs["bm25_build_s"] = round(time.perf_counter() - t, 2)
    costs["rss_after_bm25_index_mb"] = round(rss_mb(), 1)
    ids = [d.id for d in index.documents]

    t = time.perf_counter()
    vectors = WordVectors.load()
    costs["vectors_load_s"] = round(time.perf_counter() - t, 2)
    costs["rss_after_vectors_load_mb"] = round(rss_mb(), 1)
    q_texts = [question_text(d) for d in index.documents]
    t = time.perf_counter()
    dense_q = DenseIndex.build(q_texts, vectors)
    costs["dense_build_s (questions, 1,786 FAQ)"] = round(time.perf_counter() - t, 2)
    costs["rss_after_dense_build_mb"] = round(rss_mb(), 1)
    costs["latency"] = latency(questions, index, dense_q)
    qa_texts = [q + "\n" + d.answer for q, d in zip(q_texts, index.documents)]
    dense = {
        "question": DenseIndex.build(q_texts, vectors, remove_common=False),
        "answer": DenseIndex.build([d.answer for d in index.documents], vectors, remove_common=False),
        "question+answer": DenseIndex.build(qa_texts, vectors, remove_common=False),
        "question, common component removed": dense_q,
        "question+answer, common component removed": DenseIndex.build(qa_texts, vectors),
    }

    bm25 = np.stack([match_module.score(q["text"], index).scores for q in questions])
    cos = {name: np.stack([d.cosine(q["text"]) for q in questions]) for name, d in dense.items()}
    shipped = [[h.faq_id for h in match_module.rank(q["text"], index)] for q in questions]
    coverage = [bool(content_rows(q["text"], vectors)) for q in questions]

    variants: dict = {
        "bm25 shipped (match.rank)": {"zero_shot": rounded(ranking_metrics(shipped, relevant))},
        "bm25 scores argsort (reference)": {"zero_shot": zero_shot(bm25, ids, relevant)},
    }
    for name, c in cos.items():
        variants[f"dense only: IDF-mean word vectors, {name}"] = {"zero_shot": zero_shot(c, ids, relevant)}
    maxsim = maxsim_scores(questions, q_texts, vectors, dense["question"])
    variants["dense only: max-sim, query words vs FAQ question words"] = {"zero_shot": zero_shot(maxsim, ids, relevant)}

    def add(name: str, family: str, make: Callable) -> None:  # type: ignore[type-arg]
        variants[name] = {"zero_shot": zero_shot(make(ZERO_SHOT[family]), ids, relevant),
                          "zero_shot_weight": ZERO_SHOT[family], **cross_validated(family, make, n, ids, relevant)}

    base = max_normalised(bm25)
    for name, c in cos.items():
        if name != "answer":
            add(f"fusion interp: bm25/max + w*cos({name})", "interp", lambda w, c=c: base + w * c)
    zc = cos["question"]
    zc = (zc - zc.mean(axis=1, keepdims=True)) / (zc.std(axis=1, keepdims=True) + 1e-9)
    add("fusion interp: bm25/max + w*zscore(cos(question))/10", "interp", lambda w: base + w * zc / 10.0)
    add("fusion interp: bm25/max + w*maxsim(question)", "interp", lambda w: base + w * maxsim)
    rrf_bm25 = np.stack([rank_transform(s) for s in bm25])
    rrf_cos = np.stack([rank_transform(s) for s in cos["question, common component removed"]])
    add("fusion RRF (k=60, top 100): bm25 + w*cos(question, common component removed)", "rrf",
        lambda w: rrf_bm25 + w * rrf_cos)
    expansion = expansion_scores(questions, index, vectors)
    add("query expansion: 5 nearest index words per query word (cos>=0.5) into the BM25 word fields", "expansion",
        lambda w: bm25 + w * expansion)
    c = cos["question, common component removed"]
    add("expansion + interp: (bm25 + e*expansion)/max + w*cos(question, common component removed)", "combo",
        lambda ew: max_normalised(bm25 + ew[0] * expansion) + ew[1] * c)
    best = "fusion interp: bm25/max + w*cos(question+answer, common component removed)"
    variants[best]["fixed_weight_in_faq_vectors"] = FUSION_WEIGHT
    variants[best]["at_fixed_weight"] = zero_shot(base + FUSION_WEIGHT * cos["question+answer, common component removed"],
                                                  ids, relevant)
    result["variants"] = variants
    result["kfold_paraphrases"] = kfold_paraphrases(index, questions, vectors, variants[best]["weights_chosen_per_fold"])

    costs["query_expansion_per_query"] = EXPANSION_COST
    root = Path(package_root())
    costs["install_mb"] = {"ja_ginza_package": round(sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 2**20, 1),
                           "of_which_read (vectors + key2row)": round(sum((f.stat().st_size for f in root.rglob("vocab/*")
                                                                          if f.name in ("vectors", "key2row"))) / 2**20, 1)}
    costs["queries_with_no_known_vector_word"] = int(n - sum(coverage))
    costs["vector_table"] = {"rows": int(vectors.table.shape[0]), "dim": vectors.dim, "keys": int(len(vectors.keys)),
                             "table_mb": round(vectors.table.nbytes / 2**20, 1)}
    costs["rss_final_mb (experiment's own score matrices included)"] = round(rss_mb(), 1)
    result["costs"] = costs
    return result


def kfold_paraphrases(index: FaqIndex, questions: list[dict], vectors, weights: list[float]) -> dict:  # type: ignore[no-untyped-def]
    """bench/faq_quality.py's k-fold paraphrase loop (other folds' queries linked to their FAQ as
    paraphrases), BM25 alone vs fused; fold k uses the weight the zero-shot CV chose without fold k."""
    from bench.faq_vectors import DenseIndex

    qrels = json.loads((DATA_DIR / "qrels.json").read_text(encoding="utf-8"))
    folds, indices = kfold_indices(index, questions, qrels)
    ranked_bm25, ranked_fused, rel = [], [], []
    for fold, fold_index, w in zip(folds, indices, weights):
        ids = [d.id if d is not None else "" for d in fold_index.documents]
        texts = [question_text(d) + "\n" + d.answer if d is not None else "" for d in fold_index.documents]
        dense = DenseIndex.build(texts, vectors)
        for i in fold:
            text = questions[i]["text"]
            s = match_module.score(text, fold_index).scores
            ranked_bm25.append([ids[j] for j in top10(s)])
            top = s.max()
            fused = (s / top if top > 0 else np.zeros_like(s)) + w * dense.cosine(text)
            fused[np.isneginf(s)] = -np.inf
            ranked_fused.append([ids[j] for j in top10(fused)])
            rel.append(set(questions[i]["faq_ids"]))
    return {"bm25": rounded(ranking_metrics(ranked_bm25, rel)),
            "bm25/max + w*cos(question+paraphrases+answer, common component removed)": rounded(ranking_metrics(ranked_fused, rel)),
            "weights": weights}


def maxsim_scores(questions: list[dict], q_texts: list[str], vectors, dense) -> np.ndarray:  # type: ignore[no-untyped-def]
    from bench.faq_vectors import content_rows

    doc_words = [content_rows(t, vectors) for t in q_texts]
    rows = np.array([r for ws in doc_words for _, r in ws], dtype=np.int64)
    starts = np.r_[0, np.cumsum([len(ws) for ws in doc_words])[:-1]]
    empty = np.array([len(ws) == 0 for ws in doc_words])
    tokens = vectors.table[rows]
    out = np.zeros((len(questions), len(q_texts)))
    for i, q in enumerate(questions):
        words = content_rows(q["text"], vectors)
        if not words or len(rows) == 0:
            continue
        w = np.array([dense.idf.get(word, dense.default_idf) for word, _ in words])
        sims = vectors.table[[r for _, r in words]] @ tokens.T  # (query words, all FAQ words)
        best = np.maximum.reduceat(sims, np.minimum(starts, len(rows) - 1), axis=1)
        best[:, empty] = 0.0
        out[i] = (w @ best) / w.sum()
    return out


def expansion_scores(questions: list[dict], index: FaqIndex, vectors) -> np.ndarray:  # type: ignore[no-untyped-def]
    """BM25 word-field scores of the nearest index words to each query word (the query's own words excluded)."""
    from faq.index import analyze_words
    from bench.faq_vectors import _cached_row

    vocab = sorted({t for f in match_module.WORD_FIELDS for t in index.fields[f].postings})
    vocab_rows = np.array([_cached_row(vectors, t) for t in vocab])
    known = vocab_rows >= 0
    vocab = [t for t, k in zip(vocab, known) if k]
    vocab_mat = vectors.table[vocab_rows[known]]
    out = np.zeros((len(questions), index.slots))
    times = []
    for i, q in enumerate(questions):
        t = time.perf_counter()
        words = set(analyze_words(q["text"], index.synonyms))
        terms: dict[str, float] = {}
        for word in words:
            row = _cached_row(vectors, word)
            if row < 0:
                continue
            sims = np.einsum("ij,j->i", vocab_mat, vectors.table[row])
            for j in np.argsort(-sims)[:6]:
                if vocab[j] not in words and sims[j] >= 0.5:
                    terms[vocab[j]] = max(terms.get(vocab[j], 0.0), float(sims[j]))
        for f in match_module.WORD_FIELDS:
            index.fields[f].add_scores(terms, out[i], match_module.WEIGHTS[f])
        times.append((time.perf_counter() - t) * 1000)
    EXPANSION_COST.update(vocabulary_with_vectors=len(vocab), vocabulary=len(known),
                          ms_p50=round(float(np.percentile(times, 50)), 2), ms_p99=round(float(np.percentile(times, 99)), 2))
    return out


def latency(questions: list[dict], index: FaqIndex, dense, rounds: int = 3) -> dict:  # type: ignore[no-untyped-def]
    """Per-query ms of the shipped match() and of the dense addition (embed, cosine, fuse, top 10),
    measured before the experiment's own matrices exist. The machine is shared, so each query's
    time is also given as its minimum over `rounds` passes."""
    from bench.faq_vectors import fuse

    match_ms = np.zeros((rounds, len(questions)))
    dense_ms = np.zeros((rounds, len(questions)))
    for r in range(rounds):
        for i, q in enumerate(questions):
            t = time.perf_counter()
            match_module.match(q["text"], index)
            t1 = time.perf_counter()
            s = match_module.score(q["text"], index).scores
            t2 = time.perf_counter()
            top10(fuse(s, dense.cosine(q["text"])))
            t3 = time.perf_counter()
            match_ms[r, i] = (t1 - t) * 1000
            dense_ms[r, i] = (t3 - t2) * 1000
    both = match_ms + dense_ms
    pct = lambda xs, p: round(float(np.percentile(xs, p)), 3)  # noqa: E731
    out = {}
    for name, xs in (("match_ms", match_ms), ("dense_addition_ms", dense_ms), ("match_plus_dense_ms", both)):
        out[name] = {"p50": pct(xs[0], 50), "p99": pct(xs[0], 99),
                     f"p99_of_min_over_{rounds}": pct(xs.min(axis=0), 99)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not (DATA_DIR / "corpus.json").exists():
        return skipped(f"LocalgovFAQ data not found at {DATA_DIR}")
    if importlib.util.find_spec("ja_ginza") is None:
        return skipped("package ja_ginza (the word vectors) is not installed")
    return emit(run(), args.out)


if __name__ == "__main__":
    sys.exit(main())
