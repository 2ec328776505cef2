"""Offline evaluation of the answer engine on a labelled question set.

Used by `madoguchi faq eval --corpus FILE --questions FILE.jsonl` and by bench/faq_quality.py.
Ranking metrics are over answerable questions; the answer rate follows the cities' definition
(回答率 = (応答数 − 返答できなかった数) / 応答数, where 応答数 excludes what the engine itself
judged meaningless); a question counts as handled when it is answered or given candidates.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from faq.index import FaqDocument, FaqIndex
from faq.match import Match, Outcome, Thresholds, match, rank
from faq.synonyms import SynonymTable, default_synonyms

KINDS = ("answerable", "unanswerable", "meaningless")


def load_questions_jsonl(path: str | Path) -> list[dict]:
    """Read one question per line: {"id", "text", "kind", "faq_ids"}; blank lines skipped."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        kind = q.get("kind", "answerable")
        if kind not in KINDS:
            raise ValueError(f"line {n}: unknown kind {kind!r}")
        out.append({"id": str(q.get("id", n)), "text": q["text"], "kind": kind,
                    "faq_ids": [str(f) for f in q.get("faq_ids", [])]})
    return out


def ranking_metrics(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]]) -> dict:
    """P@1, SR@3, SR@5 (success: any relevant in the top k) and MRR@10."""
    n = len(ranked)
    if n == 0:
        return {"p_at_1": 0.0, "sr_at_3": 0.0, "sr_at_5": 0.0, "mrr": 0.0}
    first = [next((i for i, f in enumerate(ids[:10]) if f in rel), None) for ids, rel in zip(ranked, relevant)]
    return {
        "p_at_1": sum(r == 0 for r in first) / n,
        "sr_at_3": sum(r is not None and r < 3 for r in first) / n,
        "sr_at_5": sum(r is not None and r < 5 for r in first) / n,
        "mrr": sum(1.0 / (r + 1) for r in first if r is not None) / n,
    }


def decision_metrics(questions: Sequence[dict], matches: Sequence[Match]) -> dict:
    """Answer rate, precision of what was answered, abstention and meaningless detection."""
    meaningful = [(q, m) for q, m in zip(questions, matches) if m.outcome is not Outcome.MEANINGLESS]
    handled = [(q, m) for q, m in meaningful if m.outcome in (Outcome.ANSWERED, Outcome.CANDIDATES)]
    right = sum(_is_right(q, m) for q, m in handled)
    unanswerable = [m for q, m in zip(questions, matches) if q["kind"] == "unanswerable"]
    truly = [m for q, m in zip(questions, matches) if q["kind"] == "meaningless"]
    flagged = [q for q, m in zip(questions, matches) if m.outcome is Outcome.MEANINGLESS]
    return {
        "answer_rate": _ratio(len(handled), len(meaningful)),
        "answered_precision": _ratio(right, len(handled)),
        "unanswerable_recall": _ratio(sum(m.outcome is Outcome.UNANSWERED for m in unanswerable), len(unanswerable)),
        "meaningless_precision": _ratio(sum(q["kind"] == "meaningless" for q in flagged), len(flagged)),
        "meaningless_recall": _ratio(sum(m.outcome is Outcome.MEANINGLESS for m in truly), len(truly)),
    }


def _is_right(question: dict, m: Match) -> bool:
    if question["kind"] != "answerable":
        return False
    shown = m.hits[:1] if m.outcome is Outcome.ANSWERED else m.hits[:3]
    return any(h.faq_id in question["faq_ids"] for h in shown)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def evaluate(
    documents: Sequence[FaqDocument],
    questions: Sequence[dict],
    *,
    synonyms: SynonymTable | None = None,
    thresholds: Thresholds | None = None,
    index: FaqIndex | None = None,
) -> dict:
    """Build an index over `documents` and score the engine on `questions` (see module doc)."""
    index = index or FaqIndex.build(documents, synonyms=synonyms or default_synonyms())
    matches, latencies = [], []
    for q in questions:
        start = time.perf_counter()
        matches.append(match(q["text"], index, thresholds=thresholds))
        latencies.append((time.perf_counter() - start) * 1000.0)
    answerable = [q for q in questions if q["kind"] == "answerable"]
    ranked = [[h.faq_id for h in rank(q["text"], index, limit=10)] for q in answerable]
    result = ranking_metrics(ranked, [set(q["faq_ids"]) for q in answerable])
    result.update(decision_metrics(questions, matches))
    result["latency_ms_p50"] = float(np.percentile(latencies, 50)) if latencies else 0.0
    result["latency_ms_p99"] = float(np.percentile(latencies, 99)) if latencies else 0.0
    result["n"] = len(questions)
    return result

