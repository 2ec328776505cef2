"""Sudachi tokenisation into content words, plus character n-grams.

One Sudachi tokenizer per process: building it takes ~0.2 s and it is not thread-safe, so
calls go through a lock (tokenising a question takes well under a millisecond).
Words are Sudachi's normalised forms (引越し/引っ越し → 引っ越し, 無くす/失くす → 無くす), in split
mode C with the mode A parts added, so "マイナンバーカード" also yields "マイナンバー" and "カード".
"""

from __future__ import annotations

import threading
from functools import lru_cache

from faq.normalize import fold, normalize, to_hiragana

# Parts of speech that never carry a topic.
_SKIP_POS = {"助詞", "助動詞", "補助記号", "記号", "空白", "接続詞", "感動詞", "連体詞"}

# Function-like content words: how people phrase a question, not what it is about.
STOPWORDS = frozenset(
    """
    する 為る 有る ある 居る いる 成る なる 出来る できる 言う 思う 良い よい いい 下さる 頂く 戴く
    貰う 呉れる 欲しい 教える 知る 分かる 判る 解る 聞く 伺う 尋ねる 御座る 致す 申す 参る 仕舞う
    こと 事 もの 物 方 ため 為 よう 様 ところ 所 とき 時 場合 等 など 何 どこ どう どの どれ いつ
    誰 どなた どちら 此れ これ それ 其れ あれ 此処 ここ そこ 今 今回 今度 自分 私 僕 俺 我が家
    はず 訳 わけ 的 感じ 件 点 際 上 中 後 前 さん 様 御 お ご 方法 やり方 いかが 如何 如何に 一体
    ん の ない 無い 又 また 及び 並びに 若しくは 或いは 直ぐ すぐ 少し ちょっと 是非 ぜひ 具体
    について 関する 付く 行く 来る 見る 遣る やる 置く 困る 考える 尼崎 尼崎市 市
    """.split()
)

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _dictionary():  # type: ignore[no-untyped-def]
    import sudachipy

    return sudachipy.Dictionary(dict="core")


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    import sudachipy

    return _dictionary().tokenizer(mode=sudachipy.SplitMode.C)


@lru_cache(maxsize=1)
def _mode_a():  # type: ignore[no-untyped-def]
    import sudachipy

    return sudachipy.SplitMode.A


def morphemes(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(surface, normalised form, mode-A normalised parts) for every content morpheme."""
    text = normalize(text)
    if not text:
        return []
    tokenizer, mode_a = _tokenizer(), _mode_a()
    out: list[tuple[str, str, tuple[str, ...]]] = []
    with _lock:
        for m in tokenizer.tokenize(text):
            kind = _pos_kind(m.part_of_speech_id())
            if kind == _SKIP:
                continue
            surface = m.surface()
            if kind == _NUMERAL and not surface.isdigit():
                continue
            # Only nouns of 3+ characters split further in mode A; skip the call for the rest.
            parts = m.split(mode_a) if kind == _NOUN and len(surface) > 2 else ()
            # Sudachi keeps ゴミ and ごみ apart; fold kana so the script does not matter.
            sub = tuple(to_hiragana(p.normalized_form()) for p in parts) if len(parts) > 1 else ()
            out.append((surface, to_hiragana(m.normalized_form()), sub))
    return out


_SKIP, _NUMERAL, _NOUN, _OTHER = range(4)


@lru_cache(maxsize=4096)
def _pos_kind(pos_id: int) -> int:
    """How a part of speech is treated: skipped, numeral (kept in digits only), noun, other."""
    pos = _dictionary().pos_of(pos_id)
    if pos[0] in _SKIP_POS:
        return _SKIP
    if pos[1] == "数詞":
        return _NUMERAL
    return _NOUN if pos[0] in ("名詞", "接頭辞", "接尾辞") else _OTHER


def tokenize(text: str) -> list[str]:
    """Content words of `text`: normalised forms, mode C plus mode A parts, stopwords removed."""
    tokens: list[str] = []
    for surface, norm, parts in morphemes(text):
        for token in (norm, *parts):
            if _is_content(token):
                tokens.append(token)
    return tokens


def _is_content(token: str) -> bool:
    if token in STOPWORDS:
        return False
    # Lone hiragana/katakana characters are inflection debris ("し", "た").
    return not (len(token) == 1 and ("\u3041" <= token <= "\u30ff"))


def reading(text: str) -> str:
    """The text as Sudachi reads it, in hiragana ("図書館の休み" → "としょかんのやすみ")."""
    text = normalize(text)
    if not text:
        return ""
    with _lock:
        return to_hiragana("".join(m.reading_form() for m in _tokenizer().tokenize(text)))


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Overlapping character n-grams of the folded text, skipping spaces and punctuation."""
    return folded_ngrams(fold(text), n)


def folded_ngrams(folded: str, n: int = 2) -> list[str]:
    """char_ngrams for text that is already folded (saves folding twice when indexing)."""
    folded = "".join(c for c in folded if c.isalnum() or c == "ー")
    if len(folded) < n:
        return [folded] if folded else []
    return [folded[i : i + n] for i in range(len(folded) - n + 1)]
