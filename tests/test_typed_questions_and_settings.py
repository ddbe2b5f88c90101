"""Typed questions and typed settings: question phrasings that left a question
word in the topic, the name «علي» read as the preposition «على», "New York" cut to "York", a group
member mentioning the bot left unanswered, quiet hours typed as the settings screen shows them
refused, the grouping setting hard to type, and English "1 stories"."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.db.models import Story
from bot.delivery.format import render_digest
from bot.subscribers import service
from bot.subscribers.questions import extract_topic
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, no_background_jobs

GROUP = -1001234567890
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def _stories(app: Any) -> None:
    db = db_of(app)
    await add_story(db, "اشتباكات قرب حلب", ["اندلعت اشتباكات عنيفة قرب مدينة حلب السورية."])
    await add_story(db, "علي عبدالله صالح يظهر في صنعاء", ["ظهر الرئيس اليمني السابق في صنعاء."])
    await add_story(db, "أسعار النفط ترتفع", ["ارتفعت أسعار النفط في الأسواق العالمية."])


async def _answer(fake: FakeTelegram, chat: int, question: str, **kwargs: Any) -> list[str]:
    """The first lines of the bot's answer: its header and the first story card."""
    return [m["plain_text"].split("\n")[0] for m in await fake.converse(chat, question, count=2, **kwargs)]


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ما هو الجديد في سوريا؟", "سوريا"),
        ("ما هي أخبار سوريا", "سوريا"),
        ("ماذا حدث في سوريا", "سوريا"),
        ("ما الذي استجد في سوريا؟", "سوريا"),
        ("ما هي آخر أخبار الأمم المتحدة", "الأمم المتحدة"),
    ],
)
def test_pronouns_and_verbs_after_a_question_word_are_not_the_topic(question: str, topic: str) -> None:
    assert extract_topic(question) == topic


def test_ali_is_a_name_not_the_preposition_ala() -> None:
    assert extract_topic("ما الجديد عن علي؟") == "علي"
    assert extract_topic("علي") == "علي"
    assert extract_topic("علي عبدالله صالح") == "علي عبدالله صالح"
    # Egyptian spelling writes the name «على»: with nothing after it, it is not a preposition.
    assert extract_topic("ما الجديد عن على") == "على"
    assert extract_topic("على") == "على"
    # The prepositions themselves still go.
    assert extract_topic("أخبار على سوريا") == "سوريا"
    assert extract_topic("ايش الي صار في لبنان") == "لبنان"


def test_english_topics_starting_with_new_or_the_survive() -> None:
    assert extract_topic("news about New York") == "New York"
    assert extract_topic("news about the Hague") == "the Hague"
    assert extract_topic("Is there anything new on Gaza") == "Gaza"
    # "new", "the" and "latest" are still question words before another one, or at the end.
    assert extract_topic("what's the latest on Gaza?") == "Gaza"
    assert extract_topic("What's new about Syria?") == "Syria"
    assert extract_topic("what's new?") == ""


