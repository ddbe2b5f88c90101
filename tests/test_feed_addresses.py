"""One feed, however its address is spelt: an Arabic path typed as it reads or %-escaped, an Arabic
domain or its punycode; ids no feed can have; DNS failures in the system's own words."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.admin.feeds import (
    add_feed,
    classify_fetch_error,
    clean_url,
    find_feed,
    normalize_url,
    pause_feed,
    remove_feed,
)
from bot.cli import main
from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.models import Feed
from bot.feeds.fetcher import Fetcher
from tests.fakes.feed_server import FeedServer
from tests.postgres import pg_url, requires_postgres  # noqa: F401 (pg_url: a fixture)
from tests.test_feed_poller import config, fetcher

__all__ = ["config", "fetcher"]  # fixtures, used by name

ARABIC_PATH = "https://example.com/أخبار/rss"
ESCAPED_PATH = "https://example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/rss"
ARABIC_HOST = "https://مثال.مصر/rss"
PUNYCODE_HOST = "https://xn--mgbh0fb.xn--wgbh1c/rss"


async def _urls(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.scalars(select(Feed.url).order_by(Feed.id))).all())


@pytest.mark.parametrize(
    ("one", "same"),
    [
        (ARABIC_PATH, ESCAPED_PATH),
        (ARABIC_PATH, ESCAPED_PATH.lower().replace("https://", "http://")),
        (ARABIC_HOST, PUNYCODE_HOST),
        (ARABIC_HOST, "https://XN--MGBH0FB.xn--wgbh1c./rss/"),
        ("https://example.com/rss?q=خبر", "https://example.com/rss?q=%d8%ae%d8%a8%d8%b1"),
        ("https://example.com/~news/feed", "https://example.com/%7Enews/%66eed"),
    ],
    ids=["arabic-path", "lower-case-escapes", "idn-host", "punycode-upper-case", "query", "unreserved"],
)
def test_spellings_of_one_address_are_one_feed(one: str, same: str) -> None:
    assert normalize_url(one) == normalize_url(same)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/أخبار/rss", "https://example.com/اخبار/rss"),  # another word (no hamza)
        ("https://example.com/a/b/rss", "https://example.com/a%2Fb/rss"),  # an escaped slash is no slash
        ("https://example.com/rss?q=a%26b", "https://example.com/rss?q=a&b"),
    ],
)
def test_different_addresses_stay_different(one: str, other: str) -> None:
    assert normalize_url(one) != normalize_url(other)


async def test_an_arabic_path_is_fetched_and_refused_again_in_its_escaped_form(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    escaped = feed_server.add_feed("أخبار", feed_server.stories[:2], title="أخبار اليوم")
    raw = escaped.replace(escaped.rsplit("/", 1)[1], "أخبار.rss")
    assert "أخبار" in raw

    added = await add_feed(db, config, fetcher, raw, origin="chat")
    assert added.ok, added  # fetched: httpx got a valid request for the Arabic path
    assert added.entries == 2 and len(feed_server.requests("أخبار")) == 1
    assert await _urls(db) == [raw]  # kept as the admin typed it

    for again in (escaped, escaped.lower(), escaped.replace("http://", "https://")):
        refused = await add_feed(db, config, fetcher, again, origin="cli")
        assert refused.code == "duplicate_url", (again, refused)
        assert refused.existing == "أخبار اليوم"
    assert await _urls(db) == [raw]


@pytest.mark.parametrize(("first", "second"), [(ARABIC_HOST, PUNYCODE_HOST), (PUNYCODE_HOST, ARABIC_HOST)])
async def test_an_arabic_domain_and_its_punycode_are_one_feed(
    db: Database, config: Config, fetcher: Fetcher, first: str, second: str
) -> None:
    # verify=False: no network here; the duplicate check runs before (and without) any fetch.
    assert (await add_feed(db, config, fetcher, first, origin="opml", verify=False)).ok
    refused = await add_feed(db, config, fetcher, second, origin="opml", verify=False)
    assert refused.code == "duplicate_url"
    async with db.read() as session:
        found = await find_feed(session, second)
    assert found is not None and found.url == first


async def test_an_arabic_domain_in_presentation_forms_is_stored_as_httpx_can_fetch_it(
    db: Database, config: Config, fetcher: Fetcher
) -> None:
    # "ﻣﺜﺎل" is "مثال" in the letters' positional forms (copied from a PDF): browsers map them,
    # httpx's strict IDNA refuses the host, so every poll would fail as an "invalid URL".
    typed = "https://ﻣﺜﺎل.مصر/rss"
    with pytest.raises(httpx.InvalidURL):
        httpx.URL(typed)
    added = await add_feed(db, config, fetcher, typed, origin="chat", verify=False)
    assert added.ok, added
    [stored] = await _urls(db)
    assert stored == PUNYCODE_HOST and httpx.URL(stored).host == "مثال.مصر"
    assert (await add_feed(db, config, fetcher, ARABIC_HOST, origin="chat", verify=False)).code == (
        "duplicate_url"
    )


def test_a_domain_no_encoding_makes_a_host_of_is_not_a_link() -> None:
    assert clean_url("https://مثال‏.مصر/rss") is None  # a right-to-left mark inside the host
    assert clean_url("مثال.مصر/أخبار") == "https://مثال.مصر/أخبار"  # a valid one is kept as typed


async def test_a_feed_stored_with_lower_case_escapes_still_matches(db: Database, config: Config) -> None:
    # A row from before: stored exactly as some client wrote it, never rewritten.
    old = "https://example.com/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/rss/"
    async with db.write() as session:
        session.add(Feed(url=old, name="قديم", interval=600.0, topics=[], origin="chat", status="active"))
    async with Fetcher(config.fetch) as fetcher:
        refused = await add_feed(db, config, fetcher, ARABIC_PATH, origin="chat", verify=False)
    assert refused.code == "duplicate_url" and refused.existing == "قديم"
    assert (await pause_feed(db, ESCAPED_PATH)).code == "paused"


@pytest.mark.parametrize(
    "ref", ["99999999999999999999", "#9223372036854775808", str(2**63 - 1), "-1", "#-3", "²"]
)
async def test_an_id_no_feed_can_have_is_no_such_feed(db: Database, ref: str) -> None:
    async with db.write() as session:
        session.add(Feed(url="https://example.com/rss", name="مصدر", interval=600.0, topics=[]))
    assert (await remove_feed(db, ref)).code == "not_found"
    assert await _urls(db) == ["https://example.com/rss"]


@requires_postgres
async def test_an_id_past_postgresqls_integer_is_no_such_feed(pg_url: str) -> None:  # noqa: F811
    # feeds.id is 32-bit there: asyncpg refused 3,000,000,000 with a traceback.
    db = await open_database(pg_url)
    try:
        async with db.write() as session:
            session.add(Feed(url="https://example.com/rss", name="مصدر", interval=600.0, topics=[]))
        for ref in ("3000000000", str(2**31), "99999999999999999999"):
            assert (await remove_feed(db, ref)).code == "not_found", ref
        assert (await pause_feed(db, "1")).code == "paused"
    finally:
        await db.close()


@pytest.mark.parametrize("action", ["remove", "pause", "resume"])
def test_cli_says_no_such_feed_for_an_id_past_64_bits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "a.sqlite3"}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "feeds", action, "99999999999999999999"]) == 1
    err = capsys.readouterr().err
    assert "no feed with id or name '99999999999999999999'" in err
    assert "Traceback" not in err and "Overflow" not in err


@pytest.mark.parametrize(
    "reason",
    [
        "could not resolve host news.example",
        "could not connect: [Errno -2] Name or service not known",
        "could not connect: [Errno 8] nodename nor servname provided, or not known",
        "could not connect: [Errno -3] Temporary failure in name resolution",
        "could not connect: [Errno -5] No address associated with hostname",
    ],
)
def test_resolver_failures_are_an_unknown_host(reason: str) -> None:
    assert classify_fetch_error(reason) == ("dns", None)


def test_a_refused_connection_is_still_unreachable() -> None:
    assert classify_fetch_error("could not connect: [Errno 111] Connection refused") == ("unreachable", None)
