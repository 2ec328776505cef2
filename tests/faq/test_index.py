import dataclasses
import threading

from faq.index import FaqDocument, FaqIndex
from faq.match import rank
from faq.synonyms import default_synonyms

from .conftest import SMALL_CORPUS

NEW = FaqDocument("parking", "市役所の駐車場は何台とめられますか", "本庁舎の駐車場は120台です。1時間まで無料です。")


def scores(index: FaqIndex, question: str) -> dict[str, float]:
    return {h.faq_id: round(h.score, 6) for h in rank(question, index, limit=20)}


def test_build_counts_documents_and_finds_them_by_id(small_index: FaqIndex) -> None:
    assert len(small_index) == len(SMALL_CORPUS)
    assert small_index.get("library") == SMALL_CORPUS[-1]
    assert small_index.get("nope") is None


def test_a_later_duplicate_id_replaces_the_earlier_one() -> None:
    index = FaqIndex.build([SMALL_CORPUS[0], dataclasses.replace(SMALL_CORPUS[0], question="新しい質問")])
    assert len(index) == 1 and index.get("garbage").question == "新しい質問"


def test_an_added_document_is_found_immediately_and_the_old_index_is_unchanged(small_index: FaqIndex) -> None:
    updated = small_index.with_document(NEW)
    assert rank("市役所に車でいきたい、駐車場ある？", updated, limit=1)[0].faq_id == "parking"
    assert small_index.get("parking") is None and len(updated) == len(small_index) + 1


def test_incremental_updates_score_exactly_like_a_full_rebuild(small_index: FaqIndex) -> None:
    questions = ("粗大ごみの予約", "駐車場", "犬の登録", "住民票の写し")
    for question in questions:  # term weights cached on the old index must not carry over to the edited one
        scores(small_index, question)
    edited = dataclasses.replace(SMALL_CORPUS[1], answer="粗大ごみはインターネットで予約してください。")
    incremental = small_index.with_document(NEW).with_document(edited).without("dog")
    corpus = [d for d in SMALL_CORPUS if d.id not in ("dog", "bulky")] + [NEW, edited]
    rebuilt = FaqIndex.build(corpus, synonyms=default_synonyms())
    for question in questions:
        assert scores(incremental, question) == scores(rebuilt, question)
    added = small_index.with_document(NEW)  # an edit alone: its new field indexes start with no cached weights
    rebuilt_with_new = FaqIndex.build([*SMALL_CORPUS, NEW], synonyms=default_synonyms())
    for question in questions:
        assert scores(added, question) == scores(rebuilt_with_new, question)


def test_a_removed_document_is_never_returned(small_index: FaqIndex) -> None:
    smaller = small_index.without("dog")
    assert smaller.get("dog") is None and len(smaller) == len(small_index) - 1
    assert "dog" not in {h.faq_id for h in rank("犬の登録", smaller, limit=20)}
    assert smaller.without("dog") is smaller


def test_compacting_keeps_the_same_answers(small_index: FaqIndex) -> None:
    holey = small_index.without("dog").without("hornet")
    compact = holey.compacted()
    assert compact.slots == len(compact) == len(holey)
    assert scores(compact, "ごみの出し方") == scores(holey, "ごみの出し方")


def test_readers_keep_working_while_an_update_is_built(small_index: FaqIndex) -> None:
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(30):
                assert rank("図書館の休み", small_index, limit=1)[0].faq_id == "library"
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    updated = small_index
    for i in range(10):
        updated = updated.with_document(dataclasses.replace(NEW, id=f"p{i}"))
    for t in threads:
        t.join()
    assert errors == [] and len(updated) == len(small_index) + 10
