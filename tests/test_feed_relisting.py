"""An outlet lists one of its articles again under a new guid and link and a later date (its CMS
changed the slug when an editor corrected the headline, or republished it): the reader gets one
card, edited in place when the headline changed, never the same story twice. A genuinely new
story of the same feed still arrives, even one written to the same template.

Each test serves a feed (tests.test_audit_feeds.RawServer), polls it with the real poller, hands
what the poll found to delivery as the scheduler does, and counts the subscriber's messages.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from telegram import Bot

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Story
from bot.delivery import outbox
from bot.delivery.corrections import queue_corrections
from bot.delivery.routing import route_new_stories
from bot.feeds.fetcher import Fetcher
from bot.feeds.poller import PollResult
from tests.fakes.feed_server import Story as AntStory
from tests.fakes.telegram_api import FakeTelegram
from tests.test_audit_feeds import RawServer, add_feed, item, poll, raw_server, rss
from tests.test_delivery_sender import bot, sending, until
from tests.test_feed_poller import config, fetcher
from tests.test_feed_poller import stories as stored
from tests.test_routing import add_subscriber, rows

__all__ = ["bot", "config", "fetcher", "raw_server"]  # fixtures, used by name

CHAT = 5150
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def date(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


def moved(story: AntStory, slug: str, when: datetime, **fields: str) -> dict[str, str]:
    """The story listed again at a new address (its guid, as many CMSs write it) and date."""
    link = f"https://news.example/ar/{story.id}-{slug}"
    return item(story, link=link, guid=link, pubDate=date(when), **fields)


class Reader:
    """One subscriber of one served feed, and what the scheduler does after each poll."""

    def __init__(self, db: Database, config: Config, fetcher: Fetcher, server: RawServer) -> None:
        self.db, self.config, self.fetcher, self.server = db, config, fetcher, server
        self.feed_id = 0

    async def start(self, *items: dict[str, str]) -> None:
        """The feed's first poll (its back catalogue: stored, not sent), then the subscriber."""
        self.feed_id = await add_feed(self.db, self.server.set("/feed", rss(list(items)).encode(), RSS))
        await poll(self.db, self.config, self.fetcher, self.feed_id)
        await add_subscriber(self.db, CHAT, subscriptions=[("feed", str(self.feed_id))])

    async def serve(self, *items: dict[str, str]) -> PollResult:
        """The outlet now lists `items`; the next poll, and delivery of what it found, done."""
        self.server.set("/feed", rss(list(items)).encode(), RSS)
        result = await poll(self.db, self.config, self.fetcher, self.feed_id)
        await route_new_stories(self.db, self.config, result.new_story_ids)
        await queue_corrections(self.db, self.config, result.updated_story_ids)
        await until(lambda: _all_sent(self.db), what="the outbox drained")
        return result


async def _all_sent(db: Database) -> bool:
    return all(r.status == outbox.SENT for r in await rows(db, CHAT))


@pytest.fixture
async def reader(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer, bot: Bot
) -> AsyncIterator[Reader]:
    async with sending(bot, db, config):
        yield Reader(db, config, fetcher, raw_server)


async def titles(db: Database, feed_id: int) -> list[str]:
    """The titles of the feed's stored stories (what /latest and search know), first stored first."""
    return [s.title for s in await stored(db, feed_id)]


def headlines(fake: FakeTelegram) -> list[str]:
    """The first line (the headline) of each card the subscriber has, as it reads now."""
    return [m["plain_text"].split("\n")[0] for m in fake.sent_messages(CHAT)]


