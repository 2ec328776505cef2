"""A small FAQ corpus written for these tests (never benchmark text)."""

from __future__ import annotations

import pytest

from faq.index import FaqDocument, FaqIndex
from faq.synonyms import default_synonyms

SMALL_CORPUS = (
    FaqDocument("garbage", "家庭ごみの出し方と収集日を知りたい",
                "燃やすごみは週2回、資源ごみは週1回、決められた曜日の朝8時までに集積場所へ出してください。"
                "分別のしかたはごみ分別アプリでも確認できます。", category="ごみ"),
    FaqDocument("bulky", "粗大ごみを捨てたいときはどうすればいいですか",
                "粗大ごみは事前申込制です。粗大ごみ受付センターに電話かインターネットで申し込み、"
                "処理券を貼って指定日に出してください。", category="ごみ"),
    FaqDocument("residence-cert", "住民票の写しを取りたい",
                "住民票の写しは市民課または各支所の窓口で請求できます。本人確認書類が必要で、"
                "手数料は1通300円です。マイナンバーカードがあればコンビニ交付も利用できます。",
                category="戸籍・住民票"),
    FaqDocument("move-in", "市外から引っ越してきたときの手続き（転入届）",
                "引っ越した日から14日以内に市民課で転入届を出してください。前の住所地で発行された"
                "転出証明書と本人確認書類をお持ちください。", category="戸籍・住民票"),
    FaqDocument("mynumber-lost", "マイナンバーカードを紛失したときは",
                "まず個人番号カードコールセンターに連絡して一時利用停止をしてください。"
                "警察に遺失届を出したうえで、市民課で再交付の申請ができます。", category="マイナンバー"),
    FaqDocument("nursery", "保育所の入所申込みについて知りたい",
                "保育所（保育園）への入所は、保護者の就労などで保育が必要な場合に申し込めます。"
                "申込書はこども家庭課で配布しています。", category="子育て"),
    FaqDocument("child-allowance", "児童手当はいつ支給されますか",
                "児童手当は中学生までの子どもを養育している方に支給されます。"
                "支給月は2月、6月、10月で、指定の口座に振り込みます。", category="子育て"),
    FaqDocument("dog", "犬を飼い始めたときの登録と狂犬病予防注射",
                "生後91日以上の犬は、市への登録と毎年の狂犬病予防注射が必要です。"
                "動物病院または集合注射会場で受けられます。", category="動物"),
    FaqDocument("resident-tax", "市県民税の納め方を知りたい",
                "市県民税は納付書で金融機関やコンビニで納めるか、口座振替を利用できます。"
                "スマートフォン決済アプリでも支払えます。", category="税"),
    FaqDocument("hornet", "家の軒下に蜂の巣ができたので駆除してほしい",
                "個人の敷地内の蜂の巣は所有者が駆除業者に依頼してください。"
                "スズメバチの場合は駆除費用の一部を補助しています。", category="生活環境"),
    FaqDocument("shelter", "災害のときの避難所はどこですか",
                "避難所は市内の小中学校や公民館です。ハザードマップで最寄りの避難所と"
                "浸水の想定を確認してください。", category="防災"),
    FaqDocument("library", "図書館の開館時間と休館日",
                "中央図書館は午前9時30分から午後7時まで開館しています。休館日は毎週月曜日と"
                "年末年始です。", category="文化"),
)


@pytest.fixture(scope="session")
def small_index() -> FaqIndex:
    return FaqIndex.build(SMALL_CORPUS, synonyms=default_synonyms())
