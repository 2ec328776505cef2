"""Every sentence a citizen reads from the handlers, in one place, so a city can change its wording.

Polite です・ます Japanese. `{…}` fields are filled with str.format.
"""

GREETING = (
    "友だち追加ありがとうございます。\n"
    "みなと市の公式LINEです。ごみの出し方、各種証明書、子育て、税金など、市の手続きやサービスについての"
    "ご質問に24時間お答えします。\n"
    "知りたいことを、文章でそのまま送ってください（例：「粗大ごみの出し方」）。"
)
WELCOME_BACK = "おかえりなさい。ブロック解除ありがとうございます。ご質問はいつでも文章で送ってください。"

MENU_ASK = "質問する"
MENU_BROWSE = "よくある質問"
MENU_INQUIRY = "問い合わせ"
MENU_PREFS = "受信設定"
ASK_PROMPT = "ご質問を文章で送ってください。例：「住民票を取りたい」「燃えないごみの日はいつ？」"
BROWSE_PROMPT = "分野を選んでください。"
CATEGORY_PROMPT = "「{category}」のよくある質問です。知りたいものを選んでください。"
CATEGORY_EMPTY = "申し訳ありません。この分野のよくある質問は現在ありません。ご質問を文章で送ってください。"

ANSWER_FOOTER = "\n\n（分野：{category}）"
CANDIDATES_INTRO = "もしかして、次のご質問ですか？ 当てはまるものを選んでください。"
UNANSWERED = (
    "申し訳ありません。そのご質問にはまだお答えできません。\n"
    "言葉を変えて（例：「〇〇の申請方法」）もう一度送っていただくか、「職員に問い合わせる」から職員にお尋ねください。"
)
MEANINGLESS = "メッセージありがとうございます。市の手続きやサービスについて、知りたいことを文章で送ってください。"
TOO_LONG = "メッセージが長すぎるため読み取れませんでした。お手数ですが、{limit}文字以内に短くして送ってください。"
EMPTY_TEXT = "メッセージが空のようです。知りたいことを文章で送ってください。"

UNSUPPORTED_MESSAGE = {
    "sticker": "スタンプありがとうございます。ご質問は文章で送ってください。",
    "image": "画像を受け取りました。ただいま画像だけではご案内できません。ご用件を文章で送ってください。",
    "video": "動画にはお答えできません。ご用件を文章で送ってください。",
    "audio": "音声メッセージにはお答えできません。ご用件を文章で送ってください。",
    "file": "ファイルにはお答えできません。ご用件を文章で送ってください。",
    "location": "位置情報を受け取りました。ただいま位置情報だけではご案内できません。ご用件を文章で送ってください。",
}
UNSUPPORTED_DEFAULT = "このメッセージにはお答えできません。ご用件を文章で送ってください。"
UNKNOWN_ACTION = "申し訳ありません。この操作は現在ご利用いただけません。メニューからもう一度お選びください。"
GROUP_NOTICE = "このアカウントは個別のトークでご質問にお答えしています。お手数ですが、1対1のトークでお送りください。"

FEEDBACK_HELPFUL = "役に立った"
FEEDBACK_NOT_HELPFUL = "役に立たなかった"
FEEDBACK_THANKS = "ご評価ありがとうございます。今後のご案内の参考にさせていただきます。"
FEEDBACK_SORRY = (
    "お役に立てず申し訳ありません。いただいたご評価をもとに、回答を見直してまいります。\n"
    "言葉を変えてもう一度ご質問いただくか、「職員に問い合わせる」から職員にお尋ねください。"
)
CHOICE_EXPIRED = "申し訳ありません。この選択肢は現在ご利用いただけません。もう一度ご質問を送ってください。"

ASK_STAFF = "職員に問い合わせる"
INQUIRY_COMPOSE = (
    "お問い合わせ内容を送ってください。担当の職員が確認し、このトークでお返事します。\n"
    "（回答は開庁日の8時30分〜17時15分に順次お送りします。お急ぎの場合はお電話でお問い合わせください。）"
)
INQUIRY_RECEIVED = (
    "お問い合わせを受け付けました。\n受付番号：{receipt}\n"
    "担当の職員からこのトークでお返事します。補足があれば、続けてメッセージを送ってください。"
)
INQUIRY_APPENDED = "担当の職員にお伝えしました（受付番号：{receipt}）。"
INQUIRY_DONE = "お問い合わせの入力を終えました。職員からの回答はこのトークでお知らせします。ほかのご質問はいつでもどうぞ。"
INQUIRY_FINISH = "入力を終える"
CONVERSATION_CANCELLED = "入力を取りやめました。ほかのご質問はいつでもどうぞ。"
CANCEL = "やめる"
INQUIRY_STAFF_REPLY = "【みなと市からの回答】受付番号：{receipt}\n\n{text}"
INQUIRY_REPLY_BUTTON = "返信する"
INQUIRY_RESOLVED_BUTTON = "解決した"
INQUIRY_REOPENED = "受付番号 {receipt} のお問い合わせへの返信を送ってください。"
INQUIRY_CLOSED_THANKS = "ご利用ありがとうございました。受付番号 {receipt} のお問い合わせを終了しました。"
INQUIRY_UNAVAILABLE = "このお問い合わせは終了しています。新しいご質問はいつでも送ってください。"

PREFS_OFFER = "市からのお知らせを、ご希望の分野と地区にしぼって受け取れます。受信設定をしますか？"
PREFS_SET_UP = "受信設定をする"
PREFS_LATER = "あとで"
PREFS_LATER_REPLY = "承知しました。受信設定はメニューの「受信設定」からいつでも変更できます。"
PREFS_HEADER = "【現在の受信設定】"
PREFS_NOT_CHOSEN = "（まだ設定されていないため、すべての分野のお知らせをお送りしています）"
PREFS_ON = "✓"
PREFS_OFF = "－"
PREFS_ALWAYS = "（緊急情報は必ずお届けします）"
PREFS_AREA = "地区：{area}"
PREFS_AREA_UNSET = "未設定（市全体のお知らせのみ）"
PREFS_EDIT_HINT = "下のボタンで分野を選ぶと、受け取る／受け取らないを切り替えられます。"
PREFS_CHOOSE_AREA = "地区を選ぶ"
PREFS_AREA_PROMPT = "お住まいの地区を選んでください。"
PREFS_NO_AREAS = "現在、地区は設定できません。"
PREFS_DONE = "完了"
PREFS_SAVED = "受信設定を保存しました。"
PREFS_UNKNOWN = "その項目は選べません。もう一度お選びください。"

# Typed words that act like menu buttons (compared after NFKC and trimming).
COMMAND_WORDS = {
    "受信設定": "prefs",
    "設定を確認": "prefs_show",
    "設定確認": "prefs_show",
    "問い合わせ": "inquiry",
    "問合せ": "inquiry",
    "メニュー": "menu",
    "通報する": "report",
}
MENU_PROMPT = "ご用件を選んでください。ご質問は文章でそのまま送っていただけます。"

MAINTENANCE = (
    "ただいまシステムのメンテナンス中のため、一部のサービスをご利用いただけません。"
    "ご不便をおかけして申し訳ありません。お急ぎの場合は市役所の担当窓口へお電話ください。"
)
