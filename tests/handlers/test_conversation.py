"""What a citizen sees: each event kind through the webhook, answered from the test corpus."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Direction, LineUser, MessageLog
from faq.models import QuestionLog, QuestionOutcome
from tests.webhook_events import follow_event, postback_event, sticker_event, text_event


def _last(line) -> dict:
    return line.calls[-1].messages[-1]


def _quick_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def test_a_new_follower_is_stored_greeted_and_offered_the_delivery_settings(webhook, session_factory, line) -> None:
    webhook.send(follow_event())
    greeting, offer = line.calls[-1].messages
    assert "友だち追加ありがとうございます" in greeting["text"]
    assert _quick_labels(offer) == ["受信設定をする", "あとで"]
    with session_factory() as session:
        user = session.scalars(select(LineUser)).one()
    assert user.followed_at is not None and not user.is_blocked


def test_a_citizen_who_unblocks_is_welcomed_back_and_not_asked_again(webhook, line) -> None:
    webhook.send(follow_event())
    webhook.send(follow_event(unblocked=True))
    welcome = _last(line)
    assert "おかえりなさい" in welcome["text"]
    assert _quick_labels(welcome) == ["質問する", "よくある質問", "問い合わせ", "通報する", "受信設定"]


def test_a_question_is_answered_from_the_faq_with_its_category(webhook, line) -> None:
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    answer = _last(line)["text"]
    assert answer.startswith("粗大ごみは事前申込制です")
    assert "ごみ・リサイクル" in answer
    assert line.calls[-1].kind == "reply"


def test_a_question_in_osaka_dialect_finds_the_same_answer(webhook, line) -> None:
    webhook.send(text_event("タンス捨てたいんやけど、どないしたらええの"))
    assert "粗大ごみ" in _last(line)["text"]


def test_every_question_is_logged_with_its_outcome(webhook, session_factory) -> None:
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"), text_event("こんにちは"))
    with session_factory() as session:
        logged = session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
    assert [q.outcome for q in logged] == [QuestionOutcome.ANSWERED, QuestionOutcome.MEANINGLESS]
    assert logged[0].faq_external_id == "t-gomi-001"


def test_a_greeting_gets_a_friendly_reply_and_the_menu(webhook, line) -> None:
    webhook.send(text_event("こんにちは！"))
    reply = _last(line)
    assert "メッセージありがとうございます" in reply["text"]
    assert _quick_labels(reply) == ["質問する", "よくある質問", "問い合わせ", "通報する", "受信設定"]


def test_a_question_the_city_has_no_answer_for_gets_an_honest_apology(webhook, line) -> None:
    webhook.send(text_event("宇宙ステーションへの行き方を教えてください"))
    assert "申し訳ありません" in _last(line)["text"]


def test_browsing_lists_categories_then_their_questions(webhook, line) -> None:
    webhook.send(postback_event("action=browse"))
    categories = _quick_labels(_last(line))
    assert "ごみ・リサイクル" in categories and "イベント" not in categories
    webhook.send(postback_event("action=category&c=ごみ・リサイクル"))
    questions = _last(line)
    assert "「ごみ・リサイクル」のよくある質問" in questions["text"]
    sent = [item["action"]["text"] for item in questions["quickReply"]["items"]]
    assert "粗大ごみはどのように出せばよいですか。" in sent


def test_a_chosen_question_from_browsing_is_answered(webhook, line) -> None:
    webhook.send(text_event("スプレー缶はどうやって捨てますか。"))
    assert "有害ごみ" in _last(line)["text"]


def test_a_forged_or_unknown_postback_gets_a_polite_reply(webhook, line) -> None:
    for data in ("action=drop_tables", "garbage", "action=a&action=b", "action=" + "x" * 400):
        webhook.send(postback_event(data))
        assert "この操作は現在ご利用いただけません" in _last(line)["text"]


def test_a_sticker_is_thanked_and_pointed_to_text(webhook, line) -> None:
    webhook.send(sticker_event())
    assert "スタンプありがとうございます" in _last(line)["text"]


def test_a_very_long_message_is_declined_kindly(webhook, line, session_factory) -> None:
    webhook.send(text_event("ごみ" * 3000))
    assert "長すぎる" in _last(line)["text"]
    with session_factory() as session:
        assert session.scalars(select(QuestionLog)).all() == []


def test_a_citizen_never_seen_following_is_remembered_on_first_message(webhook, session_factory) -> None:
    webhook.send(text_event("住民票の写しはどこで取れますか"))
    with session_factory() as session:
        user = session.scalars(select(LineUser)).one()
        directions = [m.direction for m in session.scalars(select(MessageLog).order_by(MessageLog.id))]
    assert user.followed_at is None and user.last_message_at is not None
    assert directions == [Direction.INCOMING, Direction.OUTGOING]


def test_an_expired_reply_token_falls_back_to_push_to_the_citizen(webhook, line) -> None:
    line.reject_all_replies = True
    event = text_event("住民票の写しはどこで取れますか")
    webhook.send(event)
    [call] = line.calls
    assert call.kind == "push" and call.to == (event["source"]["userId"],)
    assert call.retry_key is not None


def _postback_data(message: dict) -> list[str]:
    return [item["action"]["data"] for item in message["quickReply"]["items"]]


def _question(session_factory) -> QuestionLog:
    with session_factory() as session:
        return session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()


def test_an_answer_offers_feedback_and_stores_it(webhook, line, session_factory) -> None:
    webhook.send(text_event("避難所はどこにありますか"))
    helpful, not_helpful = _postback_data(_last(line))
    webhook.send(postback_event(not_helpful))
    assert "お役に立てず申し訳ありません" in _last(line)["text"]
    webhook.send(postback_event(helpful))  # a change of mind: the last word counts
    assert "ご評価ありがとうございます" in _last(line)["text"]
    question = _question(session_factory)
    assert question.helpful is True and question.feedback_at is not None


def test_an_ambiguous_question_offers_candidates_and_a_choice_answers_it(webhook, line, session_factory) -> None:
    webhook.send(text_event("住民票"))
    offer = _last(line)
    assert offer["text"].startswith("もしかして")
    assert "住民票の写しはどこで取れますか。" in offer["text"]
    choices = _postback_data(offer)
    assert 1 <= len(choices) <= 3
    assert _question(session_factory).outcome is QuestionOutcome.CANDIDATES
    webhook.send(postback_event(choices[0]))
    assert "住民票の写しは市民課窓口" in line.calls[-1].messages[0]["text"]
    chosen = _question(session_factory)
    assert (chosen.outcome, chosen.faq_external_id) == (QuestionOutcome.ANSWERED, "t-jumin-001")


def test_a_choice_for_an_faq_that_was_not_offered_is_refused(webhook, line, session_factory) -> None:
    webhook.send(text_event("住民票"))
    question_id = _question(session_factory).id
    webhook.send(postback_event(f"action=choose&q={question_id}&f=t-bousai-001"))
    assert "この選択肢は現在ご利用いただけません" in _last(line)["text"]
    assert _question(session_factory).outcome is QuestionOutcome.CANDIDATES


def test_feedback_on_someone_elses_question_is_refused(webhook, line, session_factory) -> None:
    from tests.webhook_events import OTHER_USER

    webhook.send(text_event("避難所はどこにありますか"))
    helpful, _ = _postback_data(_last(line))
    webhook.send(postback_event(helpful, user_id=OTHER_USER))
    assert "この操作は現在ご利用いただけません" in _last(line)["text"]
    assert _question(session_factory).helpful is None


def test_a_long_answer_is_split_into_several_messages_at_sentence_ends() -> None:
    from handlers.replies import split_text

    body = ("ごみの出し方についてご案内します。" * 400).strip()
    parts = split_text(body, limit=5000)
    assert len(parts) == 2 and all(len(part) <= 5000 for part in parts)
    assert parts[0].endswith("。") and "".join(parts) == body


def test_citizens_queued_behind_a_backlog_see_the_loading_animation_while_they_wait(webhook, line, clock) -> None:
    from tests.webhook_events import OTHER_USER

    webhook.processor.batch_size = 1  # the worker is behind: one event in hand, the next one queued
    assert webhook.post(text_event("避難所はどこにありますか")).status_code == 200
    clock.advance(3)  # the worker reaches the first event three seconds after it arrived
    assert webhook.post(text_event("ごみの出し方を教えて", user_id=OTHER_USER)).status_code == 200
    webhook.processor.drain()
    assert [call.kind for call in line.calls] == ["reply", "loading", "reply"]
    assert line.calls[1].to == (OTHER_USER,)  # the one still waiting, not the one being answered


def test_a_queued_citizen_is_shown_the_loading_animation_once_per_wait(webhook, line, clock) -> None:
    from tests.webhook_events import OTHER_USER, USER

    webhook.processor.batch_size = 1
    for question in ("避難所はどこ", "ごみの日", "住民票"):
        assert webhook.post(text_event(question)).status_code == 200
    assert webhook.post(text_event("図書館の時間", user_id=OTHER_USER)).status_code == 200
    clock.advance(3)
    webhook.processor.drain()
    # The first event in hand: the citizens behind it are shown the animation once each — not
    # again each time the worker takes the next event, nor after each answer to the citizen who
    # wrote three times (the answers show them their messages are being worked through).
    assert [call.to[0] for call in line.calls if call.kind == "loading"] == [USER, OTHER_USER]
    assert [call.kind for call in line.calls].count("reply") == 4


def test_a_citizen_who_writes_again_after_an_answer_gets_the_dots_again_but_not_while_they_run(
        webhook, line, clock) -> None:
    from tests.webhook_events import OTHER_USER, USER

    third = "U" + "3" * 32
    webhook.processor.batch_size = 1
    for question, citizen in (("図書館の時間", OTHER_USER), ("粗大ごみ", third), ("避難所はどこ", USER)):
        assert webhook.post(text_event(question, user_id=citizen)).status_code == 200
    clock.advance(3)
    webhook.processor.process_batch()  # behind: the two queued citizens are shown the dots
    assert webhook.post(text_event("ペットは連れて行けますか", user_id=USER)).status_code == 200
    webhook.processor.process_batch()  # the dots still run for the citizen who wrote again: no call
    assert [call.to[0] for call in line.calls if call.kind == "loading"] == [third, USER]
    webhook.processor.process_batch()  # the first answer ends the dots (their second question was seen already)
    assert webhook.post(text_event("給水所はどこですか", user_id=USER)).status_code == 200
    clock.advance(3)
    webhook.processor.process_batch()  # still behind: a message written after the answer is a new wait
    assert [call.to[0] for call in line.calls if call.kind == "loading"] == [third, USER, USER]
    webhook.processor.drain()
    assert [call.kind for call in line.calls].count("reply") == 5


def test_the_back_of_a_long_queue_sees_the_dots_at_once_and_later_arrivals_at_the_next_look(
        webhook, line, clock) -> None:
    # Those at the back wait longest: the dots must reach them soon after they write, not only the
    # few the worker is about to answer anyway.
    citizens = [f"U{n:032x}" for n in range(120)]
    webhook.processor.batch_size = 1
    for n, citizen in enumerate(citizens[:100]):
        assert webhook.post(text_event(f"ごみの日はいつですか{n}", user_id=citizen)).status_code == 200
    clock.advance(20)
    webhook.processor.process_batch()
    loading = [call for call in line.calls if call.kind == "loading"]
    assert [call.to[0] for call in loading] == citizens[1:100]
    assert {call.loading_seconds for call in loading} == {20}  # about as long as the queue has waited
    for citizen in citizens[100:]:
        assert webhook.post(text_event("避難所はどこですか", user_id=citizen)).status_code == 200
    webhook.processor.process_batch()
    assert [call.to[0] for call in line.calls if call.kind == "loading"] == citizens[1:]
    webhook.processor.drain()
    assert [call.kind for call in line.calls].count("loading") == 119  # once each, however long the queue
    assert [call.kind for call in line.calls].count("reply") == 120


def test_with_two_workers_each_queued_citizen_gets_the_dots_once_not_once_per_worker(webhook, line, clock) -> None:
    from bot.processing import EventProcessor

    first = webhook.processor
    second = EventProcessor(first.session_factory, first.line, first.answerer, first.clock, settings=first.settings)
    citizens = [f"U{n:032x}" for n in range(6)]
    first.batch_size = second.batch_size = 1
    for citizen in citizens[:5]:
        assert webhook.post(text_event("避難所はどこですか", user_id=citizen)).status_code == 200
    clock.advance(5)
    first.process_batch()  # looks at the four queued behind its event and moves the shared mark
    second.process_batch()  # nothing new has arrived since: no second call for the same citizens
    assert webhook.post(text_event("給水所はどこですか", user_id=citizens[5])).status_code == 200
    second.process_batch()  # the new arrival, seen by whichever worker looks next
    first.drain()
    second.drain()
    assert [call.to[0] for call in line.calls if call.kind == "loading"] == citizens[1:]
    assert [call.kind for call in line.calls].count("reply") == 6


def test_an_event_answered_at_once_gets_no_loading_animation(webhook, line) -> None:
    webhook.send(text_event("避難所はどこにありますか"))
    assert [call.kind for call in line.calls] == ["reply"]


def test_a_new_followers_language_is_kept_for_broadcasts_by_language(webhook, line, session_factory) -> None:
    from broadcast.planning import segment_size
    from broadcast.segments import Segment
    from tests.webhook_events import OTHER_USER, USER

    line.profiles[USER] = {"userId": USER, "displayName": "市民", "language": "en"}
    webhook.send(follow_event(user_id=USER), follow_event(user_id=OTHER_USER))  # no profile: counts as Japanese
    with session_factory() as session:
        languages = dict(session.execute(select(LineUser.line_user_id, LineUser.language)).all())
        assert languages == {USER: "en", OTHER_USER: None}
        assert segment_size(session, Segment(languages=frozenset({"en"}))) == 1
        assert segment_size(session, Segment(languages=frozenset({"ja"}))) == 1
