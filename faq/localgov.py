"""Loader for the LocalgovFAQ benchmark (Amagasaki FAQ, Sakata et al. SIGIR 2019).

Benchmark use only: the data is read from /work/shared at benchmark time and never copied into
the product. corpus.json holds "Question: ...\nAnswer: ...\n" strings; many answers end with a
"＜改＞。【関連するＦＡＱ】。" list of other FAQ titles, which makes every listed FAQ match queries
meant for its neighbours, so it is cut off here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from faq.index import FaqDocument

_SECTION = "＜改＞。"
_RELATED = re.compile(r"(?:【関連するＦＡＱ】|■関連するＦＡＱ)")
_ENTRY = re.compile(r"^Question:\s*(?P<q>.*?)\nAnswer:\s*(?P<a>.*)$", re.S)


def strip_related(answer: str) -> str:
    """Remove every related-FAQ section ("【関連するＦＡＱ】" or "■関連するＦＡＱ", up to the next
    ＜改＞ section or the end)."""
    while (m := _RELATED.search(answer)) is not None:
        start = m.start()
        end = answer.find(_SECTION, m.end())
        head = answer[:start].removesuffix(_SECTION)
        tail = answer[end:] if end >= 0 else ""
        answer = head + tail
    return answer.strip()


def parse_entry(faq_id: str, raw: str) -> FaqDocument:
    """Turn one corpus.json value into a FaqDocument."""
    m = _ENTRY.match(raw.strip())
    if m is None:
        return FaqDocument(id=faq_id, question=raw.strip(), answer="")
    return FaqDocument(id=faq_id, question=m["q"].strip(), answer=strip_related(m["a"].strip()))


def load_corpus(path: str | Path) -> list[FaqDocument]:
    """Read corpus.json into FaqDocuments, related-FAQ lists stripped from the answers."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [parse_entry(str(k), v) for k, v in data.items()]


def load_questions(data_dir: str | Path) -> list[dict]:
    """queries.json + qrels.json as answerable questions; grades 1 (B) and 2 (A) both count."""
    data_dir = Path(data_dir)
    queries = json.loads((data_dir / "queries.json").read_text(encoding="utf-8"))
    qrels = json.loads((data_dir / "qrels.json").read_text(encoding="utf-8"))
    out = []
    for qid, text in queries.items():
        grades = qrels.get(qid, {})
        faq_ids = [fid for fid, g in sorted(grades.items(), key=lambda kv: -kv[1]) if g >= 1]
        out.append({"id": str(qid), "text": text, "kind": "answerable", "faq_ids": faq_ids})
    return out
