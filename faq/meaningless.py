"""Recognise messages that are not questions: greetings, thanks, tests, stamps, mashing.

The cities' statistics leave these out of the answer rate (回答率), and the bot answers them
politely instead of "I could not find an answer". Being wrong here is expensive in one
direction only — a real question judged meaningless is never answered — so every rule requires
the WHOLE message to be filler; one content word makes it a question.
"""

from __future__ import annotations

import re
import unicodedata

from faq.normalize import fold

# Whole-message filler, in folded form (hiragana, half-width, lower case, no long-vowel marks
# after kana). A message made only of these pieces (plus punctuation and emoji) is meaningless.
_PIECES = """
こんにちは こんにちわ こんちは こんちわ ちわ こんばんは こんばんわ おはよう おはよ おはようさん
おっす ういっす ちわっす っす ちーす ちす やあ どうも どーも もしもし はじめまして 初めまして 今日は 今晩は
おやすみ おやすみなさい さようなら さよなら ばいばい またね また では じゃあ じゃね ほな ほなね
ありがとう ありがと ありがとさん あざす あざっす あざます 有難う 有り難う 有難 感謝 感謝します
おおきに おおきにな まいど まいどおおきに 助かりました 助かります 助かった 了解 了解しました
りょうかい りょ りょうかいです 承知しました 承知 かしこまりました わかりました 分かりました 分かった
わかった わかったで わかりましたー なるほど そうですか そうなんや そうなんですね せやな そやな
せやね そうやな ほんま ほんまに ほんとに 本当に 本当 ほんと まじ まじで 大変 どうもどうも
よろしく よろしくお願いします よろしくおねがいします 宜しく 宜しくお願いします お願いします
おねがいします お願い致します お願いいたします よろしゅう たのんます 頼みます
すみません すいません すんません ごめんなさい ごめん 失礼しました 失礼します お疲れ様です
おつかれさまです おつかれ お疲れ様 お疲れさま ご苦労様 ごくろうさま
はい はいはい いいえ いえ うん うんうん ううん ええ いや いやいや そう そうです そうだ ちがう
違います ちがいます 違う ok okay おk おけ おっけ おっけい おーけー おけまる 大丈夫 大丈夫です
いいです いいよ ええよ ええで 結構です けっこうです 了 ね よ な わ さん ございます ございました
ございま です でした ます いつも 皆さん 皆様 みなさん みなさま 先日は 今日も 今日
てすと テスト test testing tesuto テスト送信 送信テスト テストです これはテスト 試験 試し ためし
てすてす 確認 送信確認 届いてますか 届きましたか 見てる 見てますか 誰かいますか だれかいますか
hello hi hey thanks thank you thx ty yes no yeah yep nope bye good morning night
やったー やった よし おー おお へえ へー ふーん ほう あ え お う ん あっ えっ おっ わー わあ すごい すごーい
草 笑 わら www ww w 爆笑 (笑) わろた わろす orz
お世話になっております お世話になります おせわになっております すみませんでした でした さんきゅ さんくす a lot much
スタンプ sticker stamp 画像 写真 ライン line
""".split()

_PIECE_RE = re.compile(
    "(?:" + "|".join(sorted({re.escape(fold(p)) for p in _PIECES if fold(p)}, key=len, reverse=True)) + ")+"
)
_PHONE = re.compile(r"^\+?[0-9][0-9\-ー() ]{5,}$")
_DIGITS_ONLY = re.compile(r"^[0-9\-.,/ ]+$")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_LATIN_WORD = re.compile(r"^[a-z]+$")
_MIXED_MASH = re.compile(r"^[ぁ-ゖ]{1,2}([a-z]{2,})$")
_STAMP = re.compile(r"[\[(（【<＜]\s*(スタンプ|すたんぷ|sticker|stamp|画像|写真|動画|絵文字|emoji)\s*[\])）】>＞]")


def is_meaningless(text: str) -> bool:
    """True when the whole message is greeting, thanks, test, stamp, emoji, mashing or the like."""
    if not text or not text.strip():
        return True
    folded = fold(_STAMP.sub(" ", text))
    if _PHONE.match(folded) or _DIGITS_ONLY.match(folded):
        return True
    clauses = [c for c in re.split(r"[^\w]+", _strip_symbols(folded)) if c]
    if not clauses:
        return True  # emoji, kaomoji, lone punctuation
    return all(_is_filler(c) for c in clauses)


def _strip_symbols(text: str) -> str:
    """Drop emoji, kaomoji parts and punctuation, keeping letters, digits and kana."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" and not _is_kaomoji_letter(ch):
            out.append(ch)
        else:
            out.append(" ")
    return "".join(out)


def _is_kaomoji_letter(ch: str) -> bool:
    # Greek, Cyrillic and a few other letters appear in Japanese text almost only in kaomoji:
    # (´・ω・`) (´Д`) (*ﾟ∀ﾟ*)
    name = unicodedata.name(ch, "")
    return name.startswith(("GREEK", "CYRILLIC", "THAI", "KANNADA", "TELUGU")) or ch in "ﾟ゜ヽヾ"


def _is_filler(clause: str) -> bool:
    if _PIECE_RE.fullmatch(clause):
        return True
    if _is_key_mashing(clause):
        return True
    return bool(_PHONE.match(clause) or _DIGITS_ONLY.match(clause))


def _is_key_mashing(clause: str) -> bool:
    """Lone letters, one letter repeated, a run along a keyboard row, or vowel-less Latin."""
    clause = clause.strip("ー")
    if len(clause) <= 1:
        return True  # a lone kana or letter: "ノ" of ヽ(・∀・)ノ, "m" of m(_ _)m, "ー"
    if len(set(clause)) == 1 and _is_kana_or_latin(clause):
        return True  # repeats are already squeezed to two: "jjjj" → "jj"
    latin = _MIXED_MASH.match(clause)
    if latin and clause != latin.group(1):
        return _row_run(latin.group(1), 3)  # "あsdf": the IME converted the first key
    if _LATIN_WORD.match(clause):
        if _row_run(clause, 4):
            return True
        if len(clause) >= 4 and not re.search(r"[aeiouy]", clause):
            return True
    return False


def _is_kana_or_latin(clause: str) -> bool:
    return all(("\u3041" <= c <= "\u309f") or c.isascii() for c in clause)


def _row_run(word: str, run: int) -> bool:
    """True if `run` consecutive letters follow a keyboard row, either direction."""
    for i in range(len(word) - run + 1):
        piece = word[i : i + run]
        if any(piece in row or piece[::-1] in row for row in _KEYBOARD_ROWS):
            return True
    return False
