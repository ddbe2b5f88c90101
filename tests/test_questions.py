"""Plain-text topic questions in a private chat, answered from the search index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.subscribers.questions import extract_topic, is_greeting
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, no_background_jobs


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def _stories(app: Any) -> None:
    db = db_of(app)
    await add_story(db, "اشتباكات قرب حلب", ["اندلعت اشتباكات عنيفة قرب مدينة حلب السورية."])
    await add_story(
        db, "الحكومة السورية تعلن خطة جديدة", ["أعلنت الحكومة في دمشق خطة اقتصادية."], age=timedelta(hours=2)
    )
    await add_story(db, "أسعار النفط ترتفع", ["ارتفعت أسعار النفط في الأسواق العالمية."], feed="BBC عربي")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ما الجديد عن سوريا؟", "سوريا"),
        ("سوريا", "سوريا"),
        ("آخر أخبار النفط", "النفط"),
        ("ماذا عن غزة اليوم؟", "غزة"),
        ("What's new about Syria?", "Syria"),
        ("أخبار الانتخابات في العراق", "الانتخابات في العراق"),
        ("ما الجديد؟", ""),
        # time words say "lately", which the answer is anyway; as search words they would narrow it
        ("ما آخر أخبار النفط هذا الأسبوع", "النفط"),
        ("أخبار الانتخابات في الأيام الأخيرة", "الانتخابات"),
        ("شو صار بلبنان امس؟", "بلبنان"),  # ب is read off by the search analyzer
        ("what happened in Syria this week", "Syria"),
        # a greeting before the question is not the topic
        ("مرحبا، ما الجديد عن غزة؟", "غزة"),
        ("السلام عليكم، ما أخبار لبنان", "لبنان"),
        ("Hey, what's new about Gaza?", "Gaza"),
        ("مرحبا", "مرحبا"),  # a greeting alone is answered as one (is_greeting)
    ],
)
def test_question_words_are_stripped(question: str, topic: str) -> None:
    assert extract_topic(question) == topic


def test_greetings_are_not_questions() -> None:
    assert is_greeting("مرحبا!") and is_greeting("السلام عليكم") and not is_greeting("سوريا")


@pytest.mark.parametrize(
    "greeting",
    [
        "السلام عليكم يا شباب",
        "good morning",
        "مرحبا كيف حالك",
        "مرحبا بك",
        "أهلا وسهلا",
        "سلام عليكم",
        "Hi there",
    ],
)
def test_a_longer_greeting_is_a_greeting_not_a_topic(greeting: str) -> None:
    # Searched, «السلام عليكم يا شباب» answered with youth news.
    assert is_greeting(greeting)
    assert not is_greeting("مرحبا، ما الجديد عن غزة؟")


async def test_question_about_a_topic_answers_with_story_cards(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        # "سوريا" is a configured topic: its keywords (دمشق، حلب) widen the search.
        messages = await fake_telegram.converse(USER_ID, "ما الجديد عن سوريا؟", count=3)
        assert messages[0]["plain_text"] == "أحدث ما وجدته عن «سوريا»:"
        titles = [m["plain_text"].split("\n")[0] for m in messages[1:]]
        assert titles == ["اشتباكات قرب حلب", "الحكومة السورية تعلن خطة جديدة"]
        assert messages[1]["reply_markup"] is not None  # the card's buttons
        await fake_telegram.wait_for_messages(USER_ID, count=3)
        assert len(fake_telegram.sent_messages(USER_ID)) == 3  # the oil story is not an answer


async def test_question_in_english_with_a_free_word(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        messages = await fake_telegram.converse(USER_ID, "news about النفط?", count=2, language_code="en")
        assert messages[0]["plain_text"] == "The latest I found about «النفط»:"
        assert messages[1]["plain_text"].startswith("أسعار النفط ترتفع")


async def test_question_with_nothing_found_suggests_another_word(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        [reply] = await fake_telegram.converse(USER_ID, "ما الجديد عن البطاريق؟")
        assert reply["plain_text"] == "لم أجد أخبارًا عن «البطاريق» — جرّب كلمة أخرى أو /topics"
        assert reply["reply_markup"] is None


async def test_greeting_gets_a_hint_not_a_search(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [reply] = await fake_telegram.converse(USER_ID, "مرحبا")
        assert "اكتب اسم موضوع" in reply["plain_text"]


async def test_plain_text_in_a_group_is_ignored(bot: Any, fake_telegram: Any) -> None:
    group = -4001
    async with bot as app:
        await _stories(app)
        await fake_telegram.user_message(group, "سوريا", user_id=USER_ID, chat_type="group")
        # A command sent after it is answered, and the plain text got no answer of its own.
        [reply] = await fake_telegram.converse(group, "/help", user_id=USER_ID, chat_type="group")
        assert "أوامر أخبار" in reply["plain_text"]
        assert len(fake_telegram.sent_messages(group)) == 1


async def test_whats_new_without_a_topic_gives_the_latest_of_my_subscriptions(
    bot: Any, fake_telegram: Any
) -> None:
    async with bot as app:
        [nothing] = await fake_telegram.converse(USER_ID, "ما الجديد؟")
        # Following nothing, nothing will "reach" the reader: the answer says how to change that.
        assert (
            nothing["plain_text"]
            == "لا توجد أخبار بعد. اختر مصادرك بالأمر /subscribe لتصلك أخبارها فور وصولها."
        )
        await _stories(app)
        await fake_telegram.converse(USER_ID, "/subscribe BBC عربي")
        messages = await fake_telegram.converse(USER_ID, "ما الجديد؟", count=2)
        assert messages[0]["plain_text"] == "أحدث الأخبار:"
        assert messages[1]["plain_text"].startswith("أسعار النفط ترتفع")
