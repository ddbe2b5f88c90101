"""config.toml's feeds and topics into the database on start.

Rule (also in the README): for a feed that config.toml names, config.toml wins on URL, name,
interval, topics and full_text at every start; its paused/active status and fetch state are kept.
Feeds added from the chat, the CLI or OPML live only in the database and are never touched here.
A feed removed from config.toml is paused, not deleted, so its stories and subscriptions survive.

A feed that moved for good (its server answered 301/308 on several polls in a row, see
bot.feeds.poller._track_move) keeps its new URL even though config.toml still names the old one:
the old URL is remembered as the feed's alias, so it is recognised here and not added again as a
new feed (which would poll the old address, follow the redirect and store every story twice). The
log asks the admin to update config.toml. A URL edited in config.toml is an admin's decision and
always wins; the feed keeps its id, stories and subscribers, and forgets the old URL's validators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.admin.feeds import normalize_url
from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Topic
from bot.feeds.models import FeedAlias

log = logging.getLogger(__name__)

# A config feed's last_error when config.toml no longer names it (the poller looks for it too).
RETIRED = "removed from config.toml"


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # config.toml names a URL the feed moved away from


async def sync_config(db: Database, config: Config) -> SyncReport:
    report = SyncReport()
    async with db.write() as session:
        feeds = list((await session.scalars(select(Feed))).all())
        # Compared as feed identities (bot.admin.feeds.normalize_url): a feed added from the chat as
        # ".../%D8%A3..." is the one config.toml names as ".../أ...", not a second feed.
        by_url = {normalize_url(f.url): f for f in feeds}
        by_name = {f.name: f for f in feeds}
        by_id = {f.id: f for f in feeds}
        aliases = {normalize_url(a.url): a.feed_id for a in (await session.scalars(select(FeedAlias))).all()}
        configured: set[int] = set()
        for fc in config.feeds:
            key = normalize_url(fc.url)
            feed = by_url.get(key)
            moved = feed is None and aliases.get(key) in by_id
            if moved:
                feed = by_id[aliases[key]]
            feed = feed or by_name.get(fc.name)
            if feed is None:
                session.add(
                    Feed(
                        url=fc.url,
                        name=fc.name,
                        interval=fc.interval,
                        topics=list(fc.topics),
                        full_text=fc.full_text,
                        language=fc.language,
                        origin="config",
                        status="active",
                    )
                )
                report.added.append(fc.name)
                continue
            configured.add(feed.id)
            url = fc.url
            if moved:
                url = feed.url
                report.moved.append(fc.name)
                log.warning(
                    "feed %r moved permanently from %s to %s: please write the new URL in config.toml",
                    fc.name,
                    fc.url,
                    feed.url,
                )
            wanted = (url, fc.name, fc.interval, list(fc.topics), fc.full_text, fc.language, "config")
            current = (
                feed.url,
                feed.name,
                feed.interval,
                feed.topics,
                feed.full_text,
                feed.language,
                feed.origin,
            )
            if wanted != current:
                clash = by_name.get(fc.name)
                if clash is not None and clash is not feed:
                    clash.name = f"{clash.name} ({clash.id})"
                if feed.url != url:
                    # The old URL's validators mean nothing to the new one.
                    feed.etag = feed.last_modified = None
                feed.url, feed.name, feed.interval = url, fc.name, fc.interval
                feed.topics, feed.full_text, feed.language = list(fc.topics), fc.full_text, fc.language
                feed.origin = "config"
                report.updated.append(fc.name)
        for feed in feeds:
            if feed.origin == "config" and feed.id not in configured and feed.status == "active":
                feed.status = "paused"
                feed.last_error = RETIRED
                report.retired.append(feed.name)

        topics = {t.name: t for t in (await session.scalars(select(Topic))).all()}
        for tc in config.topics:
            topic = topics.get(tc.name)
            if topic is None:
                session.add(
                    Topic(name=tc.name, name_en=tc.name_en, keywords=list(tc.keywords), origin="config")
                )
            else:
                topic.keywords, topic.name_en, topic.origin = list(tc.keywords), tc.name_en, "config"
    return report
