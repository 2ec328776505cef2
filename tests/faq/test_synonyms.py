from pathlib import Path

import pytest

from faq.index import analyze_words
from faq.synonyms import DEFAULT_PATH, SynonymTable, default_synonyms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ごみの出し方", "ゴミの出し方"),
        ("ｺﾞﾐの収集日", "塵の収集日"),
        ("保育園に入りたい", "保育所に入りたい"),
        ("マイナの再発行", "個人番号カードの再発行"),
        ("引越しの手続き", "住所変更の手続き"),
        ("カードをなくした", "カードを紛失した"),
        ("国保の保険証", "国民健康保険の保険証"),
        ("ハチの巣", "スズメバチの巣"),
    ],
)
def test_variants_in_one_group_share_a_group_term(a: str, b: str) -> None:
    table = default_synonyms()
    assert set(table.group_terms(a)) & set(table.group_terms(b))


def test_the_bundled_list_loads_and_has_many_groups() -> None:
    table = SynonymTable.load(DEFAULT_PATH)
    assert len(table.groups) >= 80
    assert "保育園" in table.variants("保育所")


def test_a_city_can_supply_its_own_list(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("# 地域の呼び方\nあまがさき, 尼崎, アマ\n市営プール、市民プール\n", encoding="utf-8")
    table = SynonymTable.load(path)
    assert table.group_terms("ｱﾏのプール") == ["≡あまがさき"]
    assert table.group_terms("市民プールの料金") == ["≡市営プール"]


def test_single_variant_lines_and_comments_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("ごみ\n# 塵, ごみ\n", encoding="utf-8")
    assert SynonymTable.load(path).groups == ()


def test_words_without_a_group_are_their_own_variants() -> None:
    assert default_synonyms().variants("尼崎城") == ("尼崎城",)


def test_query_words_include_group_terms_when_a_table_is_given() -> None:
    words = analyze_words("保育園の申込み", default_synonyms())
    assert "≡保育所" in words and "保育" in words
    assert not [w for w in analyze_words("保育園の申込み", None) if w.startswith("≡")]


def test_an_index_uses_the_bundled_list_unless_told_otherwise() -> None:
    from faq.index import FaqDocument, FaqIndex
    from faq.match import rank

    docs = [FaqDocument("n", "国民健康保険の加入", "保険年金課へ。"), FaqDocument("x", "図書館", "本を借りる。")]
    with_list = rank("国保", FaqIndex.build(docs), limit=1)[0]
    without = rank("国保", FaqIndex.build(docs, synonyms=SynonymTable.empty()), limit=1)
    assert with_list.faq_id == "n"
    assert all(h.score < with_list.score / 5 for h in without)  # only a weak fuzzy match is left
