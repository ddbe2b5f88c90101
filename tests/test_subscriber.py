"""Subscriptions end to end: /subscribe (keyboard, all, by name), /unsubscribe, /mysubs, /follow,
/unfollow, /topics and /latest — what the user sees and what is stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.subscribers import service
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, feed_id, no_background_jobs


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message["reply_markup"] or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def _button(message: dict[str, Any], contains: str) -> dict[str, Any]:
    found = [b for b in _buttons(message) if contains in b["text"]]
    assert len(found) == 1, f"no single button with {contains!r} in {[b['text'] for b in _buttons(message)]}"
    return found[0]


async def _subs(app: Any) -> set[tuple[str, str]]:
    return {(s.kind, s.target) for s in await service.list_subscriptions(db_of(app), USER_ID)}


async def _press(fake: Any, message: dict[str, Any], data: str) -> dict[str, Any]:
    """Press a button and wait until the bot has answered it; returns the message as it is now."""
    update = await fake.callback_query(message["chat_id"], message["message_id"], data)
    await fake.wait_for_callback_answer(update["callback_query"]["id"])
    await fake.wait_for("editMessageText", since=len(fake.calls()) - 1, timeout=5)
    return dict(fake.message(message["chat_id"], message["message_id"]))


async def test_subscribe_keyboard_toggles_with_a_check_mark(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [menu] = await fake_telegram.converse(USER_ID, "/subscribe")
        assert "اختر المصادر والمواضيع" in menu["plain_text"]
        texts = [b["text"] for b in _buttons(menu)]
        assert any("الجزيرة نت" in t for t in texts) and any("سوريا" in t for t in texts)
        assert not any(t.startswith("✓") for t in texts)
        jazeera = await feed_id(db_of(app), "الجزيرة نت")

        button = _button(menu, "الجزيرة نت")
        calls = len(fake_telegram.calls())
        update = await fake_telegram.callback_query(USER_ID, menu["message_id"], button["callback_data"])
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        await fake_telegram.wait_for("editMessageText", since=calls)
        assert answer["text"] == "✓ اشتركت في «الجزيرة نت»"
        now = fake_telegram.message(USER_ID, menu["message_id"])
        assert _button(now, "الجزيرة نت")["text"].startswith("✓ ")
        assert not _button(now, "BBC")["text"].startswith("✓")
        assert await _subs(app) == {("feed", str(jazeera))}

        topic = _button(now, "سوريا")
        calls = len(fake_telegram.calls())
        update = await fake_telegram.callback_query(USER_ID, menu["message_id"], topic["callback_data"])
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        await fake_telegram.wait_for("editMessageText", since=calls)
        assert await _subs(app) == {("feed", str(jazeera)), ("topic", "سوريا")}

        # Pressing again removes it.
        calls = len(fake_telegram.calls())
        update = await fake_telegram.callback_query(USER_ID, menu["message_id"], button["callback_data"])
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        await fake_telegram.wait_for("editMessageText", since=calls)
        assert answer["text"] == "ألغيت الاشتراك في «الجزيرة نت»"
        now = fake_telegram.message(USER_ID, menu["message_id"])
        assert not _button(now, "الجزيرة نت")["text"].startswith("✓")
        assert _button(now, "سوريا")["text"].startswith("✓ ")
        assert await _subs(app) == {("topic", "سوريا")}


async def test_subscribe_all_and_by_name(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        db = db_of(app)
        [reply] = await fake_telegram.converse(USER_ID, "/subscribe BBC عربي")
        assert reply["plain_text"] == "اشتركت في «BBC عربي». جديده يصلك من الآن."
        bbc = await feed_id(db, "BBC عربي")
        assert await _subs(app) == {("feed", str(bbc))}
        [again] = await fake_telegram.converse(USER_ID, "/subscribe bbc")
        assert again["plain_text"] == "أنت مشترك في «BBC عربي» من قبل."
        [by_id] = await fake_telegram.converse(USER_ID, f"/subscribe {await feed_id(db, 'الجزيرة نت')}")
        assert "«الجزيرة نت»" in by_id["plain_text"]
        [topic] = await fake_telegram.converse(USER_ID, "/subscribe Economy")
        assert "«اقتصاد»" in topic["plain_text"]
        [missing] = await fake_telegram.converse(USER_ID, "/subscribe رويترز")
        assert missing["plain_text"] == "لم أجد مصدرًا أو موضوعًا باسم «رويترز». أرسل /subscribe لترى القائمة."
        await fake_telegram.converse(USER_ID, "/unsubscribe all")
        assert await _subs(app) == set()
        [everything] = await fake_telegram.converse(USER_ID, "/subscribe all")
        assert "اشتركت في كل المصادر (٢)" in everything["plain_text"]
        assert {t for k, t in await _subs(app) if k == "feed"} == {
            str(bbc),
            str(await feed_id(db, "الجزيرة نت")),
        }


async def test_english_user_gets_english_subscribe_texts(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [menu] = await fake_telegram.converse(USER_ID, "/subscribe", language_code="en")
        assert menu["plain_text"].startswith("Choose the sources and topics")
        assert any("Syria" in b["text"] for b in _buttons(menu))
        [reply] = await fake_telegram.converse(USER_ID, "/subscribe syria", language_code="en")
        assert reply["plain_text"] == "Subscribed to «Syria». Its new stories reach you from now on."


async def test_mysubs_lists_feeds_topics_and_keywords(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        [empty] = await fake_telegram.converse(USER_ID, "/mysubs")
        assert "ليست لديك اشتراكات بعد" in empty["plain_text"]
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة")
        await fake_telegram.converse(USER_ID, "/subscribe سوريا")
        await fake_telegram.converse(USER_ID, "/follow البنك المركزي")
        [listing] = await fake_telegram.converse(USER_ID, "/mysubs")
    text = listing["plain_text"]
    assert "المصادر:\n• الجزيرة نت" in text
    assert "المواضيع:\n• سوريا" in text
    assert "الكلمات المتابَعة:\n• البنك المركزي" in text
    assert "طريقة الاستلام: فورية" in text


async def test_mysubs_says_in_which_time_zone_the_digest_times_are(bot: Any, fake_telegram: Any) -> None:
    async with bot:
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة نت")
        await fake_telegram.converse(USER_ID, "/settings الأوقات 08:00 20:00")
        await fake_telegram.converse(USER_ID, "/settings المنطقة القاهرة")
        [listing] = await fake_telegram.converse(USER_ID, "/mysubs")
    assert "طريقة الاستلام: ملخص في ٠٨:٠٠، ٢٠:٠٠ بتوقيت القاهرة" in listing["plain_text"]


async def test_follow_and_unfollow_a_keyword(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [usage] = await fake_telegram.converse(USER_ID, "/follow")
        assert usage["plain_text"] == "اكتب الكلمة بعد الأمر، مثل: /follow النفط"
        [followed] = await fake_telegram.converse(USER_ID, "/follow الإنتخابات")
        assert followed["plain_text"] == "ستصلك الأخبار التي تذكر «الإنتخابات» من كل المصادر."
        [sub] = await service.list_subscriptions(db_of(app), USER_ID)
        # Stored normalised (إ → ا), displayed as typed.
        assert (sub.kind, sub.target, sub.display) == ("keyword", "الانتخابات", "الإنتخابات")
        [dup] = await fake_telegram.converse(USER_ID, "/follow الانتخابات")
        assert dup["plain_text"] == "أنت تتابع «الإنتخابات» من قبل."
        [stopwords] = await fake_telegram.converse(USER_ID, "/follow في من")
        assert "لا تحوي كلمة يمكن البحث بها" in stopwords["plain_text"]
        [not_followed] = await fake_telegram.converse(USER_ID, "/unfollow النفط")
        assert not_followed["plain_text"] == "لا تتابع «النفط». كلماتك: «الإنتخابات»"
        [gone] = await fake_telegram.converse(USER_ID, "/unfollow الانتخابات")
        assert gone["plain_text"] == "أوقفت متابعة «الإنتخابات»."
        assert await _subs(app) == set()


async def test_unfollow_alone_lists_the_followed_words_to_press(bot: Any, fake_telegram: Any) -> None:
    """/unfollow with no word: the followed words as buttons (not a line to type one), and the
    list stays words only as they are pressed away."""
    async with bot as app:
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة نت")
        for word in ("النفط", "الذهب"):
            await fake_telegram.converse(USER_ID, f"/follow {word}")
        [menu] = await fake_telegram.converse(USER_ID, "/unfollow")
        assert menu["plain_text"] == "اضغط على كلمة لإيقاف متابعتها:"
        assert [b["text"] for b in _buttons(menu)][:2] == ["✗ 🔎 النفط", "✗ 🔎 الذهب"]
        now = await _press(fake_telegram, menu, _button(menu, "النفط")["callback_data"])
        assert [b["text"] for b in _buttons(now)][:1] == ["✗ 🔎 الذهب"]
        assert not any("الجزيرة" in b["text"] for b in _buttons(now))  # the source stays off this list
        calls = len(fake_telegram.calls())
        last = await fake_telegram.callback_query(
            USER_ID, now["message_id"], _button(now, "الذهب")["callback_data"]
        )
        await fake_telegram.wait_for_callback_answer(last["callback_query"]["id"])
        await fake_telegram.wait_for("editMessageText", since=calls)
        assert fake_telegram.message(USER_ID, now["message_id"])["plain_text"].startswith(
            "لا كلمات متابعة الآن"
        )
        assert {kind for kind, _ in await _subs(app)} == {"feed"}


async def test_topics_keyboard_toggles_a_topic(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [menu] = await fake_telegram.converse(USER_ID, "/topics")
        assert "المواضيع" in menu["plain_text"]
        assert [b["text"] for b in _buttons(menu)] == ["سوريا", "اقتصاد"]
        now = await _press(fake_telegram, menu, _button(menu, "اقتصاد")["callback_data"])
        assert [b["text"] for b in _buttons(now)] == ["سوريا", "✓ اقتصاد"]
        assert await _subs(app) == {("topic", "اقتصاد")}


async def test_unsubscribe_keyboard_removes_a_subscription(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        [nothing] = await fake_telegram.converse(USER_ID, "/unsubscribe")
        assert "ليست لديك اشتراكات بعد" in nothing["plain_text"]
        await fake_telegram.converse(USER_ID, "/subscribe BBC")
        await fake_telegram.converse(USER_ID, "/follow غزة")
        [menu] = await fake_telegram.converse(USER_ID, "/unsubscribe")
        assert menu["plain_text"] == "اضغط على اشتراك لإلغائه:"
        update = await fake_telegram.callback_query(
            USER_ID, menu["message_id"], _button(menu, "BBC")["callback_data"]
        )
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer["text"] == "ألغيت الاشتراك في «BBC عربي»"
        await fake_telegram.converse(USER_ID, "/subscribe BBC")
        now = await _press(fake_telegram, menu, _button(menu, "غزة")["callback_data"])
        assert not any("غزة" in b["text"] for b in _buttons(now))
        assert any("BBC" in b["text"] for b in _buttons(now))
        assert {k for k, _ in await _subs(app)} == {"feed"}
        [by_name] = await fake_telegram.converse(USER_ID, "/unsubscribe BBC عربي")
        assert by_name["plain_text"] == "ألغيت الاشتراك في «BBC عربي»."
        assert await _subs(app) == set()


async def test_latest_shows_summaries_from_the_chats_subscriptions(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        db = db_of(app)
        [empty] = await fake_telegram.converse(USER_ID, "/latest")
        assert "لا توجد أخبار بعد" in empty["plain_text"]
        await add_story(db, "ارتفاع أسعار النفط", ["ارتفعت أسعار النفط اليوم."], feed="BBC عربي")
        await add_story(db, "افتتاح معرض الكتاب", ["افتُتح معرض الكتاب."], age=timedelta(hours=3))
        await add_story(
            db, "قمة عربية في دمشق", ["تستضيف دمشق قمة عربية."], feed="BBC عربي", age=timedelta(hours=2)
        )
        old = await add_story(db, "خبر قديم من الجزيرة", ["خبر قديم."], age=timedelta(days=2))
        # Without subscriptions: the newest stories overall.
        overall = await fake_telegram.converse(USER_ID, "/latest 2", count=2)
        assert [m["plain_text"].split("\n")[0] for m in overall] == [
            "ارتفاع أسعار النفط",
            "قمة عربية في دمشق",
        ]
        await fake_telegram.converse(USER_ID, "/follow البطاريق")
        [none] = await fake_telegram.converse(USER_ID, "/latest")
        assert none["plain_text"].startswith("لا أخبار من اشتراكاتك بعد.")
        await fake_telegram.converse(USER_ID, "/unfollow البطاريق")
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة نت")
        await fake_telegram.converse(USER_ID, "/subscribe سوريا")
        cards = await fake_telegram.converse(USER_ID, "/latest", count=3)
        titles = [m["plain_text"].split("\n")[0] for m in cards]
        # The BBC story about Damascus comes through the topic; the oil story does not.
        assert titles == ["قمة عربية في دمشق", "افتتاح معرض الكتاب", "خبر قديم من الجزيرة"]
        assert "تستضيف دمشق قمة عربية." in cards[0]["plain_text"]
        assert cards[0]["reply_markup"] is not None
        assert old
        [bad] = await fake_telegram.converse(USER_ID, "/latest many")
        assert bad["plain_text"] == "اكتب عددًا من ١ إلى ١٠، مثل: /latest 5"


async def test_latest_with_arabic_digits_and_no_duplicates(bot: Any, fake_telegram: Any) -> None:
    async with bot as app:
        db = db_of(app)
        first = await add_story(db, "زلزال في تركيا", ["ضرب زلزال تركيا."])
        await add_story(db, "زلزال في تركيا", ["ضرب زلزال تركيا."], feed="BBC عربي", duplicate_of=first)
        await add_story(db, "خبر آخر", ["نص."], age=timedelta(hours=5))
        cards = await fake_telegram.converse(USER_ID, "/latest ٣", count=2)
        await fake_telegram.wait_for_messages(USER_ID, count=2)
        assert [m["plain_text"].split("\n")[0] for m in cards] == ["زلزال في تركيا", "خبر آخر"]
        assert len(fake_telegram.sent_messages(USER_ID)) == 2


# ---------------------------------------------------------------- service level


async def test_service_subscribe_rules(db: Any, config_factory: Any) -> None:
    config = config_factory(**SECTIONS)
    from bot.sync import sync_config

    await sync_config(db, config)
    with pytest.raises(service.SubscriptionError):
        await service.subscribe(db, 5, "feed", "1")  # not registered
    sub = await service.ensure_subscriber(db, config, 5, "private", "en", "Sam")
    assert (sub.language, sub.mode, sub.sentences) == ("en", "instant", 3)
    assert await service.subscribe(db, 5, "keyword", service.keyword_target("غزة"), "غزة")
    assert not await service.subscribe(db, 5, "keyword", service.keyword_target("غزّة"), "غزّة")
    assert await service.toggle(db, 5, "topic", "سوريا") is True
    assert await service.toggle(db, 5, "topic", "سوريا") is False
    with pytest.raises(service.SubscriptionError) as too_long:
        service.keyword_target("س" * 200)
    assert too_long.value.code == "keyword_too_long"
    # /stop keeps the row (for statistics) but ends everything.
    assert await service.stop(db, 5) == 1
    stopped = await service.get_subscriber(db, 5)
    assert stopped is not None and not stopped.active
    # Re-registering does not change a language the user chose.
    await service.set_language(db, 5, "ar")
    again = await service.ensure_subscriber(db, config, 5, "private", "en", "Sam")
    assert again.active and again.language == "ar"


def test_subscribe_keyboard_pages_and_short_callback_data() -> None:
    from bot.db.models import Feed, Topic
    from bot.subscribers import keyboards

    feeds = [Feed(id=1000 + i, name=f"مصدر رقم {i} بعنوان طويل جدا جدا جدا") for i in range(23)]
    topics = [Topic(id=i, name=f"موضوع {i}", name_en=f"Topic {i}") for i in range(4)]
    subscribed = {("feed", "1001"), ("topic", "موضوع 3")}
    first = keyboards.subscribe_keyboard(feeds, topics, subscribed, 0, "ar")
    rows = first.inline_keyboard
    assert len(rows) == keyboards.PAGE_SIZE + 2  # items, the page row, "done"
    assert rows[1][0].text.startswith("✓ ") and not rows[0][0].text.startswith("✓")
    assert [b.callback_data for b in rows[-2]] == ["sub:p:1"]
    last = keyboards.subscribe_keyboard(feeds, topics, subscribed, 99, "en")  # clamped to the last page
    texts = [row[0].text for row in last.inline_keyboard]
    assert "✓ 🏷 Topic 3" in texts
    assert [b.callback_data for b in last.inline_keyboard[-2]] == ["sub:p:1"]
    for markup in (first, last):
        for row in markup.inline_keyboard:
            for button in row:
                assert len(str(button.callback_data).encode()) <= 64


async def test_subscriptions_made_in_chat_route_new_stories(bot: Any, fake_telegram: Any) -> None:
    """What /follow and /subscribe store is what delivery routes on: new matching stories arrive."""
    from bot.delivery import routing
    from bot.delivery import service as delivery
    from bot.services import services

    async with bot as app:
        db = db_of(app)
        await fake_telegram.converse(USER_ID, "/follow النفط")
        await fake_telegram.converse(USER_ID, "/subscribe سوريا")
        before = len(fake_telegram.sent_messages(USER_ID))
        oil = await add_story(
            db, "أسعار النفط تقفز", ["قفزت أسعار النفط."], feed="BBC عربي", age=timedelta(0)
        )
        aleppo = await add_story(db, "أمطار غزيرة في حلب", ["هطلت أمطار في حلب."], age=timedelta(0))
        other = await add_story(db, "معرض للكتاب", ["افتتح معرض."], age=timedelta(0))
        assert await routing.route_new_stories(db, services(app).config, [oil, aleppo, other]) == 2
        delivery.wake(app)
        cards = await fake_telegram.wait_for_messages(USER_ID, count=2, since=before)
        assert {m["plain_text"].split("\n")[0] for m in cards} == {"أسعار النفط تقفز", "أمطار غزيرة في حلب"}


async def test_mysubs_says_which_sources_are_paused(bot: Any, fake_telegram: Any) -> None:
    """A feed an admin paused (or that paused itself) sends nothing: the reader learns why."""
    from sqlalchemy import update

    from bot.db.models import Feed

    async with bot as app:
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة نت")
        async with db_of(app).write() as session:
            await session.execute(update(Feed).where(Feed.name == "الجزيرة نت").values(status="failing"))
        [listing] = await fake_telegram.converse(USER_ID, "/mysubs")
    assert "• الجزيرة نت (متوقف الآن: لا تصل أخباره حتى يعيد المشرفون تشغيله)" in listing["plain_text"]
