import dataclasses

import pytest

from faq.index import FaqDocument, FaqIndex
from faq.match import Hit, Match, Outcome, Thresholds, match, rank
from faq.synonyms import default_synonyms

from .conftest import SMALL_CORPUS


@pytest.mark.parametrize(
    ("question", "faq_id"),
    [
        ("ゴミ出しの曜日を教えて", "garbage"),
        ("ｺﾞﾐはいつ出せばいいの", "garbage"),
        ("粗大ゴミってどないして出したらええの", "bulky"),           # 関西弁
        ("いらなくなったタンスを捨てたい。大型ごみの申し込み方は？", "bulky"),
        ("住民票ほしい", "residence-cert"),
        ("じゅうみんひょうの写しをとりたい", "residence-cert"),       # all hiragana
        ("住民票をコンビニで取れますか", "residence-cert"),
        ("引越してきたんやけど何したらええ？", "move-in"),
        ("マイナンバーカードなくしてしもた", "mynumber-lost"),
        ("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞを落としました", "mynumber-lost"),
        ("保育園に入れたい", "nursery"),
        ("子ども手当いつ振り込まれる", "child-allowance"),
        ("犬飼い始めました。何か届けが要りますか", "dog"),
        ("住民税の払い方", "resident-tax"),
        ("スズメバチが巣を作ってこわい", "hornet"),
        ("地震のとき避難場所どこ", "shelter"),
        ("図書館何時まで開いてる", "library"),
        ("としょかんの休み", "library"),
        ("保育所のもうしこみ", "nursery"),                          # typo-ish kana
    ],
)
def test_the_right_faq_ranks_first_for_a_paraphrased_question(small_index: FaqIndex, question: str, faq_id: str) -> None:
    assert rank(question, small_index, limit=3)[0].faq_id == faq_id


@pytest.mark.parametrize(
    "question",
    ["今日の天気は", "株価を知りたい", "運転免許の更新はどこで", "確定申告のやり方", "おすすめのラーメン屋",
     "宝くじの当選番号", "彼氏と別れたい"],
)
def test_questions_the_corpus_cannot_answer_are_declined(small_index: FaqIndex, question: str) -> None:
    assert match(question, small_index).outcome is Outcome.UNANSWERED


@pytest.mark.parametrize("text", ["こんにちは", "ありがとう😊", "テスト", "(スタンプ)", "ｗｗｗ"])
def test_meaningless_messages_get_no_hits(small_index: FaqIndex, text: str) -> None:
    result = match(text, small_index)
    assert (result.outcome, result.hits, result.confidence) == (Outcome.MEANINGLESS, (), 0.0)


def test_a_clear_question_is_answered_with_the_answer_first(small_index: FaqIndex) -> None:
    result = match("保育園に入れたい", small_index)
    assert result.outcome is Outcome.ANSWERED
    assert result.hits[0] == Hit("nursery", "保育所の入所申込みについて知りたい", result.hits[0].score)
    assert result.confidence >= Thresholds().answer


def test_confidence_is_a_probability_and_higher_for_clearer_questions(small_index: FaqIndex) -> None:
    clear = match("図書館の開館時間と休館日を知りたい", small_index)
    vague = match("ごみ", small_index)
    off_topic = match("株価を知りたい", small_index)
    assert 0.0 <= off_topic.confidence < vague.confidence < clear.confidence <= 1.0


def test_thresholds_decide_between_answer_candidates_and_unanswered(small_index: FaqIndex) -> None:
    question = "住民税の払い方"
    conf = match(question, small_index).confidence
    assert match(question, small_index, thresholds=Thresholds(answer=0.0, candidates=0.0)).outcome is Outcome.ANSWERED
    between = Thresholds(answer=min(conf + 0.01, 1.0), candidates=conf / 2)
    assert match(question, small_index, thresholds=between).outcome is Outcome.CANDIDATES
    assert match(question, small_index, thresholds=Thresholds(answer=1.0, candidates=1.0)).outcome is Outcome.UNANSWERED


def test_candidates_are_limited_and_best_first(small_index: FaqIndex) -> None:
    result = match("ごみ", small_index, limit=2, thresholds=Thresholds(answer=1.0, candidates=0.0))
    assert result.outcome is Outcome.CANDIDATES
    assert len(result.hits) <= 2
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert {h.faq_id for h in result.hits} <= {"garbage", "bulky"}


def test_reasons_explain_the_decision_in_english(small_index: FaqIndex) -> None:
    result = match("図書館何時まで", small_index)
    assert isinstance(result, Match)
    assert any(r.startswith("confidence=") for r in result.reasons)
    assert all(r.isascii() for r in result.reasons)


def test_an_empty_index_answers_nothing() -> None:
    empty = FaqIndex.build([])
    assert len(empty) == 0
    assert rank("ごみの出し方", empty) == []
    assert match("ごみの出し方", empty).outcome is Outcome.UNANSWERED


def test_a_staff_paraphrase_makes_a_new_phrasing_match(small_index: FaqIndex) -> None:
    question = "ワンちゃんの鑑札ってどこでもらえるの"
    doc = small_index.get("dog")
    taught = small_index.with_document(dataclasses.replace(doc, paraphrases=("ワンちゃんの鑑札をもらいたい",)))
    assert rank(question, taught, limit=1)[0].faq_id == "dog"
    assert match(question, taught).confidence > match(question, small_index).confidence


def test_keywords_help_find_a_faq() -> None:
    docs = [FaqDocument("a", "証明書の取り方", "窓口で申請してください。", keywords=("印鑑証明",)),
            FaqDocument("b", "証明書の郵送", "郵送で請求できます。")]
    index = FaqIndex.build(docs, synonyms=default_synonyms())
    assert rank("印鑑証明がほしい", index, limit=1)[0].faq_id == "a"


def test_the_index_is_untouched_by_matching(small_index: FaqIndex) -> None:
    before = rank("ごみ", small_index)
    match("ごみ", small_index)
    assert rank("ごみ", small_index) == before
    assert SMALL_CORPUS[0] == small_index.get("garbage")


@pytest.mark.parametrize("asked", ["ペットが亡くなったときの火葬はどこに頼めばいいですか", "ﾍﾟｯﾄが亡くなったときの火葬はどこに頼めばいいですか？"])
def test_a_question_staff_linked_as_a_paraphrase_is_answered_outright(small_index: FaqIndex, asked: str) -> None:
    linked = "ペットが亡くなったときの火葬はどこに頼めばいいですか"
    doc = small_index.get("garbage")
    taught = small_index.with_document(dataclasses.replace(doc, paraphrases=(linked,)))
    result = match(asked, taught)
    assert (result.outcome, result.hits[0].faq_id) == (Outcome.ANSWERED, "garbage")
    assert result.confidence >= 0.95 and any(r.startswith("exact phrasing") for r in result.reasons)


def test_asking_a_faq_question_word_for_word_answers_it(small_index: FaqIndex) -> None:
    result = match("住民票の写しを取りたい。", small_index)
    assert (result.outcome, result.hits[0].faq_id) == (Outcome.ANSWERED, "residence-cert")
