"""Every sentence a citizen reads while reporting damage (道路・公園の通報), in one place.

Polite です・ます Japanese. `{…}` fields are filled with str.format. Category and department
names come from the reports catalogue (reports/catalogue.py), which a city edits separately.
"""

MENU_REPORT = "通報する"

START = (
    "道路や公園などの損傷・不具合の通報を受け付けます。\n"
    "まず、通報の種類を選んでください。"
)
RESUME_OFFER = "作成途中の通報があります。続きから入力しますか？"
RESUME = "続きから"
START_OVER = "最初から"

ASK_CATEGORY = "通報の種類を選んでください。"
MORE_CATEGORIES = "ほかの種類"
ASK_PHOTOS = (
    "「{category}」ですね。\n"
    "現場の写真を送ってください（1〜4枚）。トーク画面左下の「＋」やカメラのボタンから送れます。"
)
PHOTO_RECEIVED = "写真を受け取りました（{count}枚）。ほかにもあれば続けて送ってください。送り終えたら「次へ」を押してください。"
PHOTOS_DONE = "次へ"
ASK_LOCATION = (
    "写真を受け取りました。次に、場所を教えてください。\n"
    "下の「位置情報を送る」から、地図で場所を選んで送ってください。"
    "位置情報を送れない場合は「住所などで伝える」を選んでください。"
)
SEND_LOCATION = "位置情報を送る"
SKIP_LOCATION = "住所などで伝える"
ASK_PLACE = "場所がわかる住所や目印を文章で送ってください（例：「みなと小学校の正門前」）。"
OUTSIDE_CITY = (
    "申し訳ありません。送っていただいた場所はみなと市の外のようです。"
    "市内の場所を選び直してください。\n"
    "市外の道路や施設については、その地域の自治体にお問い合わせください。"
    "ご不明な点は{department}（{phone}）までお電話ください。"
)
ASK_URGENCY = "危険がありますか？（けが人がいる、車や人が通れない、今にも倒れそう など）"
URGENT_YES = "危険がある"
URGENT_NO = "危険はない"
URGENT_CALL = (
    "危険がある場合は、すぐにお電話ください。\n{department}：{phone}\n"
    "（夜間・休日は{main}：{main_phone}）\n"
    "けが人がいる、火災など命に関わる場合は119番、事故や交通の危険は110番へ通報してください。"
)
ASK_DESCRIPTION = "状況を文章で教えてください（例：「直径30cmほどの穴があり、自転車が通りにくい」）。特になければ「なし」を押してください。"
NO_DESCRIPTION = "なし"
CONFIRM_HEADER = "以下の内容で通報します。よろしいですか？"
CONFIRM_LINES = "種類：{category}\n写真：{photos}枚\n場所：{place}\n危険：{urgent}\n内容：{description}"
PLACE_ON_MAP = "地図で指定した場所"
URGENT_LABEL = {True: "あり", False: "なし", None: "未回答"}
DESCRIPTION_NONE = "（なし）"
SUBMIT = "送信する"
BACK = "戻る"
CANCEL = "やめる"

RECEIVED = (
    "通報を受け付けました。ありがとうございます。\n受付番号：{receipt}\n"
    "担当：{department}\n対応の状況は、このトークでお知らせします。"
)
RECEIVED_DUPLICATE = (
    "通報ありがとうございます。同じ場所について、すでに通報をいただいています。\n"
    "受付番号：{receipt}\n担当：{department}\n"
    "あわせて対応し、状況はこのトークでお知らせします。"
)
ALREADY_SUBMITTED = "この通報はすでに受け付けています（受付番号：{receipt}）。"
CANCELLED = "通報の入力を取りやめました。ほかのご用件はいつでもどうぞ。"
NOTHING_TO_CANCEL = "入力中の通報はありません。"
DRAFT_GONE = "入力中の通報が見つかりませんでした。もう一度メニューの「通報する」からお願いします。"
FIRST_STEP = "これが最初の質問です。やめる場合は「やめる」を押してください。"

NOT_NOW = "今は{expected}"
EXPECTED = {
    "category": "通報の種類を選んでください。",
    "photos": "写真を送ってください。",
    "location": "位置情報を送るか、「住所などで伝える」を選んでください。",
    "place": "場所がわかる住所や目印を文章で送ってください。",
    "urgency": "危険があるかどうかを選んでください。",
    "description": "状況を文章で送ってください。",
    "confirm": "内容を確認して「送信する」を押してください。",
}
NEED_PHOTO = "写真が1枚もありません。現場の写真を1枚以上送ってください。"
TOO_MANY_PHOTOS = "写真は4枚までです。次に進みます。"
VIDEO_NOT_PHOTO = "動画は受け付けていません。お手数ですが、写真（静止画）で送ってください。"
NOT_A_PHOTO = "写真（画像）を送ってください。"
REMINDER = "通報の入力は途中のままです。続けるには「続きから」を押してください。"
TEXT_TOO_LONG = "文章が長すぎます。{limit}文字以内で送ってください。"

STATUS_HEADER = "【通報の対応状況】受付番号：{receipt}\n種類：{category}\n"
STATUS_MESSAGES = {
    "in_progress": "担当の職員が対応を始めました。",
    "resolved": "対応が完了しました。ご協力ありがとうございました。",
    "rejected": "申し訳ありませんが、この通報は市では対応できませんでした。",
    "duplicate": "同じ内容の通報とあわせて対応します。状況は引き続きお知らせします。",
    "received": "通報を受け付けています。",
}
STATUS_REASON = "\n\n{message}"
PHOTO_REJECTED = {
    "not_image": "送っていただいた{position}枚目の画像を写真として読み取れませんでした。",
    "too_large": "送っていただいた{position}枚目の写真はサイズが大きすぎるため（10MBまで）受け付けられませんでした。",
    "unsupported": "送っていただいた{position}枚目の写真の形式には対応していません（JPEG・PNG・HEIC）。",
}
PHOTO_REJECTED_TAIL = "通報（受付番号：{receipt}）はそのまま受け付けています。必要に応じて、お電話で状況をお知らせください。"
PHOTO_REJECTED_TAIL_DRAFT = "お手数ですが、別の写真を送ってください。"

# Typed words that act like the buttons (compared after NFKC and trimming).
COMMAND_WORDS = {
    "やめる": "report_cancel", "キャンセル": "report_cancel", "中止": "report_cancel",
    "戻る": "report_back", "もどる": "report_back",
    "次へ": "report_photos_done", "つぎへ": "report_photos_done",
    "通報": "report", "通報する": "report",
}
CAMERA = "カメラで撮る"
CAMERA_ROLL = "写真を選ぶ"
