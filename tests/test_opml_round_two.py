"""OPML import and export, second QA round: every entry of a file accounted for with its reason, one
feed in two spellings (or its RSS and Atom) one entry, the limits said, one line per refusal, a
feed's state kept through export and import, and an export that never overwrites silently."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.feeds import add_feed, import_feeds
from bot.admin.opml import MAX_OPML_BYTES, MAX_OUTLINES, OpmlError, export_opml, parse_opml
from bot.cli import main
from bot.config import Config
from bot.db.database import Database, open_database
from bot.db.models import Feed
from bot.feeds.fetcher import Fetcher
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID
from tests.test_admin_services import _feeds, config, fetcher
from tests.test_feeds_cli import ThreadedServer, _config, _stored, server

AKHBAR_NS = "https://github.com/akhbar"


__all__ = ["config", "fetcher", "server"]  # fixtures, used by name


def _opml(*outlines: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><body>{"".join(outlines)}</body></opml>'.encode()


def _outline(text: str, url: str, extra: str = "") -> str:
    return f'<outline type="rss" text="{text}" xmlUrl="{url}"{extra}/>'


# -- 1. every entry is counted, and each one skipped says why ------------------------------------


def test_every_feed_entry_of_the_file_is_read_none_dropped_unseen() -> None:
    data = b"""<opml version="2.0"><body>
      <outline text="category"><outline type="rss" text="a" xmlUrl="https://a.example/rss"/></outline>
      <outline type="rss" text="twice" xmlUrl="https://a.example/rss"/>
      <outline type="rss" text="no scheme" xmlUrl="www.bbc.com/arabic/index.xml"/>
      <outline type="rss" text="ftp" xmlUrl="ftp://example.com/feed"/>
      <outline type="rss" text="js" xmlUrl="javascript:alert(1)"/>
      <outline type="rss" text="relative" xmlUrl="/feeds/relative.rss"/>
      <outline type="rss" text="empty" xmlUrl=""/>
      <outline type="rss" text="no address"/>
      <outline type="link" text="a page" url="http://example.com"/>
      <outline text="a note, not a feed"/>
    </body></opml>"""
    entries = parse_opml(data)
    assert [e.title for e in entries] == [
        "a", "twice", "no scheme", "ftp", "js", "relative", "empty", "no address", "a page"
    ]  # fmt: skip
    assert entries[2].url == "www.bbc.com/arabic/index.xml"
    assert entries[-1].kind == "link"


async def test_the_import_reports_every_entry_with_a_reason_and_reads_an_address_without_scheme(
    db: Database, config: Config, fetcher: Fetcher
) -> None:
    entries = parse_opml(
        _opml(
            _outline("أ", "https://a.example.org/rss"),
            _outline("بلا مخطط", "www.bbc.com/arabic/index.xml"),
            _outline("أ مرة ثانية", "https://a.example.org/rss"),
            _outline("إف تي بي", "ftp://example.com/feed"),
            _outline("جافاسكربت", "javascript:alert(1)"),
            _outline("نسبي", "/feeds/relative.rss"),
            _outline("مسافة", "http://exa mple.com/rss"),
            '<outline type="link" text="صفحة" url="http://example.com"/>',
        )
    )
    report = await import_feeds(db, config, fetcher, entries, verify=False)
    assert len(report.results) == len(entries) == 8
    assert [r.code for r in report.results] == [
        "added",
        "added",
        "skipped_in_file",
        "skipped_not_web",
        "skipped_not_web",
        "skipped_relative",
        "skipped_invalid",
        "skipped_link",
    ]
    # Read as /addfeed reads it: https:// added.
    assert [f.url for f in await _feeds(db)] == [
        "https://a.example.org/rss",
        "https://www.bbc.com/arabic/index.xml",
    ]
    assert report.results[2].existing == "أ"
    assert (len(report.added), len(report.skipped), len(report.failed)) == (2, 6, 0)


# -- 2. one feed in two spellings is one entry; an RSS and its Atom twin too ---------------------


async def test_two_spellings_of_one_feed_are_one_entry_not_a_refusal(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    alpha = feed_server.add_feed("alpha", feed_server.stories[:4], title="ألفا")
    entries = parse_opml(
        _opml(
            _outline("ألفا", alpha),
            _outline("ألفا بشرطة", f"{alpha}/"),  # the server answers 404 for this spelling
            _outline("ألفا utm", f"{alpha}?utm_source=inoreader"),
            _outline("ألفا https", alpha.replace("http://", "https://")),
        )
    )
    report = await import_feeds(db, config, fetcher, entries)
    assert [r.code for r in report.results] == ["added"] + ["skipped_in_file"] * 3
    assert report.failed == []
    assert [f.url for f in await _feeds(db)] == [alpha]


async def test_when_the_first_spelling_fails_the_files_other_spelling_is_tried(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    alpha = feed_server.add_feed("alpha", feed_server.stories[:4], title="ألفا")
    entries = parse_opml(_opml(_outline("بشرطة", f"{alpha}/"), _outline("ألفا", alpha)))
    report = await import_feeds(db, config, fetcher, entries)
    assert [r.code for r in report.results] == ["added", "skipped_in_file"]
    assert [f.url for f in await _feeds(db)] == [alpha]


async def test_a_sites_rss_and_its_atom_in_one_file_are_one_feed(
    db: Database, config: Config, fetcher: Fetcher, feed_server: FeedServer
) -> None:
    beta = feed_server.add_feed("beta", feed_server.stories[4:8], title="بيتا")
    gamma = feed_server.add_feed("gamma", feed_server.stories[8:12], title="غاما")
    entries = parse_opml(
        _opml(
            _outline("بيتا", beta),
            _outline("بيتا atom", feed_server.url_for("beta", "atom")),
            _outline("غاما", gamma),  # same host, other stories: a feed of its own
        )
    )
    report = await import_feeds(db, config, fetcher, entries)
    assert [r.code for r in report.results] == ["added", "duplicate_url", "added"]
    twin = report.results[1]
    assert (twin.existing, twin.feed_id) == ("بيتا", report.results[0].feed_id)
    assert [f.url for f in await _feeds(db)] == [beta, gamma]


# -- 3. the limits, said -------------------------------------------------------------------------


def test_too_many_feeds_says_how_many_and_the_limit() -> None:
    many = "".join(_outline(f"x{i}", f"https://a.example/{i}.rss") for i in range(MAX_OUTLINES + 1))
    with pytest.raises(OpmlError) as caught:
        parse_opml(_opml(many))
    assert (caught.value.code, caught.value.count, caught.value.limit) == ("too_many", 1001, 1000)
    assert "1001" in caught.value.reason and "1000" in caught.value.reason


async def test_the_chat_gives_the_limits_when_it_refuses_a_file(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    many = "".join(_outline(f"x{i}", f"https://a.example/{i}.rss") for i in range(MAX_OUTLINES + 1))
    big = _opml("<!-- " + "x" * MAX_OPML_BYTES + " -->")
    async with bot_factory():
        await fake_telegram.document(ADMIN_ID, "many.opml", _opml(many))
        [too_many] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, timeout=15)
        await fake_telegram.document(ADMIN_ID, "big.opml", big)
        [too_large] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=1, timeout=15)
        await fake_telegram.document(ADMIN_ID, "many.opml", _opml(many), language_code="en")
        [in_english] = await fake_telegram.wait_for_messages(ADMIN_ID, count=1, since=2, timeout=15)
    assert "عددها فيه ١٠٠١، والحد الأقصى ١٠٠٠" in too_many["plain_text"]
    assert "والحد الأقصى: ٢ ميغابايت" in too_large["plain_text"]
    assert "it lists 1001 feeds, more than the 1000 allowed" in in_english["plain_text"]


# -- 1 and 4 in the chat: every entry counted; one line per refusal, no /addfeed usage -----------


async def test_the_chat_report_counts_every_entry_and_gives_one_line_per_refusal(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    alpha = feed_server.add_feed("alpha", feed_server.stories[:4], title="ألفا")
    dead = feed_server.add_feed("dead", feed_server.stories[12:14])
    feed_server.set_fault("dead", "500")
    opml = _opml(
        _outline("ألفا", alpha),
        _outline("ألفا مكرر", f"{alpha}/"),
        _outline("ميت", dead),
        _outline("إف تي بي", "ftp://example.com/feed"),
        _outline("مسافة", "http://exa mple.com/rss"),
    )
    async with bot_factory():
        await fake_telegram.document(ADMIN_ID, "feeds.opml", opml)
        started, report = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, timeout=20)
    text = report["plain_text"]
    assert "(عددها: ٥)" in started["plain_text"]
    assert "أُضيف ١، وموجود من قبل ٠، ورُفض ١، وتُرك دون فحص ٣" in text
    assert f"• ميت ({dead}) — ردّ الخادم برمز الخطأ 500" in text
    assert f"• ألفا مكرر ({alpha}/) — مكرر في الملف: هو نفسه «ألفا»" in text
    assert "• إف تي بي (ftp://example.com/feed) — ليس عنوان موقع على الويب" in text
    assert "• مسافة (http://exa mple.com/rss) — ليس عنوانًا صالحًا" in text
    # /addfeed's answer is not reused: no usage example, and each address once.
    assert "مثال" not in text and "/addfeed https://example.com/rss" not in text
    assert text.count("http://exa mple.com/rss") == 1 and text.count(dead) == 1


async def test_a_report_longer_than_a_message_is_split_between_messages(
    bot_factory: Callable[..., Any], fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    long = "x" * 120
    refused = [
        _outline(f"{'م' * 70}{i}", f"{feed_server.base_url}/feeds/gone-{i}-{long}.rss") for i in range(15)
    ]
    skipped = [_outline(f"{'ف' * 70}{i}", f"ftp://example.com/{i}/{long}") for i in range(15)]
    async with bot_factory():
        await fake_telegram.document(ADMIN_ID, "feeds.opml", _opml(*refused, *skipped))
        _, *reports = await fake_telegram.wait_for_messages(ADMIN_ID, count=3, timeout=30)
    # Telegram refuses a message over 4096 characters: both sections arrive, each entry on its line.
    text = "\n".join(r["plain_text"] for r in reports)
    assert reports[0]["plain_text"].startswith("📥 نتيجة الاستيراد: أُضيف ٠، وموجود من قبل ٠، ورُفض ١٥")
    assert "رُفضت:" in text and "تُركت دون فحص:" in text
    assert text.count("• ") == 30


# -- 5. export keeps a feed's state, import brings it back ---------------------------------------


async def _stored_feeds(db: Database, config: Config, fetcher: Fetcher) -> list[Feed]:
    for url in ("https://a.example.org/rss", "https://b.example.org/rss", "https://c.example.org/rss"):
        assert (await add_feed(db, config, fetcher, url, origin="chat", verify=False)).ok
    async with db.write() as session:
        a, b, _c = (await session.scalars(select(Feed).order_by(Feed.id))).all()
        a.status, a.topics, a.full_text, a.interval = "paused", ["سياسة", "شرق, غرب"], True, 1200.0
        b.status = "failing"  # paused itself after errors: checked again on import, not kept paused
        b.site_url = "https://b.example.org/"
    return await _feeds(db)


async def test_an_export_keeps_paused_topics_full_text_and_interval_in_our_namespace(
    db: Database, config: Config, fetcher: Fetcher
) -> None:
    data = export_opml(await _stored_feeds(db, config, fetcher))
    # Plain XML, readable by any reader: OPML's own attributes, ours in a namespace they ignore.
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert f'xmlns:akhbar="{AKHBAR_NS}"'.encode() in data
    a, b, c = root.iter("outline")
    assert {k: a.get(k) for k in ("type", "text", "title", "xmlUrl")} == {
        "type": "rss",
        "text": "a.example.org",
        "title": "a.example.org",
        "xmlUrl": "https://a.example.org/rss",
    }
    assert b.get("htmlUrl") == "https://b.example.org/"
    ours = {k.split("}")[1]: v for k, v in a.attrib.items() if k.startswith(f"{{{AKHBAR_NS}}}")}
    assert ours == {"interval": "1200", "paused": "true", "topics": "سياسة,شرق\\, غرب", "fullText": "true"}
    assert f"{{{AKHBAR_NS}}}paused" not in b.attrib and f"{{{AKHBAR_NS}}}paused" not in c.attrib


async def test_a_paused_feed_imported_stays_paused_with_its_topics_and_full_text(
    db: Database, config: Config, fetcher: Fetcher, tmp_path: Path
) -> None:
    data = export_opml(await _stored_feeds(db, config, fetcher))
    other = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        report = await import_feeds(other, config, fetcher, parse_opml(data), verify=False)
        assert len(report.added) == 3
        restored = await _feeds(other)
    finally:
        await other.close()
    assert [(f.status, f.topics, f.full_text, f.interval) for f in restored] == [
        ("paused", ["سياسة", "شرق, غرب"], True, 1200.0),
        ("active", [], False, 600.0),
        ("active", [], False, 600.0),
    ]


# -- 6. the shell's export never overwrites silently --------------------------------------------


def _one_feed(tmp_path: Path) -> str:
    source = tmp_path / "in.opml"
    source.write_bytes(_opml(_outline("بعيد", "https://news.example.org/rss")))
    cfg = str(_config(tmp_path))
    assert main(["--config", cfg, "feeds", "import", "--no-check", str(source)]) == 0
    return cfg


def test_export_refuses_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _one_feed(tmp_path)
    target = tmp_path / "out.opml"
    target.write_text("an earlier export", encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", cfg, "feeds", "export", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"{target} exists; nothing was overwritten" in err and "--force" in err
    assert target.read_text(encoding="utf-8") == "an earlier export"

    assert main(["--config", cfg, "feeds", "export", str(target), "--force"]) == 0
    assert [f.url for f in parse_opml(target.read_bytes())] == ["https://news.example.org/rss"]
    assert not (tmp_path / "out.opml.partial").exists()

    capsys.readouterr()
    assert main(["--config", cfg, "feeds", "export", "-"]) == 0
    assert [f.url for f in parse_opml(capsys.readouterr().out.encode())] == ["https://news.example.org/rss"]
    assert not (tmp_path / "-").exists()


def test_the_shell_import_counts_and_lists_every_entry(
    tmp_path: Path, server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    first = server.add_feed("round-two-a", server.stories[:2], title="أ")
    source = tmp_path / "in.opml"
    source.write_bytes(
        _opml(
            _outline("أ", first),
            _outline("أ مكرر", f"{first}/"),
            _outline("إف تي بي", "ftp://example.com/feed"),
        )
    )
    assert main(["--config", str(_config(tmp_path)), "feeds", "import", str(source)]) == 0
    captured = capsys.readouterr()
    assert "3 feeds in the file: 1 added, 0 already there, 0 refused, 2 skipped" in captured.out
    assert f"skipped: {first}/: the same feed as {first}, earlier in the file" in captured.out
    assert "skipped: ftp://example.com/feed: not a web address (http or https)" in captured.err
    assert [(n, u) for n, u, _s, _o in _stored(tmp_path)] == [("أ", first)]
