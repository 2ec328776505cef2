"""FAQ engine latency: `python -m bench.faq_latency [--sizes 1786,20000] [--queries 500]`.

Prints JSON and writes bench/results/faq_latency.json: per corpus size, the index build time,
match() latency p50/p99 (ms), the cost of one incremental update (with_document) and the process's
resident memory. Two kinds
of synthetic corpus: "vocabulary" combines a small municipal word list (runs anywhere);
"localgov-recombined" recombines LocalgovFAQ answer sentences read from /work/shared at bench
time (real vocabulary and lengths; skipped without the data) and asks the 749 real queries.
1,786 mirrors LocalgovFAQ; 20,000 is a large prefecture-wide FAQ.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from faq.index import FaqDocument, FaqIndex
from faq.match import match
from faq.synonyms import default_synonyms

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "faq_latency.json"

TOPICS = """住民票 戸籍謄本 印鑑登録 マイナンバーカード 転入届 転出届 転居届 粗大ごみ 資源ごみ 家庭ごみ
犬の登録 狂犬病予防注射 国民健康保険 国民年金 介護保険 後期高齢者医療 児童手当 保育所 幼稚園
学童保育 母子健康手帳 予防接種 がん検診 特定健診 生活保護 障害者手帳 市営住宅 空き家 放置自転車
駐輪場 街路灯 道路の陥没 公園の遊具 避難所 ハザードマップ 防災無線 市民税 固定資産税 軽自動車税
納税証明書 所得証明書 選挙の投票 期日前投票 図書館 体育館 市民プール 公民館 ボランティア 補助金
蜂の巣 害虫駆除 騒音 不法投棄 下水道 水道料金 浸水 家電リサイクル 子ども医療費 ひとり親家庭""".split()
ACTIONS = """申請したい 再発行したい 変更したい 届け出たい 取得したい 予約したい 相談したい 廃止したい
支払いたい 確認したい 利用したい 申し込みたい 問い合わせたい 手続きしたい""".split()
ASPECTS = """必要なもの 手数料 受付時間 窓口 期限 代理人の場合 郵送の場合 土日の対応 対象者 所得制限
申請書の書き方 オンライン申請 コンビニ交付 支払い方法 必要書類 場所 電話番号""".split()
SENTENCES = [
    "{topic}の{aspect}については、{office}でご案内しています。",
    "{topic}を{action}場合は、本人確認書類をお持ちのうえ{office}へお越しください。",
    "受付時間は平日の午前9時から午後5時30分までです。",
    "代理人が手続きする場合は委任状が必要です。",
    "手数料は1通300円です。",
    "{topic}の申請書は市のホームページからダウンロードできます。",
    "郵送で{action}場合は、返信用封筒と切手を同封してください。",
    "詳しくは{office}までお問い合わせください。",
]
OFFICES = "市民課 各支所 福祉事務所 保健センター 環境センター 税務課 こども家庭課 道路課 公園課 危機管理課".split()


def synthesize(n: int, seed: int = 7) -> list[FaqDocument]:
    """`n` FAQ entries combining municipal topics, actions and aspects (no real FAQ text)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        topic, action, aspect = rng.choice(TOPICS), rng.choice(ACTIONS), rng.choice(ASPECTS)
        office = rng.choice(OFFICES)
        sentences = rng.sample(SENTENCES, k=rng.randint(3, 6))
        answer = "".join(s.format(topic=topic, action=action, aspect=aspect, office=office) for s in sentences)
        question = f"{topic}を{action}のですが、{aspect}を教えてください。（{i}）"
        docs.append(FaqDocument(id=str(i), question=question, answer=answer, category=office))
    return docs


def synthesize_from_localgov(n: int, seed: int = 7) -> list[FaqDocument] | None:
    """`n` entries recombined from LocalgovFAQ sentences (real vocabulary, read at bench time only)."""
    from bench.faq_quality import DATA_DIR
    from faq.localgov import load_corpus

    if not (DATA_DIR / "corpus.json").exists():
        return None
    rng = random.Random(seed)
    real = load_corpus(DATA_DIR / "corpus.json")
    sentences = [s + "。" for d in real for s in d.answer.split("。") if len(s) > 5]
    docs = []
    for i in range(n):
        base = real[i % len(real)]
        answer = "".join(rng.sample(sentences, k=rng.randint(3, 8)))
        docs.append(FaqDocument(id=f"s{i}", question=f"{base.question}（{i // len(real)}）", answer=answer))
    return docs


def localgov_queries() -> list[str] | None:
    from bench.faq_quality import DATA_DIR
    from faq.localgov import load_questions

    if not (DATA_DIR / "queries.json").exists():
        return None
    return [q["text"] for q in load_questions(DATA_DIR)]


def queries(n: int, seed: int = 11) -> list[str]:
    """Resident-style questions over the same vocabulary, plus some off-topic and short ones."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.7:
            out.append(f"{rng.choice(TOPICS)}を{rng.choice(ACTIONS)}けど{rng.choice(ASPECTS)}はどうなってますか？")
        elif kind < 0.85:
            out.append(rng.choice(TOPICS))
        else:
            out.append("明日の天気と近くのおいしいラーメン屋を教えてください")
    return out


def measure(size: int, n_queries: int, source: str = "vocabulary") -> dict | None:
    """Build, query and update timings for one corpus size."""
    docs = synthesize(size) if source == "vocabulary" else synthesize_from_localgov(size)
    questions = queries(n_queries) if source == "vocabulary" else localgov_queries()
    if docs is None or questions is None:
        return None
    synonyms = default_synonyms()
    start = time.perf_counter()
    index = FaqIndex.build(docs, synonyms=synonyms)
    build_s = time.perf_counter() - start
    for q in questions[:50]:
        match(q, index)  # warm caches (part-of-speech table, numpy paths) before timing
    latencies = []
    for q in questions:
        t = time.perf_counter()
        match(q, index)
        latencies.append((time.perf_counter() - t) * 1000.0)
    updates = []
    for i in range(20):
        doc = FaqDocument(id=f"new{i}", question=f"{TOPICS[i]}の新しい制度について知りたい", answer="新制度の概要です。")
        t = time.perf_counter()
        index = index.with_document(doc)
        updates.append((time.perf_counter() - t) * 1000.0)
    rss_queried = rss_mb()
    for field_index in index.fields.values():  # the most the per-term weight cache can hold
        for term in field_index.postings:
            field_index.weights(term)
    return {
        "corpus": source,
        "entries": size,
        "build_seconds": round(build_s, 2),
        "queries": len(questions),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 2),
        "update_ms_p50": round(float(np.percentile(updates, 50)), 1),
        "update_ms_max": round(float(max(updates)), 1),
        # This process, with this index alive (earlier runs' indexes are freed): after the queries,
        # and with every term's weights cached (the most a long-running worker can reach).
        "rss_mb": rss_queried,
        "rss_mb_all_weights_cached": rss_mb(),
    }


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1786,20000")
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args(argv)
    match("ウォームアップ", FaqIndex.build(synthesize(10)))  # load Sudachi once, outside timings
    result = {"targets": {"p99_ms_at_1786": 10, "p99_ms_at_20000": 25, "build_s_at_20000": 30, "rss_mb": 600},
              "runs": [run for source in ("vocabulary", "localgov-recombined") for s in args.sizes.split(",")
                       if (run := measure(int(s), args.queries, source)) is not None]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
