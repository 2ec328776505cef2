"""What citizens read when they ask the menu for the latest emergency information or news."""

EMERGENCY_HEADER = "【最新の緊急情報】"
EMERGENCY_NONE = "現在、お知らせしている緊急情報はありません。"
NEWS_HEADER = "【最新のお知らせ】"
NEWS_NONE = "現在、お知らせはありません。受信設定で分野と地区を選ぶと、関係するお知らせが届きます。"
ITEM = "■ {when}\n{text}"
WHEN = "{month}月{day}日 {hour}:{minute:02d}"
MORE = "…"
