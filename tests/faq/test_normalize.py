import pytest

from faq.normalize import fold, kanji_numerals_to_digits, normalize, to_hiragana


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｺﾞﾐ", "ゴミ"),                     # half-width katakana
        ("ＡＢＣ１２３", "abc123"),            # full-width Latin and digits
        ("  住民票　の  写し ", "住民票 の 写し"),  # ideographic and repeated spaces
        ("ごみ〜〜〜", "ごみーー"),             # wave dashes become long-vowel marks, squeezed
        ("！！！！", "!!"),                    # repeated punctuation squeezed to two
        ("手数料は１０００円", "手数料は1000円"),  # but never digits
        ("", ""),
    ],
)
def test_normalize_folds_width_case_and_spacing_but_keeps_the_script(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ゴミ", "ごみ"),
        ("ｺﾞﾐ", "ごみ"),
        ("ごみー", "ごみ"),                    # stretched vowel
        ("ホイクエン", "ほいくえん"),
        ("時々", "時時"),                      # iteration mark
        ("十四日以内", "14日以内"),             # kanji numeral before a counter
        ("マイナンバーカード", "まいなんばーかーど"),
    ],
)
def test_fold_makes_common_spelling_variants_identical(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_to_hiragana_leaves_kanji_and_latin_alone() -> None:
    assert to_hiragana("住民票のコピーをPDFで") == "住民票のこぴーをPDFで"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("三歳", "3歳"), ("二十日", "20日"), ("十人", "10人"), ("一般", "一般"), ("統一", "統一")],
)
def test_kanji_numerals_become_digits_only_before_a_counter(raw: str, expected: str) -> None:
    assert kanji_numerals_to_digits(raw) == expected
