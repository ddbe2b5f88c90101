"""One event, one card: another outlet's story on an event the chat's card already tells becomes a
link on that card ("وأيضًا في: …"), sent or waiting, instead of a second push; anything else still
gets its own card."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import select, update
from telegram import Bot

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Outbox, Story
from bot.delivery import outbox
from bot.delivery import service as delivery
from bot.delivery.corrections import queue_corrections
from bot.delivery.digest import run_digests
from bot.delivery.routing import route_new_stories
from bot.feeds.events import event_vector, same_event, similarity
from bot.services import services
from tests.fakes.telegram_api import FakeTelegram
from tests.test_delivery_sender import bot, sending, until
from tests.test_routing import add_feed, add_story, add_subscriber, rows

__all__ = ["bot"]  # a fixture, used by name

# One event as two outlets told it, an hour apart (France 24 and Sky News, Sudan, 2018).
SUDAN_F24 = (
    "السودان: قرار جمهوري بإعفاء وزير الخارجية من منصبه",
    "أصدر الرئيس السوداني عمر البشير قرارا جمهوريا بإعفاء وزير الخارجية إبراهيم غندور من منصبه، "
    "بعد أيام من حديث الوزير أمام البرلمان عن تأخر رواتب الدبلوماسيين.",
)
SUDAN_SKY = (
    "الرئيس السوداني يعفي وزير الخارجية من منصبه",
    "أعفى الرئيس السوداني عمر البشير وزير الخارجية إبراهيم غندور من منصبه بقرار جمهوري، "
    "وفق ما أفادت وكالة الأنباء السودانية الرسمية.",
)
# Same country and ministry, another story.
SUDAN_OTHER = (
    "السودان يستضيف اجتماعا لوزراء خارجية دول حوض النيل",
    "تستضيف الخرطوم الأسبوع المقبل اجتماعا لوزراء خارجية دول حوض النيل لبحث تقاسم المياه.",
)
# An explainer beside the news: a story of its own.
HODEIDAH_NEWS = (
    "سيطرة كاملة على مطار الحديدة وأسر عشرات الحوثيين",
    "أعلنت القوات اليمنية المدعومة من التحالف سيطرتها الكاملة على مطار الحديدة بعد معارك عنيفة.",
)
HODEIDAH_EXPLAINER = (
    "لماذا يشكل تحرير مطار الحديدة ضربة قاصمة للحوثيين؟",
    "يقع المطار جنوب المدينة التي يمر عبر مينائها معظم واردات اليمن، وخسارته تقطع خطوط الإمداد.",
)


# A profile beside the news, in the news' own words: its headline asks a question.
RAZZAZ_NEWS = (
    "الأردن: تكليف عمر الرزاز بتشكيل حكومة جديدة خلفا لهاني الملقي",
    "كلف العاهل الأردني الملك عبد الله الثاني عمر الرزاز بتشكيل حكومة جديدة خلفا لهاني الملقي.",
)
RAZZAZ_PROFILE = (
    "من هو عمر الرزاز المكلف بتشكيل الحكومة الأردنية الجديدة؟",
    "كلف العاهل الأردني عمر الرزاز بتشكيل حكومة جديدة خلفا لهاني الملقي، فمن هو الرجل؟",
)


async def test_a_story_whose_headline_asks_a_question_is_a_story_of_its_own(
    db: Database, config_factory: Any
) -> None:
    assert same_event(event_vector(*RAZZAZ_NEWS), event_vector(*RAZZAZ_PROFILE))  # the words agree
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    news = await _story(db, f24, RAZZAZ_NEWS, "فرانس 24", "https://f24.example/jordan")
    profile = await _story(db, sky, RAZZAZ_PROFILE, "سكاي نيوز عربية", "https://sky.example/razzaz")
    await route_new_stories(db, config, [news, profile])
    assert sorted((r.story_id, r.status) for r in await rows(db, 1)) == [
        (news, outbox.PENDING),
        (profile, outbox.PENDING),
    ]


def test_one_event_in_two_outlets_words_is_one_event_and_an_explainer_is_not() -> None:
    f24, sky = event_vector(*SUDAN_F24), event_vector(*SUDAN_SKY)
    assert same_event(f24, sky)
    assert not same_event(f24, event_vector(*SUDAN_OTHER))
    assert not same_event(event_vector(*HODEIDAH_NEWS), event_vector(*HODEIDAH_EXPLAINER))
    # Diacritics, tatweel and hamza forms do not make two tellings different.
    marked = event_vector("الرئيسُ السودانيّ يُعفي وزيرَ الخارجـــية من منصبه", SUDAN_SKY[1])
    assert similarity(marked, sky) > 0.99


async def _two_outlets(db: Database, chat: int, **settings: Any) -> tuple[int, int]:
    f24, sky = await add_feed(db, "فرانس 24"), await add_feed(db, "سكاي نيوز عربية")
    await add_subscriber(db, chat, subscriptions=[("feed", str(f24)), ("feed", str(sky))], **settings)
    return f24, sky


async def _story(db: Database, feed: int, told: tuple[str, str], source: str, url: str) -> int:
    title, lead = told
    return await add_story(db, feed, title, text=lead, summary=[lead], source=source, url=url)


async def test_a_second_outlets_story_on_the_event_becomes_a_link_on_the_sent_card(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    await route_new_stories(db, config, [first])
    async with sending(bot, db, config):
        [card] = await fake_telegram.wait_for_messages(1, count=1)
        await until(lambda: _all_done(db))
        second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
        await route_new_stories(db, config, [second])
        await until(lambda: _all_done(db))
        assert card["edits"], "the card was not edited"
        # Another story from the same outlets still gets a card of its own.
        other = await _story(db, sky, SUDAN_OTHER, "سكاي نيوز عربية", "https://sky.example/nile")
        await route_new_stories(db, config, [other])
        await fake_telegram.wait_for_messages(1, count=2)
        # Routed again (a restart): the folded story never comes on its own.
        await route_new_stories(db, config, [second])
        await until(lambda: _all_done(db))
    messages = fake_telegram.sent_messages(1)
    assert [m["plain_text"].split("\n")[0] for m in messages] == [SUDAN_F24[0], SUDAN_OTHER[0]]
    text = card["plain_text"]
    assert text.startswith(SUDAN_F24[0]) and text.rstrip().endswith("وأيضًا في: سكاي نيوز عربية")
    assert {"type": "text_link", "url": "https://sky.example/sudan"}.items() <= next(
        e for e in card["entities"] if e["type"] == "text_link" and "sky" in e["url"]
    ).items()


async def test_a_story_meant_for_a_card_the_reader_deleted_comes_as_a_card_of_its_own(
    fake_telegram: FakeTelegram, bot: Bot, db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    await route_new_stories(db, config, [first])
    async with sending(bot, db, config):
        [card] = await fake_telegram.wait_for_messages(1, count=1)
        await until(lambda: _all_done(db))
        fake_telegram.message(1, card["message_id"])["deleted"] = True  # the reader deletes it
        second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
        await route_new_stories(db, config, [second])
        [own] = await fake_telegram.wait_for_messages(1, since=1, count=1)
        await until(lambda: _settled(db))
        # A correction of the deleted card's story does not try to edit it again.
        async with db.write() as session:
            await session.execute(
                update(Story).where(Story.id == first).values(title="السودان: البشير يعفي غندور")
            )
        assert await queue_corrections(db, config, [first]) == 0
    assert own["plain_text"].startswith(SUDAN_SKY[0])
    assert "وأيضًا في" not in own["plain_text"]
    assert not card["edits"]
    [message] = fake_telegram.sent_messages(1)
    assert message["message_id"] == own["message_id"]


async def _settled(db: Database) -> bool:
    return all(r.status in (outbox.SENT, outbox.WITHDRAWN) for r in await rows(db))


async def _all_done(db: Database) -> bool:
    return all(r.status in (outbox.SENT, outbox.GROUPED) for r in await rows(db))


async def test_stories_routed_together_make_one_card_and_a_waiting_card_takes_the_link(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    # Quiet hours all day: cards wait.
    f24, sky = await _two_outlets(db, 1, quiet_start="00:00", quiet_end="23:59", timezone="UTC")
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    await route_new_stories(db, config, [first, second])
    [card] = [r for r in await rows(db) if r.status == outbox.PENDING]
    assert card.story_id == first and "سكاي نيوز عربية" in card.payload["text"]
    # A third outlet, in a later run, joins the waiting card.
    cnn = await add_feed(db, "سي إن إن")
    async with db.write() as session:
        from bot.db.models import Subscription

        session.add(Subscription(chat_id=1, kind="feed", target=str(cnn)))
    third = await _story(
        db, cnn, (SUDAN_SKY[0] + " غندور", SUDAN_SKY[1]), "سي إن إن", "https://cnn.example/sudan"
    )
    await route_new_stories(db, config, [third])
    [card] = [r for r in await rows(db) if r.status == outbox.PENDING]
    assert card.story_id == first
    assert "سكاي نيوز عربية" in card.payload["text"] and "سي إن إن" in card.payload["text"]
    assert sorted(r.story_id for r in await rows(db) if r.status == outbox.GROUPED) == [second, third]


async def test_the_same_outlets_follow_up_and_a_chat_without_the_card_get_cards(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    await add_subscriber(db, 2, subscriptions=[("feed", str(sky))])
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    update = await _story(db, f24, SUDAN_SKY, "فرانس 24", "https://f24.example/sudan-2")
    await route_new_stories(db, config, [first, update])
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    await route_new_stories(db, config, [second])
    by_chat = {chat: sorted((r.story_id, r.status) for r in await rows(db, chat)) for chat in (1, 2)}
    # Chat 1: France 24's own update is its own card; Sky's story joins the first card it matches.
    assert by_chat[1] == sorted([(first, outbox.PENDING), (update, outbox.PENDING), (second, outbox.GROUPED)])
    # Chat 2 follows only Sky News: it has no card of the event, so it gets Sky's.
    assert by_chat[2] == [(second, outbox.PENDING)]


async def test_an_outlets_follow_up_is_never_a_link_on_its_own_card_nor_listed_twice(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    await route_new_stories(db, config, [first])
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    await route_new_stories(db, config, [second])
    # France 24's follow-up reads like Sky's story, which the France 24 card lists; Sky's own second
    # story on the event reads like its first.
    follow_up = await _story(db, f24, SUDAN_SKY, "فرانس 24", "https://f24.example/sudan-2")
    await route_new_stories(db, config, [follow_up])
    sky_again = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan-2")
    await route_new_stories(db, config, [sky_again])
    by_story = {r.story_id: r for r in await rows(db, 1)}
    assert [by_story[s].status for s in (first, second, follow_up)] == [
        outbox.PENDING,
        outbox.GROUPED,
        outbox.PENDING,  # a card of its own
    ]
    links = by_story[first].payload["text"].split("وأيضًا في:")[1]
    assert links.count("سكاي نيوز عربية") == 1 and "فرانس 24" not in links
    # Sky's second story is told with France 24's second, not listed twice on the first card.
    assert by_story[sky_again].payload["into_story"] == follow_up


async def test_in_one_run_an_outlet_is_listed_once_and_never_on_its_own_card(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1)
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    follow_up = await _story(db, f24, SUDAN_SKY, "فرانس 24", "https://f24.example/sudan-2")
    sky_again = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan-2")
    await route_new_stories(db, config, [first, second, follow_up, sky_again])
    by_story = {r.story_id: r for r in await rows(db, 1)}
    assert [by_story[s].status for s in (first, second, follow_up)] == [
        outbox.PENDING,
        outbox.GROUPED,
        outbox.PENDING,  # a card of its own
    ]
    links = by_story[first].payload["text"].split("وأيضًا في:")[1]
    assert links.count("سكاي نيوز عربية") == 1 and "فرانس 24" not in links
    # Sky's second story is told with France 24's second, not listed twice on the first card.
    assert by_story[sky_again].payload["into_story"] == follow_up


async def test_an_expanded_card_keeps_its_links(bot_factory: Any, fake_telegram: FakeTelegram) -> None:
    chat = 3400
    long_lead = SUDAN_F24[1]
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        f24, sky = await _two_outlets(db, chat)
        sentences = [long_lead] + [f"وأضاف المصدر في الجملة رقم {i} تفاصيل أخرى عن القرار." for i in range(6)]
        first = await add_story(
            db,
            f24,
            SUDAN_F24[0],
            text=long_lead,
            summary=sentences,
            source="فرانس 24",
            url="https://f24.example/s",
        )
        await route_new_stories(db, config, [first])
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        await until(lambda: _all_done(db))
        second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
        await route_new_stories(db, config, [second])
        delivery.wake(app)
        async with asyncio.timeout(10):
            while not card["edits"]:
                await asyncio.sleep(0.05)
        await fake_telegram.callback_query(chat, card["message_id"], f"more:{first}")
        async with asyncio.timeout(10):
            while len(card["edits"]) < 2:
                await asyncio.sleep(0.05)
        await until(lambda: _expanded_recorded(db, first))  # what a later edit starts from
    text = card["plain_text"]
    assert all(s in text for s in sentences[:5])  # expanded
    assert text.rstrip().endswith("وأيضًا في: سكاي نيوز عربية")  # and still listing the other outlet


async def test_a_card_older_than_its_record_keeps_its_links_when_expanded(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    """Found running a week in the life: a month on, retention has deleted the card's record (its
    outbox row), and «المزيد» rewrote the card without its «وأيضًا في» line: the other outlet's
    link silently disappeared. The links are read back from the card in the chat."""
    chat = 3401
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        f24, sky = await _two_outlets(db, chat)
        sentences = [SUDAN_F24[1]] + [
            f"وأضاف المصدر في الجملة رقم {i} تفاصيل أخرى عن القرار." for i in range(6)
        ]
        first = await add_story(
            db,
            f24,
            SUDAN_F24[0],
            text=SUDAN_F24[1],
            summary=sentences,
            source="فرانس 24",
            url="https://f24.example/s",
        )
        await route_new_stories(db, config, [first])
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        await until(lambda: _all_done(db))
        second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
        await route_new_stories(db, config, [second])
        delivery.wake(app)
        async with asyncio.timeout(10):
            while not card["edits"]:
                await asyncio.sleep(0.05)
        await until(lambda: _edits_done(db))
        async with db.write() as session:  # what the daily retention does to records past keep_history
            await session.execute(sa_delete(Outbox).where(Outbox.chat_id == chat))
        await fake_telegram.callback_query(chat, card["message_id"], f"more:{first}")
        async with asyncio.timeout(10):
            while len(card["edits"]) < 2:
                await asyncio.sleep(0.05)
    text = card["plain_text"]
    assert all(s in text for s in sentences[:5])  # expanded
    assert text.rstrip().endswith("وأيضًا في: سكاي نيوز عربية")  # and still listing the other outlet
    assert '<a href="https://sky.example/sudan">سكاي نيوز عربية</a>' in card["text"]


async def test_a_card_expanded_while_its_link_waits_to_be_added_stays_expanded(
    bot_factory: Any, fake_telegram: FakeTelegram
) -> None:
    chat = 3401
    sentences = [SUDAN_F24[1]] + [f"وأضاف المصدر في الجملة رقم {i} تفاصيل أخرى عن القرار." for i in range(6)]
    async with bot_factory() as app:
        db, config = services(app).db, services(app).config
        f24, sky = await _two_outlets(db, chat)
        first = await add_story(
            db,
            f24,
            SUDAN_F24[0],
            text=sentences[0],
            summary=sentences,
            source="فرانس 24",
            url="https://f24.example/s",
        )
        await route_new_stories(db, config, [first])
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(chat, count=1, timeout=10)
        await until(lambda: _all_done(db))
        # The edit adding Sky's link fails once (Telegram had a bad moment) and waits for its retry...
        fake_telegram.fail_next("editMessageText", 1)
        second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
        await route_new_stories(db, config, [second])
        delivery.wake(app)
        await until(lambda: _edit_retrying(db))
        # ... while the reader presses "المزيد".
        await fake_telegram.callback_query(chat, card["message_id"], f"more:{first}")
        await until(lambda: _expanded_recorded(db, first))
        await until(lambda: _edits_done(db), timeout=30)  # the retried edit went out
    text = card["plain_text"]
    assert all(s in text for s in sentences[:5]), "the expanded card folded up again"
    assert text.rstrip().endswith("وأيضًا في: سكاي نيوز عربية")


async def _edit_retrying(db: Database) -> bool:
    return any(r.kind == outbox.EDIT and r.status == outbox.PENDING and r.attempts for r in await rows(db))


async def _edits_done(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db) if r.kind == outbox.EDIT)


async def _expanded_recorded(db: Database, story: int) -> bool:
    async with db.read() as session:
        card = await session.scalar(
            select(Outbox).where(Outbox.story_id == story, Outbox.kind == outbox.STORY)
        )
    return card is not None and bool(card.payload.get("expanded")) and bool(card.payload.get("also"))


async def test_a_corrected_card_keeps_the_outlets_it_lists(db: Database, config_factory: Any) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1, quiet_start="00:00", quiet_end="23:59", timezone="UTC")
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    await route_new_stories(db, config, [first, second])
    corrected = "السودان: البشير يعفي وزير الخارجية إبراهيم غندور من منصبه"
    async with db.write() as session:
        await session.execute(update(Story).where(Story.id == first).values(title=corrected))
    await queue_corrections(db, config, [first])
    [card] = [r for r in await rows(db) if r.status == outbox.PENDING]
    assert corrected in card.payload["text"] and "سكاي نيوز عربية" in card.payload["text"]


async def test_a_chat_that_wants_a_card_from_each_source_gets_one(db: Database, config_factory: Any) -> None:
    config: Config = config_factory()
    f24, sky = await _two_outlets(db, 1, group_events=False)
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    await route_new_stories(db, config, [first, second])
    cards = await rows(db, 1)
    assert sorted((r.story_id, r.status) for r in cards) == [
        (first, outbox.PENDING),
        (second, outbox.PENDING),
    ]
    assert all("وأيضًا في" not in r.payload["text"] for r in cards)


async def _digest_of_the_day(db: Database, config: Config, chat: int, *, group_events: bool) -> str:
    """A digest reader of both outlets gets the Sudan story from each, and another story."""
    now = utcnow()
    f24, sky = await _two_outlets(
        db,
        chat,
        since=now - timedelta(days=2),
        mode="digest",
        timezone="UTC",
        digest_times=["00:00", "12:00"],
        last_digest_at=now - timedelta(days=1),
        group_events=group_events,
    )
    first = await _story(db, f24, SUDAN_F24, "فرانس 24", "https://f24.example/sudan")
    second = await _story(db, sky, SUDAN_SKY, "سكاي نيوز عربية", "https://sky.example/sudan")
    other = await _story(db, sky, SUDAN_OTHER, "سكاي نيوز عربية", "https://sky.example/nile")
    await route_new_stories(db, config, [first, second, other])
    assert await run_digests(db, config) == 1
    [digest] = [r for r in await rows(db, chat) if r.kind == outbox.DIGEST]
    return str(digest.payload["text"])


async def test_a_digest_lists_one_event_once_with_the_other_outlets_under_it(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    text = await _digest_of_the_day(db, config, 1, group_events=True)
    assert SUDAN_F24[0] in text and SUDAN_OTHER[0] in text
    assert SUDAN_SKY[0] not in text  # told once ...
    assert 'وأيضًا في:</i> <a href="https://sky.example/sudan">سكاي نيوز عربية</a>' in text  # ... with a link
    assert text.index(SUDAN_F24[0]) < text.index("وأيضًا في:")
    # A correction of that story replaces its item and keeps the link under it.
    corrected = "السودان: البشير يعفي وزير الخارجية إبراهيم غندور"
    async with db.write() as session:
        first = (await session.scalars(select(Story.id).where(Story.title == SUDAN_F24[0]))).one()
        await session.execute(update(Story).where(Story.id == first).values(title=corrected))
    await queue_corrections(db, config, [first])
    [digest] = [r for r in await rows(db, 1) if r.kind == outbox.DIGEST]
    assert corrected in digest.payload["text"] and "https://sky.example/sudan" in digest.payload["text"]


async def test_a_digest_reader_who_wants_each_source_gets_each_story(
    db: Database, config_factory: Any
) -> None:
    config: Config = config_factory()
    text = await _digest_of_the_day(db, config, 2, group_events=False)
    assert all(told[0] in text for told in (SUDAN_F24, SUDAN_SKY, SUDAN_OTHER))
    assert "وأيضًا في" not in text
