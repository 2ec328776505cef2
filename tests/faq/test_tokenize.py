import pytest

from faq.tokenize import char_ngrams, tokenize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ゴミの出し方", "ごみの出し方"),           # katakana / hiragana
        ("ｺﾞﾐの出し方", "ゴミの出し方"),            # half-width
        ("引越しの手続き", "引っ越しの手続き"),      # okurigana variants share a normalised form
        ("子どもの医療費", "子供の医療費"),
        ("マイナンバーカードを失くした", "マイナンバーカードを無くした"),
    ],
)
def test_spelling_variants_give_the_same_words(a: str, b: str) -> None:
    assert set(tokenize(a)) == set(tokenize(b))


def test_compounds_also_yield_their_parts() -> None:
    words = tokenize("マイナンバーカードの住民票")
    assert {"まいなんばーかーど", "まいなんばー", "かーど", "住民票"} <= set(words)


@pytest.mark.parametrize(
    "text",
    ["教えてください", "どうすればいいですか", "知りたいのですが", "ありますか？"],
)
def test_question_phrasing_carries_no_content_words(text: str) -> None:
    assert tokenize(text) == []


def test_kansai_dialect_keeps_the_topic_words() -> None:
    assert {"粗大", "ごみ"} <= set(tokenize("粗大ごみってどないして出したらええねん"))


def test_char_ngrams_ignore_width_script_and_punctuation() -> None:
    assert char_ngrams("ゴミ、出す") == char_ngrams("ｺﾞﾐ出す") == ["ごみ", "み出", "出す"]


def test_char_ngrams_of_a_single_character_is_that_character() -> None:
    assert char_ngrams("税") == ["税"]
    assert char_ngrams("。") == []