async def test_a_headline_corrected_under_a_new_slug_and_a_later_date_edits_the_card(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    a, b = ant_stories[0], ant_stories[1]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(hours=2)))
    await reader.start(older)
    await reader.serve(item(a, pubDate=date(now - timedelta(minutes=5))), older)
    assert headlines(fake_telegram) == [a.title]
    fixed_title = a.title.replace("أحلام", "الفنانة أحلام")
    result = await reader.serve(moved(a, "2", now, title=html.escape(fixed_title)), older)
    assert result.new_story_ids == [] and len(result.updated_story_ids) == 1
    # One card, edited in place to the corrected headline.
    assert headlines(fake_telegram) == [fixed_title]
    [card] = fake_telegram.sent_messages(CHAT)
    assert len(card["edits"]) == 1
    # One story, corrected, for /latest and search.
    assert sorted(await titles(db, reader.feed_id)) == sorted([fixed_title, b.title])


async def test_items_without_guid_or_link_whose_date_is_bumped_are_not_sent_again(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    a, b = ant_stories[0], ant_stories[1]
    now = utcnow()

    def bare(story: AntStory, when: datetime, **fields: str) -> dict[str, str]:
        # Neither guid nor link: the key is the title and the date, and both may change.
        return item(story, guid="", link="", pubDate=date(when), **fields)

    older = bare(b, now - timedelta(hours=2))
    await reader.start(older)
    await reader.serve(bare(a, now - timedelta(minutes=30)), older)
    # Re-dated, same words: nothing new.
    result = await reader.serve(bare(a, now - timedelta(minutes=10)), older)
    assert result.new_story_ids == [] and result.updated_story_ids == []
    assert headlines(fake_telegram) == [a.title]
    # Re-dated with its headline corrected: the card follows.
    fixed_title = a.title + " (محدث)"
    result = await reader.serve(bare(a, now, title=html.escape(fixed_title)), older)
    assert result.new_story_ids == [] and len(result.updated_story_ids) == 1
    assert headlines(fake_telegram) == [fixed_title]
    assert sorted(await titles(db, reader.feed_id)) == sorted([fixed_title, b.title])


async def test_the_same_article_listed_again_minutes_later_is_not_a_second_card(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    a, b, c = ant_stories[0], ant_stories[1], ant_stories[2]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(hours=2)))
    first = item(a, pubDate=date(now - timedelta(minutes=7)))
    await reader.start(older)
    await reader.serve(first, older)
    # Republished under a new guid and link, seven minutes later, word for word; the outlet keeps
    # the first copy listed too. Same title, same text: the reader would see the same card twice.
    again = moved(a, "republished", now)
    result = await reader.serve(again, first, older)
    assert result.new_story_ids == []
    # Later it drops the first copy and lists a third one: still the one story.
    result = await reader.serve(moved(a, "third", now + timedelta(minutes=1)), again, older)
    assert result.new_story_ids == []
    assert headlines(fake_telegram) == [a.title]
    assert sorted(await titles(db, reader.feed_id)) == sorted([a.title, b.title])
    # A new story is still news.
    await reader.serve(item(c, pubDate=date(now)), again, older)
    assert headlines(fake_telegram) == [a.title, c.title]


async def test_the_same_article_listed_twice_in_one_poll_is_one_card_and_one_result(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    """Found searching a real archive: Sky News lists an article under its short link and again
    under its slug link, two guids, in the same feed document (117 times in ANT). Both were stored
    as stories: /search showed it twice, and subscribers got two cards."""
    from bot.search.service import search

    a, b = ant_stories[0], ant_stories[1]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(hours=2)))
    await reader.start(older)
    short = item(a, link="https://news.example/ar/1045813", guid="sky-1045813", pubDate=date(now))
    slug = moved(a, "slug", now)
    result = await reader.serve(short, slug, older)
    assert len(result.new_story_ids) == 1
    assert headlines(fake_telegram) == [a.title]
    assert (await titles(db, reader.feed_id)).count(a.title) == 1
    word = max(a.title.split(), key=len)
    page = await search(db, word, limit=10)
    assert [h.title for h in page.hits].count(a.title) == 1
    # Both keys are the story's: the next poll, listing both still, brings nothing new.
    again = await reader.serve(short, slug, older)
    assert again.new_story_ids == [] and headlines(fake_telegram) == [a.title]