async def test_a_question_with_a_pronoun_finds_the_configured_topic(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        said = await _answer(fake_telegram, USER_ID, "ما هو الجديد في سوريا؟")
        # The topic's keyword «حلب» found the story: the configured topic was recognised.
        assert said == ["أحدث ما وجدته عن «سوريا»:", "اشتباكات قرب حلب"]


async def test_a_question_about_ali_is_about_ali(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        said = await _answer(fake_telegram, USER_ID, "ما الجديد عن علي عبدالله صالح؟")
        assert said == ["أحدث ما وجدته عن «علي عبدالله صالح»:", "علي عبدالله صالح يظهر في صنعاء"]
        # Not the latest news in general, as if nothing had been asked, and the name is a search
        # word (the analyzer tells it from the preposition «على»).
        for question in ("ما الجديد عن علي؟", "علي"):
            said = await _answer(fake_telegram, USER_ID, question)
            assert said == ["أحدث ما وجدته عن «علي»:", "علي عبدالله صالح يظهر في صنعاء"]


async def test_an_english_question_starting_with_is_there(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        await _stories(app)
        said = await _answer(fake_telegram, USER_ID, "Is there anything new on Syria?", language_code="en")
        assert said == ["The latest I found about «Syria»:", "اشتباكات قرب حلب"]


async def test_a_group_member_mentioning_the_bot_gets_an_answer(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="مجموعة")
    async with bot as app:
        await _stories(app)
        # The group's own talk, and a mention of someone else, are still not for the bot: sent
        # first, an answer to them would come before the one below.
        await fake_telegram.user_message(GROUP, "سوريا", user_id=USER_ID)
        await fake_telegram.user_message(GROUP, "@akhbar_test_bot_fan سوريا", user_id=USER_ID)
        said = await _answer(fake_telegram, GROUP, "@akhbar_test_bot سوريا", user_id=USER_ID)
        assert said == ["أحدث ما وجدته عن «سوريا»:", "اشتباكات قرب حلب"]  # one story: its card
        assert len(fake_telegram.sent_messages(GROUP)) == 2
        said = await _answer(
            fake_telegram, GROUP, "ما الجديد عن علي عبدالله صالح يا @Akhbar_Test_Bot؟", user_id=USER_ID
        )
        assert said == ["أحدث ما وجدته عن «علي عبدالله صالح»:", "علي عبدالله صالح يظهر في صنعاء"]
        # A bare mention is told what to type, not searched for.
        [hint] = await fake_telegram.converse(GROUP, "@akhbar_test_bot", user_id=USER_ID)
        assert hint["plain_text"].startswith("اكتب كلمة أو اسم موضوع")


@pytest.mark.parametrize(
    "typed",
    [
        "/settings الهدوء من ٢٣:٠٠ إلى ٠٧:٠٠",  # as the settings screen shows it
        "/settings ساعات الهدوء من ٢٣:٠٠ إلى ٠٧:٠٠",  # the screen's label too
        "/settings الهدوء من 23:00 إلى 07:00",  # in the digits of the examples
        "/settings الهدوء 23:00 07:00",
    ],
)
async def test_quiet_hours_typed_as_the_screen_shows_them(bot: Any, fake_telegram: Any, typed: str) -> None:
    async with bot as app:
        await fake_telegram.converse(USER_ID, "/start")
        [reply] = await fake_telegram.converse(USER_ID, typed)
        assert reply["plain_text"].startswith("حُفظ ✓")
        assert "ساعات الهدوء: من ٢٣:٠٠ إلى ٠٧:٠٠" in reply["plain_text"]
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and (sub.quiet_start, sub.quiet_end) == ("23:00", "07:00")


@pytest.mark.parametrize("typed", ["/settings quiet 23:00 07:00", "/settings quiet from 23:00 to 07:00"])
async def test_english_quiet_hours_typed_like_digest_times(bot: Any, fake_telegram: Any, typed: str) -> None:
    async with bot:
        await fake_telegram.converse(USER_ID, "/start", language_code="en")
        [reply] = await fake_telegram.converse(USER_ID, typed, language_code="en")
        assert reply["plain_text"].startswith("Saved ✓")
        assert "Quiet hours: 23:00 to 07:00" in reply["plain_text"]


async def test_the_grouping_setting_can_be_typed_as_the_screen_names_it(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [screen] = await fake_telegram.converse(USER_ID, "/settings")
        assert "/settings الخبر نفسه إيقاف" in screen["plain_text"]  # the typed form is shown
        [reply] = await fake_telegram.converse(USER_ID, "/settings الخبر نفسه إيقاف")
        assert "الخبر نفسه من مصادر أخرى: بطاقة لكل مصدر" in reply["plain_text"]
        sub = await service.get_subscriber(db_of(app), USER_ID)
        assert sub is not None and sub.group_events is False
        # A value it cannot use gets an example for this setting, not for link previews.
        [refused] = await fake_telegram.converse(USER_ID, "/settings التجميع ربما")
        assert "/settings التجميع" in refused["plain_text"] and "المعاينة" not in refused["plain_text"]
        assert not LATIN.search(refused["plain_text"].replace("/settings", ""))


async def test_the_english_grouping_error_names_grouping(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [screen] = await fake_telegram.converse(USER_ID, "/settings", language_code="en")
        assert "/settings same story off" in screen["plain_text"]
        [refused] = await fake_telegram.converse(USER_ID, "/settings grouping maybe", language_code="en")
        assert "/settings grouping off" in refused["plain_text"] and "previews" not in refused["plain_text"]
        assert not ARABIC.search(refused["plain_text"])


def _story(n: int) -> Story:
    return Story(
        id=n,
        title=f"خبر {n}",
        source="فرانس 24",
        url=f"https://news.example/{n}",
        summary=["جملة."],
        published_at=datetime(2024, 5, 1, 12, tzinfo=UTC),
    )


def test_an_english_digest_counts_one_story_in_the_singular() -> None:
    slot = datetime(2024, 5, 1, 18, tzinfo=UTC)
    [one] = render_digest([_story(1)], lang="en", tz="UTC", slot=slot, more=1)
    assert "\n1 story\n" in one
    assert "1 more story from this period is not shown here." in one
    [two] = render_digest([_story(1), _story(2)], lang="en", tz="UTC", slot=slot, more=2)
    assert "\n2 stories\n" in two and "2 more stories from this period are not shown here." in two
    # Arabic says «عدد الأخبار: ١», right for any number.
    [arabic] = render_digest([_story(1)], lang="ar", tz="UTC", slot=slot, more=1)
    assert "عدد الأخبار: ١" in arabic


async def test_an_english_broadcast_to_one_subscriber_says_subscriber(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        await fake_telegram.converse(USER_ID, "/start")
        [preview] = await fake_telegram.converse(ADMIN_ID, "/broadcast Hello", language_code="en")
        assert "This message will go to 1 active subscriber. Confirm?" in preview["plain_text"]


def test_an_english_admin_alert_about_one_message_speaks_of_one() -> None:
    from bot.delivery.sender import TEXTS as SENDER_TEXTS
    from bot.i18n import text

    one = text(SENDER_TEXTS, "uncertain", "en", count=1)
    assert "sending 1 message, so whether it arrived" in one and "It will not" in one
    assert "3 messages could not be delivered" in text(SENDER_TEXTS, "failures", "en", count=3, reason="x")


async def test_a_group_member_answering_the_bot_by_reply_is_answered(bot: Any, fake_telegram: Any) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="مجموعة")
    async with bot as app:
        await _stories(app)
        [_, card] = await fake_telegram.converse(GROUP, "@akhbar_test_bot سوريا", user_id=USER_ID, count=2)
        [nothing] = await fake_telegram.converse(GROUP, "@akhbar_test_bot الزلازل", user_id=USER_ID)
        # Talking about a card among themselves is not asking the bot: sent first, an answer to
        # it would come before the one below.
        await fake_telegram.user_message(
            GROUP, "النفط", user_id=USER_ID, reply_to_message_id=card["message_id"]
        )
        said = await _answer(
            fake_telegram, GROUP, "أسعار النفط", user_id=USER_ID, reply_to_message_id=nothing["message_id"]
        )
    assert nothing["plain_text"].startswith("لم أجد")
    assert said == ["أحدث ما وجدته عن «أسعار النفط»:", "أسعار النفط ترتفع"]
    assert len(fake_telegram.sent_messages(GROUP)) == 5
