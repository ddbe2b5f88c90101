"""`akhbar digest`: one poll of every configured feed, printed in the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.feed_server import FeedServer, _ThreadHandle


@pytest.fixture
def server() -> Iterator[_ThreadHandle]:
    # In a thread of its own: the command runs its own event loop (asyncio.run).
    handle = FeedServer.start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


def write_config(tmp_path: Path, feeds: list[tuple[str, str]]) -> Path:
    lines = [
        "[database]",
        f'url = "sqlite+aiosqlite:///{tmp_path / "digest.sqlite3"}"',
        "[fetch]",
        'min_interval = "1s"',
        "allow_private_addresses = true",
        "read_timeout = 2",
    ]
    for name, url in feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_digest_prints_new_stories_then_only_what_is_new(
    server: _ThreadHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = server.server
    s = fs.stories
    arabiya = server.call(fs.add_feed, "arabiya", s[:3])
    broken = server.call(fs.add_feed, "broken", s[3:4])
    server.call(fs.set_fault, "broken", "404")
    config = write_config(tmp_path, [("العربية", arabiya), ("معطلة", broken)])

    assert main(["digest", "--config", str(config), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for story in s[:3]:
        assert story.title in out
    assert "══ العربية — 3 new ══" in out
    assert "✗ معطلة: HTTP 404 Not Found" in out
    assert out.count("  • ") >= 3  # summary sentences
    assert "3 new stories from 2 feeds; 1 failed." in out

    assert main(["digest", "--config", str(config), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert s[0].title not in out
    assert "0 new stories from 2 feeds; 1 unchanged; 1 failed." in out

    server.call(fs.add_item, "arabiya", s[20])
    assert main(["digest", "--config", str(config), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert s[20].title in out and s[0].title not in out
    assert "1 new story from 2 feeds" in out

    # A throwaway database shows everything again and leaves the real one alone.
    assert main(["digest", "--config", str(config), "--no-progress", "--temp-db", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "══ العربية — 4 new ══" in out and "… and 2 more" in out


def test_digest_fails_when_every_feed_fails(
    server: _ThreadHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = server.server
    url = server.call(fs.add_feed, "html", fs.stories[:2])
    server.call(fs.set_fault, "html", "html")
    config = write_config(tmp_path, [("html", url)])
    assert main(["digest", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert "✗ html: not a feed: got an HTML page" in captured.out
    assert "polling feeds" in captured.err or captured.err == ""  # the progress bar, on a terminal only
