"""config.toml's feeds and topics into the database on start.

Rule (also in the README): for a feed that config.toml names, config.toml wins on URL, name,
interval, topics and full_text at every start; its paused/active status and fetch state are kept.
Feeds added from the chat, the CLI or OPML live only in the database and are never touched here.
A feed removed from config.toml is paused, not deleted, so its stories and subscriptions survive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot.config import Config
from bot.db.database import Database
from bot.db.models import Feed, Topic


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


async def sync_config(db: Database, config: Config) -> SyncReport:
    report = SyncReport()
    async with db.write() as session:
        feeds = list((await session.scalars(select(Feed))).all())
        by_url = {f.url: f for f in feeds}
        by_name = {f.name: f for f in feeds}
        configured_urls = set()
        for fc in config.feeds:
            configured_urls.add(fc.url)
            feed = by_url.get(fc.url) or by_name.get(fc.name)
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
            wanted = (fc.url, fc.name, fc.interval, list(fc.topics), fc.full_text, fc.language, "config")
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
                feed.url, feed.name, feed.interval = fc.url, fc.name, fc.interval
                feed.topics, feed.full_text, feed.language = list(fc.topics), fc.full_text, fc.language
                feed.origin = "config"
                report.updated.append(fc.name)
        for feed in feeds:
            if feed.origin == "config" and feed.url not in configured_urls and feed.status == "active":
                feed.status = "paused"
                feed.last_error = "removed from config.toml"
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
