"""What an added feed is called when its channel has no title: the name every card's source line
and /feeds show."""

from __future__ import annotations

from bot.admin.feeds import add_feed
from bot.config import Config
from bot.db.database import Database
from bot.feeds.fetcher import Fetcher
from tests.test_audit_feeds import RawServer, raw_server
from tests.test_feed_poller import config, fetcher

__all__ = ["config", "fetcher", "raw_server"]  # fixtures, used by name

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def _untitled(site: str, n: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title></title>'
        f"<link>{site}</link><item><title>خبر رقم {n} عن الاقتصاد</title><link>{site}news/{n}</link>"
        f"<guid>{site}news/{n}</guid><description>أعلنت الحكومة اليوم خطة اقتصادية جديدة رقم {n}."
        "</description></item></channel></rss>"
    ).encode()


async def test_an_untitled_feed_is_named_after_its_site_not_the_feed_host(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    result = await add_feed(
        db,
        config,
        fetcher,
        raw_server.set("/a.xml", _untitled("https://www.almasry.example/", 1), RSS),
        origin="cli",
    )
    assert result.name == "www.almasry.example"


async def test_untitled_feeds_of_one_host_are_told_apart_without_repeating_the_host(
    db: Database, config: Config, fetcher: Fetcher, raw_server: RawServer
) -> None:
    # Channels with neither a title nor a site address: named after the feed's host.
    names = []
    for n in (1, 2, 3):
        url = raw_server.set(f"/feed{n}.xml", _untitled("", n), RSS)
        names.append((await add_feed(db, config, fetcher, url, origin="cli")).name)
    assert names == ["127.0.0.1", "127.0.0.1 (2)", "127.0.0.1 (3)"]
