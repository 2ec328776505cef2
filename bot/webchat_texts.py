"""Every sentence a homepage visitor reads from the web chat that LINE does not also say.

The answers themselves (FAQ answers, もしかして, apologies, feedback thanks) come from handlers/texts.py,
so both channels speak with one voice. The widget has no Japanese of its own: it fetches WIDGET from
GET /api/chat/config, so a city changes its wording here without touching JavaScript.
Polite です・ます Japanese. `{…}` fields are filled with str.format.
"""
from handlers.texts import ASK_STAFF, FEEDBACK_HELPFUL, FEEDBACK_NOT_HELPFUL

GREETING = (
    "こんにちは。みなと市のAIチャットボットです。\n"
    "ごみの出し方、各種証明書、子育て、税金など、市の手続きやサービスについてのご質問に24時間お答えします。\n"
    "知りたいことを、文章でそのまま入力してください（例：「粗大ごみの出し方」）。"
)
INQUIRY_RECEIVED = (
    "お問い合わせを受け付けました。受付番号は {receipt_number} です。\n"
    "担当の職員が確認し、このチャットの「お問い合わせ状況」でお答えします。"
    "お電話でお問い合わせの際は、受付番号をお伝えください。"
)
INQUIRY_FOLLOW_UP_RECEIVED = "受付番号 {receipt_number} のお問い合わせに、メッセージを追加しました。"
INQUIRY_NONE = "現在、受付中のお問い合わせはありません。"
INQUIRY_STATUS_INTRO = "受付番号 {receipt_number} のお問い合わせの状況です（{status}）。"
INQUIRY_STATUS = {"new": "受付済み", "assigned": "担当者が確認中", "answered": "回答あり", "closed": "終了"}
INQUIRY_TOO_LONG = "お問い合わせ内容が長すぎます。{limit}文字以内にまとめて送ってください。"
INQUIRY_EMPTY = "お問い合わせ内容が空のようです。ご用件を入力してください。"

NOT_FOUND = "申し訳ありません。この操作は現在ご利用いただけません。もう一度ご質問を入力してください。"
BAD_REQUEST = "申し訳ありません。送信された内容を読み取れませんでした。ページを再読み込みして、もう一度お試しください。"
BODY_TOO_LARGE = "送信された内容が大きすぎます。ご質問は{limit}文字以内で入力してください。"
RATE_LIMITED = "短い時間にたくさんのご質問をいただいたため、少しお休みしています。{seconds}秒ほどおいてから、もう一度お試しください。"
ORIGIN_DENIED = "申し訳ありません。このページからはチャットをご利用いただけません。"
UNAVAILABLE = "ただいまチャットを利用できません。時間をおいてもう一度お試しください。"

# The widget's own labels, sent to it by GET /api/chat/config.
WIDGET = {
    "open": "AIチャットで質問する",
    "launcher": "AIチャットで質問",
    "close": "チャットを閉じる",
    "title": "AIチャットボット",
    "placeholder": "ご質問を入力してください",
    "input_label": "ご質問",
    "send": "送信",
    "sending": "回答を探しています…",
    "candidates_label": "当てはまるご質問",
    "feedback_label": "この回答は役に立ちましたか",
    "helpful": FEEDBACK_HELPFUL,
    "not_helpful": FEEDBACK_NOT_HELPFUL,
    "inquire": ASK_STAFF,
    "inquiry_label": "お問い合わせ内容",
    "inquiry_note": "職員が内容を確認してお答えします。お名前や電話番号などの個人情報は、必要なとき以外は書かないでください。",
    "inquiry_send": "問い合わせを送る",
    "inquiry_cancel": "やめる",
    "status": "お問い合わせ状況",
    "receipt": "受付番号",
    "you": "あなた",
    "bot": "チャットボット",
    "staff": "市の職員",
    "bot_avatar": "AI",
    "staff_avatar": "職員",
    "network_error": "通信できませんでした。時間をおいてもう一度お試しください。",
    "too_long": "ご質問は{limit}文字以内で入力してください。",
    "disclaimer": "AIによる自動応答です。正確な内容は各担当窓口にご確認ください。",
}
