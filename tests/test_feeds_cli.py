"""`akhbar feeds ...` from the shell: the same checks as the chat, exit codes, OPML files."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.admin.opml import parse_opml
from bot.cli import main
from bot.db.database import open_database
from bot.db.models import AuditLog, Feed
from tests.fakes.feed_server import FeedServer, load_stories


class ThreadedServer:
    """The feed server on its own thread and loop: the CLI runs its own loop with asyncio.run."""

    def __init__(self) -> None:
        self.handle = FeedServer.start_in_thread(stories=load_stories())
        self.stories = self.handle.server.stories
        self.base_url = self.handle.server.base_url

    def add_feed(self, name: str, stories: Any, **options: Any) -> str:
        url: str = self.handle.call(self.handle.server.add_feed, name, stories, **options)
        return url


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    threaded = ThreadedServer()
    try:
        yield threaded
    finally:
        threaded.handle.stop()


def _config(tmp_path: Path, *, private: bool = True, feeds: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path / "akhbar.sqlite3"}"
[fetch]
min_interval = 1
allow_private_addresses = {"true" if private else "false"}
connect_timeout = 2
read_timeout = 5
{feeds}
""",
        encoding="utf-8",
    )
    return path


def _stored(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    async def read() -> list[tuple[str, str, str, str]]:
        db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
        try:
            async with db.read() as session:
                feeds = (await session.scalars(select(Feed).order_by(Feed.id))).all()
                return [(f.name, f.url, f.status, f.origin) for f in feeds]
        finally:
            await db.close()

    return asyncio.run(read())


def _audit(tmp_path: Path) -> list[tuple[int, str]]:
    async def read() -> list[tuple[int, str]]:
        db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
        try:
            async with db.read() as session:
                rows = (await session.scalars(select(AuditLog).order_by(AuditLog.id))).all()
                return [(r.admin_id, r.action) for r in rows]
        finally:
            await db.close()

    return asyncio.run(read())


def test_add_list_pause_resume_remove(
    tmp_path: Path, server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.add_feed("cli-feed", server.stories[:4], title="مصدر الطرفية")
    cfg = str(_config(tmp_path))

    assert main(["--config", cfg, "feeds", "add", url, "--interval", "15m"]) == 0
    assert "added #1 مصدر الطرفية" in capsys.readouterr().out
    assert _stored(tmp_path) == [("مصدر الطرفية", url, "active", "cli")]

    assert main(["--config", cfg, "feeds", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "ID", "NAME", "STATUS", "LAST", "SUCCESS", "ERRORS", "ITEMS/DAY", "SUBSCRIBERS", "ORIGIN"
    ]  # fmt: skip
    assert "مصدر الطرفية" in out and "never" in out
    # Added a moment ago: its items per day are not known yet (not its count spread over a week).
    assert out.splitlines()[1].split()[-3] == "new"

    assert main(["--config", cfg, "feeds", "pause", "1"]) == 0
    assert _stored(tmp_path)[0][2] == "paused"
    assert main(["--config", cfg, "feeds", "pause", "مصدر الطرفية"]) == 1
    assert "already paused" in capsys.readouterr().err
    assert main(["--config", cfg, "feeds", "resume", "مصدر الطرفية"]) == 0
    assert _stored(tmp_path)[0][2] == "active"
    assert main(["--config", cfg, "feeds", "remove", "1"]) == 0
    assert _stored(tmp_path) == []
    assert main(["--config", cfg, "feeds", "remove", "1"]) == 1
    assert "no feed with id or name '1'" in capsys.readouterr().err
    # Shell actions are audited too, under the command line's actor id 0.
    assert _audit(tmp_path) == [(0, "feed.add"), (0, "feed.pause"), (0, "feed.resume"), (0, "feed.remove")]


def test_add_refusals_exit_1_with_the_reason(
    tmp_path: Path, server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.add_feed("refused", server.stories[:2])
    cfg = str(_config(tmp_path))
    assert main(["--config", cfg, "feeds", "add", f"{server.base_url}/feeds/nope.rss"]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["--config", cfg, "feeds", "add", url, "--interval", "soon"]) == 1
    assert "--interval" in capsys.readouterr().err
    assert main(["--config", cfg, "feeds", "add", url]) == 0
    assert main(["--config", cfg, "feeds", "add", url]) == 1
    assert "already there as #1" in capsys.readouterr().err

    strict = tmp_path / "strict"
    strict.mkdir()
    other = server.add_feed("private", server.stories[2:3])
    assert main(["--config", str(_config(strict, private=False)), "feeds", "add", other]) == 1
    assert "private address refused" in capsys.readouterr().err


def test_import_and_export_opml_files(
    tmp_path: Path, server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    first = server.add_feed("opml-a", server.stories[:2], title="أ")
    second = server.add_feed("opml-b", server.stories[2:4], title="ب")
    source = tmp_path / "in.opml"
    source.write_text(
        f'<opml version="2.0"><body><outline text="أ" xmlUrl="{first}"/>'
        f'<outline text="ب" xmlUrl="{second}"/>'
        f'<outline text="ج" xmlUrl="{server.base_url}/feeds/gone.rss"/></body></opml>',
        encoding="utf-8",
    )
    cfg = str(_config(tmp_path))
    assert main(["--config", cfg, "feeds", "import", str(source)]) == 0
    captured = capsys.readouterr()
    assert "3 feeds in the file: 2 added, 0 already there, 1 refused" in captured.out
    assert "gone.rss" in captured.err
    assert [(n, o) for n, _u, _s, o in _stored(tmp_path)] == [("أ", "opml"), ("ب", "opml")]

    # To stdout by default, and to a file.
    assert main(["--config", cfg, "feeds", "export"]) == 0
    assert [f.url for f in parse_opml(capsys.readouterr().out.encode())] == [first, second]
    target = tmp_path / "out.opml"
    assert main(["--config", cfg, "feeds", "export", str(target)]) == 0
    assert [f.title for f in parse_opml(target.read_bytes())] == ["أ", "ب"]

    bad = tmp_path / "bad.opml"
    bad.write_text("not xml at all", encoding="utf-8")
    assert main(["--config", cfg, "feeds", "import", str(bad)]) == 1
    assert "not an XML file" in capsys.readouterr().err
    assert main(["--config", cfg, "feeds", "import", str(tmp_path / "missing.opml")]) == 1


def test_import_without_checking_adds_unreachable_feeds_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.opml"
    source.write_text(
        '<opml version="2.0"><body><outline text="بعيد" xmlUrl="https://news.example.org/rss"/></body></opml>',
        encoding="utf-8",
    )
    assert main(["--config", str(_config(tmp_path)), "feeds", "import", "--no-check", str(source)]) == 0
    assert _stored(tmp_path) == [("بعيد", "https://news.example.org/rss", "active", "opml")]


def test_list_mentions_config_feeds_not_yet_in_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = '[[feeds]]\nname = "من الإعدادات"\nurl = "https://example.org/rss"\n'
    assert main(["--config", str(_config(tmp_path, feeds=feeds)), "feeds", "list"]) == 0
    out = capsys.readouterr().out
    assert "no feeds yet" in out and "added when the bot next starts: من الإعدادات" in out


def test_a_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[fetch]\nmin_interval = -1\n", encoding="utf-8")
    assert main(["--config", str(path), "feeds", "list"]) == 2
    assert "fetch.min_interval" in capsys.readouterr().err
