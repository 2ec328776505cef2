"""What the answer-engine experiments in bench/ share: a fixed hash seed, the skip notice, their JSON output."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


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
