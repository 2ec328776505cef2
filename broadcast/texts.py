"""Words citizens read in broadcasts that Madoguchi adds itself (template labels), in one place."""

EMERGENCY_TITLE = "【緊急】"
NOTICE_LINK = "詳しく見る"
EVENT_DATE = "日時"
EVENT_PLACE = "場所"
EVENT_LINK = "詳細・申込み"
TEST_SEND_PREFIX = "【テスト配信】以下は配信予定のメッセージです。"
