"""Text normalisation shared by indexing and matching (pure, no dictionary needed).

Residents type the same word many ways: full- and half-width (ｺﾞﾐ / ゴミ), katakana or
hiragana (ゴミ / ごみ), stretched vowels (ごみーー), repeated punctuation, kanji numerals.
`normalize` folds width and case only, so Sudachi still sees real words; `fold` goes further
(kana folded to hiragana, long vowels and 々 resolved) for character n-grams and fuzzy matching.
"""

from __future__ import annotations

import re
import unicodedata

_KATAKANA_START = 0x30A1
_KATAKANA_END = 0x30F6
_KANA_OFFSET = 0x60

# Tildes, wave dashes and long-vowel marks are typed interchangeably; keep one of them.
_LONG_VOWEL_VARIANTS = re.compile(r"[〜～~ｰ―‐−–—]")
_SPACES = re.compile(r"\s+")
# Three or more of the same character ("ーーー", "！！！", "ｗｗｗｗ") carry no more meaning than two
# (digits excepted: 1000円 is not 100円).
_REPEATS = re.compile(r"([^0-9])\1{2,}")
_ITERATION_MARK = re.compile(r"(.)々")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
# Only kanji numerals next to a counter are numbers ("三歳", "十四日"); "一般" or "統一" are words.
_KANJI_NUMBER = re.compile(r"[〇一二三四五六七八九十]+(?=[歳才日月年回人件か箇ヶ個枚部通])")


def normalize(text: str) -> str:
    """Fold width and case (NFKC), unify dashes and spaces, squeeze repeats; keeps the script."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = text.replace("\u200b", "").replace("\ufeff", "")
    text = _LONG_VOWEL_VARIANTS.sub("ー", text)
    text = _SPACES.sub(" ", text).strip()
    return _REPEATS.sub(r"\1\1", text)


_TO_HIRAGANA = {c: c - _KANA_OFFSET for c in range(_KATAKANA_START, _KATAKANA_END + 1)}


def to_hiragana(text: str) -> str:
    """Map katakana to hiragana, leaving everything else alone."""
    return text.translate(_TO_HIRAGANA)


def kanji_numerals_to_digits(text: str) -> str:
    """Rewrite simple kanji numbers before a counter as digits: 十四日 → 14日, 三歳 → 3歳."""
    return _KANJI_NUMBER.sub(lambda m: str(_kanji_number_value(m.group(0))), text)


def _kanji_number_value(numeral: str) -> int:
    if "十" not in numeral:
        return int(numeral.translate(_KANJI_DIGITS))
    tens, _, ones = numeral.partition("十")
    return int(tens.translate(_KANJI_DIGITS) or 1) * 10 + int(ones.translate(_KANJI_DIGITS) or 0)


def fold(text: str) -> str:
    """Aggressive folding for n-grams and fuzzy matching: normalize + hiragana + 々 + numerals."""
    text = normalize(text)
    text = _ITERATION_MARK.sub(r"\1\1", text)
    text = kanji_numerals_to_digits(text)
    text = to_hiragana(text)
    # A long-vowel mark after hiragana is just a stretched vowel ("ごみー"); drop it.
    return re.sub(r"(?<=[ぁ-ゖ])ー+", "", text)
