"""What the answer-engine experiments in bench/ share: a fixed hash seed, the skip notice, their JSON output, and
the paired bootstrap that says whether a variant's gain over the baseline is more than noise."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.faq_quality import SEED


def with_fixed_hash_seed(module: str, argv: list[str] | None) -> None:
    """Re-execute `python -m module` with PYTHONHASHSEED=0 unless it already runs so.

    Set iteration order changes the float summation order of first-stage scores, which is enough to
    move a fitted model by a few queries; with the seed fixed, a rerun prints the same JSON.
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        args = sys.argv[1:] if argv is None else argv
        os.execv(sys.executable, [sys.executable, "-m", module, *args])


def skipped(reason: str) -> int:
    """Say why the experiment did not run (missing data or package); exit status 0."""
    print(json.dumps({"skipped": reason}))
    return 0


def emit(result: dict[str, Any], out: Path | None) -> int:
    """Print the result as JSON and, if asked, write it to `out` too."""
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def paired_bootstrap(baseline: list[int | None], variant: list[int | None], samples: int = 2000) -> dict:
    """95% intervals of the variant's P@1 and MRR gains over the baseline, resampling queries,
    and how many queries the variant newly gets right / newly gets wrong at rank 1."""
    top1 = lambda first: np.array([f == 0 for f in first], dtype=float)  # noqa: E731
    rr = lambda first: np.array([0.0 if f is None else 1.0 / (f + 1) for f in first])  # noqa: E731
    d_top1, d_rr = top1(variant) - top1(baseline), rr(variant) - rr(baseline)
    draws = np.random.default_rng(SEED).integers(0, len(d_top1), size=(samples, len(d_top1)))
    interval = lambda d: [round(float(q), 4) for q in np.percentile(d[draws].mean(1), [2.5, 97.5])]  # noqa: E731
    return {"delta_p_at_1_ci95": interval(d_top1), "delta_mrr_ci95": interval(d_rr),
            "top1_gained": int((d_top1 > 0).sum()), "top1_lost": int((d_top1 < 0).sum())}
