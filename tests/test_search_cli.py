"""`akhbar search`: results from the shell, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.db.database import open_database
from tests.test_search import SYRIA, load_stories


@pytest.fixture
async def config_path(tmp_path: Path) -> Path:
    db_file = tmp_path / "cli.sqlite3"
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{db_file}"\n', encoding="utf-8")
    db = await open_database(f"sqlite+aiosqlite:///{db_file}")
    try:
        await load_stories(db)
    finally:
        await db.close()
    return path


def run_cli(argv: list[str]) -> int:
    # The CLI runs its own event loop; keep it off the test's loop thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


async def test_json_output(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "سوريا", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == len(SYRIA)
    assert out["terms"] == ["سوري"]
    assert len(out["hits"]) == len(SYRIA)
    assert all("<b>" in h["snippet_html"] or "سوري" in h["title"] for h in out["hits"])
    assert {h["source"] for h in out["hits"]} >= {"BBC", "alarabia", "france24"}


async def test_limit_and_text_output(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "اللاجئين", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("7 stories (1-2 shown)")
    assert out.count("\n1. ") + out.startswith("1. ") == 1 and "\n2. " in out and "\n3. " not in out
    assert "<b>" not in out


async def test_source_and_window_options(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "سوريا", "--source", "BBC", "--json"]) == 0
    assert [h["source"] for h in json.loads(capsys.readouterr().out)["hits"]] == ["BBC"]
    assert run_cli(["--config", str(config_path), "search", "سوريا", "--days", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0  # the fixtures are from 2018


async def test_query_without_words_is_an_error(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "🔥", "في"]) == 1
    assert "no word to search for" in capsys.readouterr().err


async def test_no_hits(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "كوكب", "المريخ"]) == 0
    assert "no stories found" in capsys.readouterr().out


async def test_reindex(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "--reindex"]) == 0
    assert "indexed 20 stories" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
async def test_a_limit_out_of_its_range_is_refused_with_usage(
    config_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli(["--config", str(config_path), "search", "سوريا", "--limit", limit])
    assert exited.value.code == 2
    assert "--limit" in capsys.readouterr().err


async def test_one_story_is_one_story(config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--config", str(config_path), "search", "سوريا", "--source", "BBC"]) == 0
    assert capsys.readouterr().out.startswith("1 story (1-1 shown)")