async def test_the_same_words_listed_next_to_yesterdays_are_todays_story(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    # A daily notice whose words did not change since yesterday ("no change in the rates"): both
    # listed, a day apart, it is today's. Meanwhile another story moved to a new slug is not news.
    a, b, c = ant_stories[0], ant_stories[1], ant_stories[2]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(days=2)))
    yesterday = item(a, pubDate=date(now - timedelta(days=1)))
    story = item(c, pubDate=date(now - timedelta(minutes=30)))
    await reader.start(older)
    await reader.serve(yesterday, older)  # listed yesterday: news then
    await reader.serve(yesterday, story, older)
    result = await reader.serve(moved(a, "today", now), yesterday, moved(c, "moved", now), older)
    assert len(result.new_story_ids) == 1
    assert sorted(headlines(fake_telegram)) == sorted([a.title, c.title, a.title])
    assert (await titles(db, reader.feed_id)).count(a.title) == 2


async def test_a_new_story_sharing_a_template_lead_is_delivered(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    # Each of the ministry's daily bulletins opens with the same paragraph; what follows differs.
    template = (
        "أعلنت وزارة الصحة في بيانها اليومي الصادر صباح اليوم عن آخر المستجدات المتعلقة بالوضع "
        "الصحي في البلاد، وأكدت أن فرقها الطبية تواصل العمل على مدار الساعة في جميع المحافظات."
    )
    b, one, two = ant_stories[1], ant_stories[2], ant_stories[3]
    now = utcnow()

    def bulletin(story: AntStory, title: str, slug: str, when: datetime) -> dict[str, str]:
        body = html.escape(f"<p>{template}</p><p>{story.abstract}</p>")
        return moved(story, slug, when, title=html.escape(title), description=body)

    older = item(b, pubDate=date(now - timedelta(hours=2)))
    await reader.start(older)
    first = bulletin(one, "وزارة الصحة: افتتاح مستشفى جديد", "1", now - timedelta(minutes=20))
    await reader.serve(first, older)
    # The outlet moves the bulletin to a new slug and re-dates it: not news.
    relisted = bulletin(one, "وزارة الصحة: افتتاح مستشفى جديد", "1b", now - timedelta(minutes=10))
    assert (await reader.serve(relisted, older)).new_story_ids == []
    # The next bulletin, the first one no longer listed: same opening paragraph, another story.
    second = bulletin(two, "وزارة الصحة: حملة تطعيم في المدارس", "2", now)
    assert len((await reader.serve(second, older)).new_story_ids) == 1
    expected = ["وزارة الصحة: افتتاح مستشفى جديد", "وزارة الصحة: حملة تطعيم في المدارس"]
    assert headlines(fake_telegram) == expected
    assert await titles(db, reader.feed_id) == [b.title, *expected]


async def test_a_template_story_is_delivered_while_the_earlier_one_is_still_listed(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    # Two stories written to one template, word for word but for one figure: the outlet lists
    # both, so both are news (the figure is). Meanwhile another story it relists is not.
    gold = (
        "سجلت أسعار الذهب في محلات الصاغة تعاملات هادئة مع بداية اليوم، وبلغ سعر جرام الذهب عيار "
        "21 نحو {} جنيها، فيما استقر سعر الجنيه الذهب والأوقية في البورصة العالمية وفق ما أعلنته "
        "شعبة الذهب في اتحاد الغرف التجارية التي توقعت استمرار الهدوء حتى نهاية الأسبوع."
    )
    a, b = ant_stories[0], ant_stories[1]
    now = utcnow()

    def prices(slug: str, figure: str, when: datetime) -> dict[str, str]:
        return moved(a, slug, when, title="أسعار الذهب اليوم", description=html.escape(gold.format(figure)))

    older = item(b, pubDate=date(now - timedelta(hours=2)))
    story = item(ant_stories[4], pubDate=date(now - timedelta(minutes=30)))
    await reader.start(older)
    earlier = prices("gold-1", "3100", now - timedelta(minutes=20))
    await reader.serve(earlier, story, older)
    result = await reader.serve(
        prices("gold-2", "3120", now), earlier, moved(ant_stories[4], "again", now), older
    )
    assert len(result.new_story_ids) == 1
    assert headlines(fake_telegram) == [ant_stories[4].title, "أسعار الذهب اليوم", "أسعار الذهب اليوم"]
    assert (await titles(db, reader.feed_id)).count("أسعار الذهب اليوم") == 2


async def test_a_title_only_item_with_a_new_title_stays_a_new_story(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    # With no body, a changed title leaves nothing to tell a corrected story from another one:
    # it is delivered (a second card at worst, never a story lost). An item with a body is known.
    a, b, c = ant_stories[0], ant_stories[1], ant_stories[2]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(hours=2)))
    await reader.start(older)
    bare = moved(c, "t", now - timedelta(minutes=20), description="")
    await reader.serve(bare, item(a, pubDate=date(now - timedelta(minutes=20))), older)
    result = await reader.serve(
        moved(c, "t2", now, description="", title=html.escape(c.title + " (محدث)")),
        moved(a, "a2", now),
        older,
    )
    assert len(result.new_story_ids) == 1
    assert sorted(headlines(fake_telegram)) == sorted([c.title, a.title, c.title + " (محدث)"])
    assert len(await titles(db, reader.feed_id)) == 4  # b, a, c and the retitled c


async def test_a_blurb_under_every_item_does_not_make_new_stories_corrections(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    # Some feeds put one standard paragraph under every item: the titles are the stories.
    blurb = html.escape(
        "الموقع الإخباري الأول في المنطقة يقدم لكم تغطية شاملة لأهم الأحداث السياسية والاقتصادية "
        "والرياضية على مدار الساعة من مراسلينا المنتشرين في العواصم العربية والعالمية."
    )
    s = ant_stories
    now = utcnow()

    def blurbed(story: AntStory, minutes: int) -> dict[str, str]:
        return item(story, description=blurb, pubDate=date(now - timedelta(minutes=minutes)))

    await reader.start(blurbed(s[5], 300), blurbed(s[6], 200))
    await reader.serve(blurbed(s[7], 30), item(s[0], pubDate=date(now - timedelta(minutes=30))))
    # The earlier items have left the feed; a new one carries the blurb, and a story with a body
    # of its own is relisted.
    result = await reader.serve(blurbed(s[8], 0), moved(s[0], "again", now))
    assert len(result.new_story_ids) == 1
    assert [x.text for x in await stored(db, reader.feed_id)][-1].startswith("الموقع الإخباري")
    assert sorted(headlines(fake_telegram)) == sorted([s[7].title, s[0].title, s[8].title])


async def test_a_story_relisted_more_than_a_day_after_it_was_first_seen_is_news_again(
    db: Database, reader: Reader, fake_telegram: FakeTelegram, ant_stories: list[AntStory]
) -> None:
    a, b, c = ant_stories[0], ant_stories[1], ant_stories[2]
    now = utcnow()
    older = item(b, pubDate=date(now - timedelta(hours=2)))
    await reader.start(older)
    await reader.serve(
        item(a, pubDate=date(now - timedelta(minutes=30))),
        item(c, pubDate=date(now - timedelta(minutes=10))),
        older,
    )
    # The story of `a` was first seen yesterday; `c` minutes ago.
    async with db.write() as session:
        await session.execute(
            update(Story).where(Story.title == a.title).values(fetched_at=now - timedelta(hours=25))
        )
    result = await reader.serve(moved(a, "next-day", now), moved(c, "again", now), older)
    assert len(result.new_story_ids) == 1
    assert sorted(headlines(fake_telegram)) == sorted([a.title, c.title, a.title])
    assert (await titles(db, reader.feed_id)).count(a.title) == 2
