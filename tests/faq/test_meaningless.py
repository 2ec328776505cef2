from pathlib import Path

import pytest

from faq.meaningless import is_meaningless

DATA = Path(__file__).resolve().parents[1] / "data"


def labelled(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "text",
    [
        "こんにちは", "ｺﾝﾆﾁﾊ", "コンニチハ！", "ありがとうございました😊", "おおきに", "ほな、おおきに",
        "テスト", "ﾃｽﾄ", "ｔｅｓｔ", "(スタンプ)", "［スタンプ］", "👍👍", "(´・ω・`)", "。", "？？",
        "はい", "いいえ", "はーい", "OK", "ｗｗｗ", "草", "（笑）", "asdfgh", "ｊｊｊｊ", "あsdf",
        "06-1234-5678", "０９０－１２３４－５６７８", "", "   ", "了解です👍", "よろしくお願いします。",
    ],
)
def test_filler_messages_are_meaningless(text: str) -> None:
    assert is_meaningless(text)


@pytest.mark.parametrize(
    "text",
    [
        "ごみ", "ゴミ", "住民票", "ほいくえん", "税金", "マイナ", "粗大ごみ", "避難所どこ",
        "こんにちは、粗大ごみの出し方を教えてください",
        "ありがとうございます。もう一つ、住民票はコンビニで取れますか",
        "テストの結果で保育所の入所が決まるのですか",
        "はい、転入届の期限は何日ですか",
        "電話番号を教えて",
        "06-1234-5678に電話したけどつながらない",
        "犬の登録どないしたらええの",
        "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞなくした",
        "wifi使える公共施設ある？",
        "password忘れた",
    ],
)
def test_real_questions_are_never_meaningless(text: str) -> None:
    assert not is_meaningless(text)


def test_the_labelled_meaningless_set_is_large_and_recognised() -> None:
    texts = labelled("meaningless.txt")
    missed = [t for t in texts if not is_meaningless(t)]
    assert len(texts) >= 300
    assert 1 - len(missed) / len(texts) >= 0.95, missed


def test_no_unanswerable_question_is_mistaken_for_filler() -> None:
    assert [t for t in labelled("unanswerable.txt") if is_meaningless(t)] == []
